"""Loss barriers on linear paths between input modes, and how to bypass them
(Vrabel, Shem-Ur, Oz & Krueger 2024, §3).

Modes A and C of class y; on the straight path the point B of maximum loss is the
barrier. Starting from B, Adam minimises

    CE(y, f(x)) + λ_mse · mean((x - B)²) + λ_hf · TV₁(x - B),

and before every step the gradient's component along C - A is removed, so that the
optimum B' stays in the hyperplane through B orthogonal to AC (after the Adam step
the iterate is projected back onto that hyperplane as well, because Adam's
per-coordinate scaling would otherwise leak a tiny component along AC). The path
A -> B' -> C replaces AC; segments whose loss still exceeds a threshold are bypassed
again, round after round. All segments of all pairs that need a bypass are optimised
together, in one batch.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .models import fold_batchnorm
from .paths import linear_path
from .progress import progress


@dataclass(frozen=True)
class BypassConfig:
    """Settings of the study (§4.1) as defaults."""

    lr: float = 0.005
    iterations: int = 1024
    lambda_mse: float = 0.1
    lambda_hf: float = 1e-8
    n_linear: int = 1000  # points on the primary (straight) path
    per_segment: int = 500  # points per segment of bypassed paths
    threshold: float = 0.1  # a segment whose max loss exceeds this is bypassed again
    max_rounds: int = 3
    project_iterate: bool = True  # re-project after each Adam step (exact orthogonality)

    def validate(self) -> None:
        if self.lr <= 0 or self.iterations < 0 or self.n_linear < 3 or self.per_segment < 3 or self.max_rounds < 0:
            raise ValueError(f"bad bypass settings {self}")


def tv1(d: torch.Tensor) -> torch.Tensor:
    """L1 total variation per sample: d (P, C, H, W) -> (P,) (zero for non-image points)."""
    if d.dim() != 4:
        return torch.zeros(len(d), dtype=d.dtype, device=d.device)
    return (d[..., :, 1:] - d[..., :, :-1]).abs().flatten(1).sum(1) + \
        (d[..., 1:, :] - d[..., :-1, :]).abs().flatten(1).sum(1)


def _project_out(t: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Remove from each t[p] its component along the unit vector u[p]; t, u (P, ...)."""
    coef = (t.flatten(1) * u.flatten(1)).sum(1).view(-1, *[1] * (t.dim() - 1))
    return t - coef * u


def optimise_barriers(loss_fn, a: torch.Tensor, c: torch.Tensor, b: torch.Tensor, cfg: BypassConfig,
                      desc: str = "bypass") -> tuple[torch.Tensor, torch.Tensor]:
    """Optimise barrier points b (P, *S) in the hyperplanes through b orthogonal to c - a.

    ``loss_fn(x) -> (P,)`` is the per-sample task loss (e.g. the target cross-entropy).
    Returns (b_prime (P, *S), task loss per iteration (iterations, P)).
    """
    u = (c - a).flatten(1)
    u = (u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)).view_as(a)
    x = b.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr)
    trace = torch.zeros(cfg.iterations, len(b))
    for i in progress(range(cfg.iterations), desc=desc):
        task = loss_fn(x)
        d = x - b
        total = task + cfg.lambda_mse * d.flatten(1).pow(2).mean(1) + cfg.lambda_hf * tv1(d)
        opt.zero_grad(set_to_none=True)
        total.sum().backward()  # pairs are independent: the sum gives each its own gradient
        with torch.no_grad():
            x.grad.copy_(_project_out(x.grad, u))
        opt.step()
        if cfg.project_iterate:
            with torch.no_grad():
                x.copy_(b + _project_out(x - b, u))
        trace[i] = task.detach()
    return x.detach(), trace


def ce_loss(model: nn.Module, target: torch.Tensor):
    """x (P, *S) -> (P,) cross-entropy of each sample's target class."""

    def loss(x):
        return F.cross_entropy(model(x), target, reduction="none")

    return loss


@torch.no_grad()
def path_losses(model: nn.Module, vertices: torch.Tensor, target: int, points: int,
                batch_size: int = 1000) -> tuple[torch.Tensor, torch.Tensor]:
    """Loss and prediction along the piecewise-linear path through vertices (V, *S),
    ``points`` per segment (endpoints included) -> (V - 1, points) each."""
    segs = linear_path(vertices[:-1], vertices[1:], points)  # (V-1, points, *S)
    flat = segs.flatten(0, 1)
    logits = torch.cat([model(flat[i:i + batch_size]) for i in range(0, len(flat), batch_size)])
    tgt = torch.full((len(flat),), int(target))
    loss = F.cross_entropy(logits, tgt, reduction="none").view(len(vertices) - 1, points)
    return loss, logits.argmax(1).view(len(vertices) - 1, points)


def connect_modes(model: nn.Module, a: torch.Tensor, c: torch.Tensor, target: torch.Tensor, cfg: BypassConfig,
                  loss_fn=None, barrier_optimiser=None) -> dict:
    """Bypass the barriers between modes a, c (P, *S) of classes ``target`` (P,), in rounds.

    Returns ``vertices`` (list of P tensors (V_p, *S)), per round ``rounds`` (list of
    dicts with ``max_loss`` (P,), ``all_target`` (P,) and the per-segment ``curves``),
    ``rounds_to_threshold`` (P,) (-1: not within ``max_rounds``), the primary barrier
    points ``b`` and first-round ``b_prime`` (P, *S), and ``max_abs_cos``: the largest
    |cos| between any B' - B and its segment's direction (orthogonality check).
    ``barrier_optimiser(a, c, b, target) -> b'`` replaces the hyperplane optimisation
    (e.g. the unconstrained optimisation used for untrained networks).
    """
    cfg.validate()
    model = fold_batchnorm(model)  # the same function with fewer passes over memory
    P = len(a)
    vertices = [torch.stack([a[p], c[p]]) for p in range(P)]
    rounds, rounds_to = [], torch.full((P,), -1, dtype=torch.long)
    max_cos = 0.0
    first_b = first_bp = None
    for r in range(cfg.max_rounds + 1):
        points = cfg.n_linear if r == 0 else cfg.per_segment
        curves, todo = [], []
        max_loss, all_t = torch.zeros(P), torch.zeros(P, dtype=torch.bool)
        for p in range(P):
            loss, pred = path_losses(model, vertices[p], int(target[p]), points)
            curves.append(loss)
            max_loss[p] = loss.max()
            all_t[p] = bool((pred == target[p]).all())
            for s in range(len(loss)):
                if loss[s].max() > cfg.threshold:
                    todo.append((p, s, int(loss[s].argmax())))
        rounds.append({"max_loss": max_loss, "all_target": all_t, "curves": curves})
        rounds_to[(max_loss <= cfg.threshold) & (rounds_to < 0)] = r
        if not todo or r == cfg.max_rounds:
            break
        # one batch: every segment, of every pair, that still has a barrier
        sa = torch.stack([vertices[p][s] for p, s, _ in todo])
        sc = torch.stack([vertices[p][s + 1] for p, s, _ in todo])
        t = torch.tensor([k / (points - 1) for _, _, k in todo]).view(-1, *[1] * (a.dim() - 1))
        sb = (1 - t) * sa + t * sc
        st = torch.stack([target[p] for p, _, _ in todo])
        if barrier_optimiser is None:
            fn = loss_fn(st) if loss_fn is not None else ce_loss(model, st)
            bp, _ = optimise_barriers(fn, sa, sc, sb, cfg, desc=f"bypass round {r + 1}")
            cos = ((bp - sb).flatten(1) * (sc - sa).flatten(1)).sum(1) / (
                (bp - sb).flatten(1).norm(dim=1) * (sc - sa).flatten(1).norm(dim=1)).clamp_min(1e-30)
            max_cos = max(max_cos, cos.abs().max().item())
        else:
            bp = barrier_optimiser(sa, sc, sb, st)
        if r == 0:
            first_b, first_bp = sb, bp
        # insert B' after vertex s (later segments first, so indices stay valid)
        for k in sorted(range(len(todo)), key=lambda k: (todo[k][0], -todo[k][1])):
            p, s, _ = todo[k]
            vertices[p] = torch.cat([vertices[p][:s + 1], bp[k:k + 1], vertices[p][s + 1:]])
    return {"vertices": vertices, "rounds": rounds, "rounds_to_threshold": rounds_to, "b": first_b,
            "b_prime": first_bp, "max_abs_cos": max_cos}
