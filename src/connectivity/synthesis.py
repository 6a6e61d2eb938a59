"""Class-optimal inputs made by optimisation (feature visualisation, Olah et al. 2017),
as used by Vrabel et al. for synthetic (§4.3) and untrained-network (§4.4) modes.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .bypass import tv1
from .models import fold_batchnorm
from .progress import progress


@dataclass(frozen=True)
class SynthesisConfig:
    """Adam on the input; the study's §4.4 settings as defaults."""

    lr: float = 0.05
    weight_decay: float = 1e-7
    iterations: int = 8192
    threshold: float = 5e-4  # stop an input once its cross-entropy is below this
    init_scale: float = 0.01  # start from init_offset + init_scale * N(0, 1)
    init_offset: float = 0.0
    clamp: bool = False  # keep pixels in [0, 1] (natural-looking images)
    jitter: int = 0  # random shift of up to this many pixels each step (transformation robustness)


def optimal_inputs(model: nn.Module, target: torch.Tensor, shape: tuple, cfg: SynthesisConfig,
                   tv_weight: torch.Tensor | None = None, seed: int = 0, desc: str = "synthesis") -> dict:
    """Inputs (n, *shape) that the model assigns to ``target`` (n,) with CE below the threshold.

    ``tv_weight`` (n,) adds a per-input TV₁ penalty (diversity / smoothness). Each input
    keeps its best iterate, and is frozen the first time it gets below the threshold.
    Returns ``x`` (n, *shape), ``loss`` (n,) and ``iterations`` (n,) used.
    """
    model = fold_batchnorm(model)  # frozen copy: no weight gradients, no batch-norm passes
    n = len(target)
    g = torch.Generator().manual_seed(seed)
    x = (cfg.init_offset + cfg.init_scale * torch.randn((n, *shape), generator=g)).requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr, weight_decay=cfg.weight_decay)
    tvw = torch.zeros(n) if tv_weight is None else tv_weight
    best, best_loss = x.detach().clone(), torch.full((n,), float("inf"))
    done, used = torch.zeros(n, dtype=torch.bool), torch.full((n,), cfg.iterations)
    for i in progress(range(cfg.iterations), desc=desc):
        inp = x
        if cfg.jitter:
            dx, dy = torch.randint(-cfg.jitter, cfg.jitter + 1, (2,), generator=g).tolist()
            inp = torch.roll(x, shifts=(dx, dy), dims=(-2, -1))
        ce = F.cross_entropy(model(inp), target, reduction="none")
        if not cfg.jitter:  # ce is the loss of the current iterate: no second forward pass needed
            with torch.no_grad():
                _keep_best(x, ce, i, best, best_loss, done, used, cfg.threshold)
            if bool(done.all()):
                break
        opt.zero_grad(set_to_none=True)
        (ce + tvw * tv1(x)).sum().backward()
        opt.step()
        with torch.no_grad():
            if cfg.clamp:
                x.clamp_(0, 1)
            if cfg.jitter:  # the loss that counts is that of the unshifted image
                _keep_best(x, F.cross_entropy(model(x), target, reduction="none"), i + 1, best, best_loss, done,
                           used, cfg.threshold)
        if bool(done.all()):
            break
    if not cfg.jitter and not bool(done.all()):  # the last iterate was never evaluated
        with torch.no_grad():
            _keep_best(x, F.cross_entropy(model(x), target, reduction="none"), cfg.iterations, best, best_loss,
                       done, used, cfg.threshold)
    return {"x": best, "loss": best_loss, "iterations": used}


def _keep_best(x, loss, iteration, best, best_loss, done, used, threshold) -> None:
    """Record iterate x (n, *S) with losses (n,) where it beats the best so far; an input
    whose loss is below the threshold is done (frozen at this iterate)."""
    better = (loss < best_loss) & ~done
    best[better] = x[better].detach()
    best_loss[better] = loss[better].detach()
    newly = ~done & (loss < threshold)
    used[newly] = iteration
    done |= newly


def free_barrier_optimiser(model: nn.Module, cfg: SynthesisConfig):
    """Barrier optimiser for :func:`connectivity.bypass.connect_modes` that minimises the
    target CE of the barrier points without any constraint (the study's §4.4 procedure)."""

    frozen = fold_batchnorm(model)

    def optimise(a, c, b, target):
        x = b.clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=cfg.lr, weight_decay=cfg.weight_decay)
        for _ in progress(range(cfg.iterations), desc="free barrier optimisation"):
            ce = F.cross_entropy(frozen(x), target, reduction="none")
            if bool((ce < cfg.threshold).all()):
                break
            opt.zero_grad(set_to_none=True)
            ce.sum().backward()
            opt.step()
        return x.detach()

    return optimise
