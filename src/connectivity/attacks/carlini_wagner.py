"""Untargeted L2 Carlini–Wagner (Carlini & Wagner 2017) of the detection benchmark of
Harder et al. (2021), as foolbox 3's ``L2CarliniWagnerAttack`` in pixel space with bounds
(0, 1), with foolbox's defaults: binary search over the constant c from 1e-3, 9 search
steps, Adam steps of 0.01, abort-early (the benchmark sets 1,000 steps).

Example::

    adv, found, consts = carlini_wagner_l2(model, x, y, steps=1000)
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .adam import _Adam


def carlini_wagner_l2(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 1000,
    binary_search_steps: int = 9,
    stepsize: float = 0.01,
    confidence: float = 0.0,
    initial_const: float = 1e-3,
    abort_early: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Untargeted Carlini–Wagner L2 as foolbox 3's ``L2CarliniWagnerAttack``, batched.

    In tanh space, Adam minimises c · max(0, z_y - max_{j≠y} z_j + confidence) + ‖x' - x‖²
    for ``steps`` steps (stopping an example early when its loss has not fallen by 0.01 %
    over a tenth of the steps); the constant c starts at ``initial_const`` and is
    multiplied by 10 until an adversarial is found, then bisected. Each example keeps its
    smallest-L2 adversarial. The benchmark attacks one image at a time, so foolbox's
    abort-early test (on the batch's summed loss) is per image here.

    Returns (adversarials (n, C, H, W) — the clean image where none was found, found (n,)
    bool, the last constant tried (n,)).
    """
    n = len(x)
    device = x.device
    w0 = torch.atanh((2 * x - 1) * 0.999999)
    recon = (torch.tanh(w0) + 1) / 2
    consts = torch.full((n,), float(initial_const), dtype=torch.float64, device=device)
    lower = torch.zeros(n, dtype=torch.float64, device=device)
    upper = torch.full((n,), math.inf, dtype=torch.float64, device=device)
    best = x.clone()
    best_norm = torch.full((n,), math.inf, device=device)
    check_every = math.ceil(steps / 10)
    for search in range(binary_search_steps):
        if search == binary_search_steps - 1 and binary_search_steps >= 10:
            consts = torch.clamp(upper, max=1e10)
        delta = torch.zeros_like(w0)
        adam = _Adam(delta, stepsize)
        found = torch.zeros(n, dtype=torch.bool, device=device)
        previous = torch.full((n,), math.inf, device=device)
        active = torch.arange(n, device=device)
        c = consts.float()
        for step in range(steps):
            d = delta[active].clone().requires_grad_(True)
            xa = (torch.tanh(w0[active] + d) + 1) / 2
            logits = model(xa)
            ya = y[active]
            true = logits.gather(1, ya[:, None]).squeeze(1)
            other = logits.scatter(1, ya[:, None], -math.inf).amax(1)
            margin = (true - other + confidence).clamp_min(0)
            loss = c[active] * margin + (xa - recon[active]).flatten(1).pow(2).sum(1)
            (grad,) = torch.autograd.grad(loss.sum(), d)
            with torch.no_grad():
                adam.step(active, grad)
                keep = torch.ones(len(active), dtype=torch.bool, device=device)
                if abort_early and step % check_every == 0:
                    keep = loss <= 0.9999 * previous[active]
                    previous[active] = loss
                rows = active[keep]
                is_adv = (logits.argmax(1) != ya)[keep]
                found[rows] |= is_adv
                norms = (xa - x[active]).flatten(1).norm(dim=1)[keep]
                better = is_adv & (norms < best_norm[rows])
                best[rows[better]] = xa[keep][better]
                best_norm[rows[better]] = norms[better]
                active = rows
            if len(active) == 0:
                break
        upper = torch.where(found, consts, upper)
        lower = torch.where(found, lower, consts)
        consts = torch.where(torch.isinf(upper), consts * 10, (lower + upper) / 2)
    return best.detach(), torch.isfinite(best_norm), consts.float()
