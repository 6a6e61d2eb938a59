"""FGSM, BIM and PGD of the detection benchmark of Harder et al. (2021): foolbox 3's
``LinfBaseGradientDescent`` in pixel space with bounds (0, 1), as foolbox 3 runs them for
the benchmark (``PyTorchModel(model, bounds=(0, 1), preprocessing=...)``).

Foolbox's defaults (:class:`connectivity.attacks.UntargetedConfig`): FGSM (ε = 0.03), BIM
(10 steps of 0.2 ε), PGD (``LinfPGD``: 40 steps of ε/30 from a uniform random start —
foolbox 3.0–3.3.4 all use 40).

Example::

    adv = linf_sign_attack(model, x, y, eps=0.03, stepsize=0.006, steps=10)   # BIM
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def linf_sign_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    stepsize: float,
    steps: int,
    random_start: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """FGSM (one step of ε), BIM and PGD (foolbox's ``LinfBaseGradientDescent``): steps of
    ``stepsize · sign(∇ CE)``, each projected onto the ε-ball and the pixel range [0, 1];
    PGD starts from a uniform point of the ball. x (n, C, H, W) -> adversarials."""
    x0 = x
    if random_start:
        noise = torch.rand(x.shape, generator=generator).to(x.device)
        x = (x0 + (2 * noise - 1) * eps).clamp(0, 1)
    else:
        x = x0.clone()
    for _ in range(steps):
        xr = x.requires_grad_(True)
        loss = F.cross_entropy(model(xr), y, reduction="sum")
        (g,) = torch.autograd.grad(loss, xr)
        with torch.no_grad():
            x = x.detach() + stepsize * g.sign()
            x = torch.minimum(torch.maximum(x, x0 - eps), x0 + eps).clamp(0, 1)
    return x.detach()
