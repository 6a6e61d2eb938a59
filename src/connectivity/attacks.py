"""Adversarial examples.

:func:`targeted_attack` is the attack of Vrabel et al. §4.2: from a source image K of
another class, Adam minimises CE(target) + λ_mse · mean((x - K)²) + λ_hf · TV₁(x - K),
and each example stops as soon as its target loss is below a given value (the loss
of the real mode it will be paired with). Batched: every example is optimised in one
tensor, independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .bypass import tv1
from .progress import progress


@dataclass(frozen=True)
class TargetedAttackConfig:
    lr: float = 0.005
    iterations: int = 512
    lambda_mse: float = 0.1
    lambda_hf: float = 1e-8
    clamp: bool = True  # keep pixels in [0, 1]


def targeted_attack(model: nn.Module, source: torch.Tensor, target: torch.Tensor, stop_below: torch.Tensor,
                    cfg: TargetedAttackConfig) -> dict:
    """Targeted adversarials from source images (n, C, H, W) towards classes ``target`` (n,).

    An example is frozen at the first iterate whose target cross-entropy is below
    ``stop_below`` (n,). Returns ``x`` (n, C, H, W), ``loss`` (n,) target CE of x,
    ``success`` (n,) bool (predicted class == target) and ``iterations`` (n,).
    """
    model.eval()
    x = source.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr)
    n = len(source)
    out = source.clone()
    done = torch.zeros(n, dtype=torch.bool)
    used = torch.full((n,), cfg.iterations)
    for i in progress(range(cfg.iterations), desc="targeted attack"):
        ce = F.cross_entropy(model(x), target, reduction="none")
        with torch.no_grad():  # the iterate that was just evaluated may already be good enough
            newly = ~done & (ce < stop_below)
            out[newly] = x[newly]
            used[newly] = i
            done |= newly
        if bool(done.all()):
            break
        d = x - source
        total = ce + cfg.lambda_mse * d.flatten(1).pow(2).mean(1) + cfg.lambda_hf * tv1(d)
        opt.zero_grad(set_to_none=True)
        total.sum().backward()
        opt.step()
        with torch.no_grad():
            if cfg.clamp:
                x.clamp_(0, 1)
    with torch.no_grad():
        out[~done] = x[~done]
        logits = model(out)
        loss = F.cross_entropy(logits, target, reduction="none")
    return {"x": out.detach(), "loss": loss, "success": logits.argmax(1) == target, "iterations": used}
