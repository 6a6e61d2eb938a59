"""Untargeted L2 DeepFool (Moosavi-Dezfooli et al. 2016) of the detection benchmark of
Harder et al. (2021), as foolbox 3's ``L2DeepFoolAttack`` in pixel space with bounds
(0, 1), with foolbox's defaults: 50 steps, 10 candidate classes, overshoot 0.02.

Example::

    adv = deepfool(model, x, y)                          # (n, C, H, W) in [0, 1]
"""

from __future__ import annotations

import torch
from torch import nn


def deepfool(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 50,
    overshoot: float = 0.02,
    candidates: int = 10,
) -> torch.Tensor:
    """Untargeted L2 DeepFool (Moosavi-Dezfooli et al. 2016) as foolbox 3's
    ``L2DeepFoolAttack`` (logit differences to the ``candidates - 1`` runner-up classes of
    the clean image; step to the nearest linearised boundary, distance + 1e-4; the image is
    x + (1 + overshoot) · total perturbation, clipped to [0, 1]), batched: an image stops
    once it is misclassified. x (n, C, H, W), labels y (n,) -> adversarials."""
    with torch.no_grad():
        logits = model(x)
    order = logits.argsort(1, descending=True)[:, : min(candidates, logits.shape[1])]
    # the label first, then the most likely other classes of the clean image
    others = torch.stack([row[row != lab][: order.shape[1] - 1] for row, lab in zip(order, y)])
    classes = torch.cat([y[:, None], others], 1)
    r_tot = torch.zeros_like(x)
    adv = x.clone()
    active = logits.argmax(1) == y
    for _ in range(steps):
        if not bool(active.any()):
            break
        ia = torch.nonzero(active).flatten()
        xa = adv[ia].clone().requires_grad_(True)
        f = model(xa).gather(1, classes[ia])  # (a, candidates)
        diffs = f[:, 1:] - f[:, :1]  # negative while correctly classified
        grads = torch.stack(
            [
                torch.autograd.grad(diffs[:, k].sum(), xa, retain_graph=k + 1 < diffs.shape[1])[0]
                for k in range(diffs.shape[1])
            ],
            1,
        )  # (a, candidates - 1, C, H, W)
        with torch.no_grad():
            norms = grads.flatten(2).norm(dim=2)
            dist = diffs.abs() / (norms + 1e-8)
            best = dist.argmin(1)
            ar = torch.arange(len(ia), device=x.device)
            d = dist[ar, best] + 1e-4
            step = (d / (norms[ar, best] + 1e-8)).view(-1, *[1] * (x.dim() - 1)) * grads[ar, best]
            r_tot[ia] += step
            adv[ia] = (x[ia] + (1 + overshoot) * r_tot[ia]).clamp(0, 1)
            active[ia] = model(adv[ia]).argmax(1) == y[ia]
    return adv.detach()
