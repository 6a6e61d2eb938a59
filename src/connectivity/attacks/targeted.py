"""The targeted attack of Vrabel et al. (2024) §4.2.

:func:`targeted_attack` optimises in the model's *normalised* coordinates
``z = (x - mean) / std``, as the official code does (it applies Adam with lr 0.005,
λ_mse 0.1 and λ_hf 1e-8 to ImageNet-normalised tensors), without pixel bounds. Every
model of this book takes pixels in [0, 1] and normalises them in its first stage
(:class:`connectivity.models.Normalize`); the attack takes and returns pixels. It is
batched (examples that are done drop out of the batch), runs on the model's device and
returns CPU tensors.

Example::

    res = targeted_attack(model, k, target, stop_below, TargetedAttackConfig())
    res.x[res.success]                                   # the adversarials
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..bypass import tv1
from ..models import fold_batchnorm, model_device, split_normalisation
from ..progress import progress
from .adam import _Adam


@dataclass(frozen=True)
class TargetedAttackConfig:
    """The targeted attack of Vrabel et al. §4.2 (defaults: the statistics experiment,
    ``compute_adversarial_barriers`` of the official code)."""

    lr: float = 0.005
    iterations: int = 512
    lambda_mse: float = 0.1
    lambda_hf: float = 1e-8
    min_iterations: int = 33  # the official loop may stop only when i > 32
    clamp_pixels: bool = False  # the official code leaves the pixel range unbounded

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.iterations < 1 or self.min_iterations < 0:
            raise ValueError(f"bad targeted attack settings {self}")
        if self.lambda_mse < 0 or self.lambda_hf < 0:
            raise ValueError("penalty weights must be >= 0")


@dataclass
class TargetedAttackResult:
    """Adversarials ``x`` (n, C, H, W) in pixels, their target cross-entropy ``loss``
    (n,), ``success`` (n,) (classified as the target), ``stopped`` (n,) (reached
    ``stop_below``) and ``iterations`` (n,) used."""

    x: torch.Tensor
    loss: torch.Tensor
    success: torch.Tensor
    stopped: torch.Tensor
    iterations: torch.Tensor


def targeted_attack(
    model: nn.Module,
    source: torch.Tensor,
    target: torch.Tensor,
    stop_below: torch.Tensor | None,
    cfg: TargetedAttackConfig,
) -> TargetedAttackResult:
    """Targeted adversarials from source images K (n, C, H, W) in pixels towards classes
    ``target`` (n,) (Vrabel et al. §4.2): Adam in normalised coordinates z on

        CE(target, f(z)) + λ_mse · mean((z - z_K)²) + λ_hf · TV₁(z - z_K),

    each example frozen at the first evaluated iterate (from ``cfg.min_iterations`` on)
    whose cross-entropy is below ``stop_below`` (n,) — the loss of the real mode it is
    paired with — else after ``cfg.iterations``.

    >>> res = targeted_attack(model, k, torch.tensor([3]), torch.tensor([0.05]),
    ...                       TargetedAttackConfig())          # doctest: +SKIP
    """
    net = fold_batchnorm(model)
    device = model_device(net)
    mean, std, tail = split_normalisation(net)
    n = len(source)
    target = target.to(device)
    limit = (
        torch.full((n,), -math.inf, device=device) if stop_below is None else stop_below.to(device)
    )
    z0 = (source.to(device) - mean) / std
    z = z0.clone()
    best = z0.clone()
    used = torch.full((n,), cfg.iterations, dtype=torch.long)
    stopped = torch.zeros(n, dtype=torch.bool)
    adam = _Adam(z, cfg.lr)
    lo, hi = (0 - mean) / std, (1 - mean) / std
    active = torch.arange(n, device=device)
    for i in progress(range(cfg.iterations), desc="targeted attack"):
        zi = z[active].clone().requires_grad_(True)
        ce = F.cross_entropy(tail(zi), target[active], reduction="none")
        with torch.no_grad():
            done = (ce < limit[active]) if i >= cfg.min_iterations else torch.zeros_like(ce) > 0
        if bool(done.any()):
            rows = active[done]
            best[rows] = zi.detach()[done]
            used[rows.cpu()] = i
            stopped[rows.cpu()] = True
        d = zi - z0[active]
        total = ce + cfg.lambda_mse * d.flatten(1).pow(2).mean(1) + cfg.lambda_hf * tv1(d)
        (grad,) = torch.autograd.grad(total.sum(), zi)
        keep = ~done
        active, grad = active[keep], grad[keep]
        if len(active) == 0:
            break
        adam.step(active, grad)
        if cfg.clamp_pixels:
            z[active] = torch.maximum(torch.minimum(z[active], hi), lo)
    with torch.no_grad():
        best[active] = z[active]
        logits = tail(best)
        loss = F.cross_entropy(logits, target, reduction="none")
        x = mean + std * best
    return TargetedAttackResult(
        x.cpu(), loss.cpu(), (logits.argmax(1) == target).cpu(), stopped, used
    )
