"""Class-optimal inputs made by optimisation (feature visualisation, Olah et al. 2017),
as Vrabel et al. (2024) make the synthetic modes of §4.3, the modes of an untrained
network (§4.4) and those of App. D.1, and the free barrier optimisation of §4.4.

As the official ``feature_visualization``: Adam (lr 0.05, weight decay 1e-7) on an
input that starts as small Gaussian noise (0.01 · N(0, 1)) in the network's input
coordinates, minimising the cross-entropy of the target class plus, for one input of
each pair, a TV₁ penalty on the input (weight 2.5e-7: diversity), until the
cross-entropy is below a threshold (5e-4) or the iterations run out; the best iterate
is kept. The official networks take *normalised* tensors, so here the optimisation
runs in the model's normalised coordinates ``z = (x - mean) / std`` (the noise, the
weight decay and the TV term are in z; ``coordinates="pixels"`` optimises pixels).
Results are returned in pixels.

Many inputs are optimised in one batch; an input that reaches the threshold leaves the
batch (its Adam state is kept for the others), so a batch costs what its slowest input
needs, not n times that.

Example::

    out = optimal_inputs(model, torch.tensor([0, 0]), (3, 32, 32), SynthesisConfig(),
                         tv_weight=torch.tensor([2.5e-7, 0.0]))
    out.loss, out.reached            # (2,) cross-entropy, (2,) below the threshold
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .bypass import tv1
from .models import fold_batchnorm, model_device, split_normalisation
from .progress import progress


@dataclass(frozen=True)
class SynthesisConfig:
    """Adam on the input; defaults are the paper's §4.4 settings."""

    lr: float = 0.05
    weight_decay: float = 1e-7
    iterations: int = 4096  # §4.4's text (the official script uses 8192)
    threshold: float = 5e-4  # stop an input once its cross-entropy is below this
    init_scale: float = 0.01  # start from init_offset + init_scale * N(0, 1) ...
    init_offset: float = 0.0  # ... in the optimisation coordinates (z = 0: the mean image)
    clamp: bool = False  # keep pixels in [0, 1] (natural-looking images)
    jitter: int = 0  # random shift of up to this many pixels each step (transformation robustness)
    coordinates: Literal["normalised", "pixels"] = "normalised"

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.iterations < 0 or self.threshold < 0 or self.weight_decay < 0:
            raise ValueError(f"bad synthesis settings {self}")
        if self.init_scale < 0 or self.jitter < 0:
            raise ValueError(f"bad synthesis settings {self}: init_scale, jitter >= 0")
        if self.coordinates not in ("normalised", "pixels"):
            raise ValueError(
                f"coordinates must be 'normalised' or 'pixels', not {self.coordinates!r}"
            )


@dataclass
class Synthesis:
    """Optimised inputs (CPU): ``x`` (n, *S) in pixels, their target cross-entropy
    ``loss`` (n,), the ``iterations`` (n,) each used and whether each ``reached`` the
    threshold (n,)."""

    x: torch.Tensor
    loss: torch.Tensor
    iterations: torch.Tensor
    reached: torch.Tensor
    threshold: float

    @property
    def all_reached(self) -> bool:
        return bool(self.reached.all())


def _coordinates(model: nn.Module, cfg: SynthesisConfig):
    net = fold_batchnorm(model)  # frozen copy: no weight gradients, no batch-norm passes
    device = model_device(net)
    if cfg.coordinates == "normalised":
        return split_normalisation(net)
    return torch.zeros(1, device=device), torch.ones(1, device=device), net


def minimise_ce(
    tail: nn.Module,
    z0: torch.Tensor,
    target: torch.Tensor,
    cfg: SynthesisConfig,
    tv_weight: torch.Tensor | None = None,
    bounds: tuple[torch.Tensor, torch.Tensor] | None = None,
    seed: int = 0,
    desc: str = "synthesis",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Adam from z0 (n, *S) (on the tail's device) on CE(target, tail(z)) + tv_weight ·
    TV₁(z); each row stops at the first evaluated iterate with CE below
    ``cfg.threshold`` and leaves the batch. ``bounds`` (lo, hi) clamp z after each step.
    Returns the best iterate per row (n, *S), its CE (n,), iterations used (n,) and
    reached (n,) (the last three on the CPU)."""
    device = z0.device
    n = len(z0)
    g = torch.Generator().manual_seed(seed)
    tvw = torch.zeros(n, device=device) if tv_weight is None else tv_weight.to(device)
    tvw = tvw.to(z0.dtype)
    target = target.to(device)
    best = z0.detach().clone()
    best_loss = torch.full((n,), float("inf"), device=device, dtype=z0.dtype)
    used = torch.full((n,), cfg.iterations, dtype=torch.long)
    reached = torch.zeros(n, dtype=torch.bool)
    active = torch.arange(n, device=device)
    z = z0.detach().clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=cfg.lr, weight_decay=cfg.weight_decay)

    def record(x, loss, i):
        """Keep the best iterates of the active rows; return the rows now done."""
        with torch.no_grad():
            better = loss < best_loss[active]
            rows = active[better]
            best[rows] = x.detach()[better]
            best_loss[rows] = loss.detach()[better]
            done = loss < cfg.threshold
            used[active[done].cpu()] = i
            reached[active[done].cpu()] = True
        return done

    for i in progress(range(cfg.iterations), desc=desc):
        inp = z
        if cfg.jitter:
            dx, dy = torch.randint(-cfg.jitter, cfg.jitter + 1, (2,), generator=g).tolist()
            inp = torch.roll(z, shifts=(dx, dy), dims=(-2, -1))
        ce = F.cross_entropy(tail(inp), target[active], reduction="none")
        done = record(z, ce, i) if not cfg.jitter else torch.zeros_like(ce, dtype=torch.bool)
        total = ce + tvw[active] * tv1(z) if bool((tvw[active] > 0).any()) else ce
        (z.grad,) = torch.autograd.grad(total.sum(), z)
        opt.step()
        if bounds is not None:
            with torch.no_grad():
                z.copy_(torch.maximum(torch.minimum(z, bounds[1]), bounds[0]))
        if cfg.jitter:  # the loss that counts is that of the unshifted image
            with torch.no_grad():
                done = record(z, F.cross_entropy(tail(z), target[active], reduction="none"), i + 1)
        if bool(done.any()):
            keep = ~done
            active = active[keep]
            if not len(active):
                break
            z, opt = _drop_rows(z, opt, keep, cfg)
    else:  # the last iterate was never evaluated
        if not cfg.jitter and len(active):
            with torch.no_grad():
                record(
                    z, F.cross_entropy(tail(z), target[active], reduction="none"), cfg.iterations
                )
    return best, best_loss.cpu(), used, reached


def _drop_rows(z: torch.Tensor, opt: torch.optim.Adam, keep: torch.Tensor, cfg: SynthesisConfig):
    """A smaller Adam problem with only rows ``keep`` of z, their moments carried over."""
    state = opt.state[z]
    new = z.detach()[keep].clone().requires_grad_(True)
    new_opt = torch.optim.Adam([new], lr=cfg.lr, weight_decay=cfg.weight_decay)
    if state:
        new_opt.state[new] = {
            "step": state["step"].clone(),
            "exp_avg": state["exp_avg"][keep].clone(),
            "exp_avg_sq": state["exp_avg_sq"][keep].clone(),
        }
    return new, new_opt


def optimal_inputs(
    model: nn.Module,
    target: torch.Tensor,
    shape: tuple,
    cfg: SynthesisConfig,
    tv_weight: torch.Tensor | None = None,
    seed: int = 0,
    desc: str = "synthesis",
) -> Synthesis:
    """Inputs (n, *shape) that the model assigns to ``target`` (n,) with CE below the
    threshold (see the module docstring); ``tv_weight`` (n,) is each input's TV₁ weight."""
    mean, std, tail = _coordinates(model, cfg)
    device = mean.device
    dtype = next((p.dtype for p in tail.parameters()), torch.float32)
    g = torch.Generator().manual_seed(seed)
    z0 = cfg.init_offset + cfg.init_scale * torch.randn((len(target), *shape), generator=g)
    bounds = ((0 - mean) / std, (1 - mean) / std) if cfg.clamp else None
    best, loss, used, reached = minimise_ce(
        tail, z0.to(device=device, dtype=dtype), target, cfg, tv_weight, bounds, seed, desc
    )
    return Synthesis((mean + std * best).cpu(), loss, used, reached, cfg.threshold)


def free_barrier_optimiser(cfg: SynthesisConfig):
    """Barrier optimiser for :func:`connectivity.bypass.connect_modes` that minimises the
    target CE of the barrier points without any constraint (§4.4, the official
    ``optimize_point``: Adam lr 0.05, weight decay 1e-7, up to 4096 iterations or CE
    below 5e-4), in the bypass's optimisation coordinates."""

    def optimise(tail, a, c, b, target):
        best, _, _, _ = minimise_ce(tail, b, target, cfg, desc="free barrier optimisation")
        return best

    return optimise


__all__ = [
    "Synthesis",
    "SynthesisConfig",
    "free_barrier_optimiser",
    "minimise_ce",
    "optimal_inputs",
]
