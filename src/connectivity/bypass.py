"""Loss barriers on straight paths between input modes, and how to bypass them
(Vrabel, Shem-Ur, Oz & Krueger 2024, §3 and §4.1).

Modes A and C of class y; on the straight path the point B of maximum loss is the
barrier. Starting from B, Adam minimises

    CE(y, f(x)) + λ_mse · mean((x - B)²) + λ_hf · TV₁(x - B),

and before every step the gradient's component along C - A is removed, so that the
optimum B' stays in the hyperplane through B orthogonal to AC. The path A -> B' -> C
replaces AC; segments whose loss still exceeds a threshold are bypassed again, round
after round (the official ``bypass_barrier``).

**Coordinates.** Every model of this book takes pixels in [0, 1] and normalises them
in its first stage. The official code applies its settings (lr 0.005, λ_mse 0.1,
λ_hf 1e-8) to *normalised* tensors, so the optimisation here runs in the model's
normalised coordinates ``z = (x - mean) / std`` too (``coordinates="normalised"``, the
default): the hyperplane, the MSE and the TV term are those of z. Paths are straight in
both coordinates, so loss curves do not depend on the choice; vertices are returned in
pixels.

**One difference from the official loop** (``project_iterate``, default on): after
each Adam step the iterate is projected back onto the hyperplane. The official code
projects only the gradient, and Adam's per-coordinate scaling then lets B' drift a
little along AC; the paper states the optimisation is *constrained within* the
hyperplane, which the projection makes exact. With ``project_iterate=False`` this is
the official loop (``tests/test_bypass.py`` compares them).

All segments of all pairs that need a bypass are optimised together, in one batch
(the pairs do not interact: each has its own loss terms and Adam is per coordinate).

Example::

    res = connect_modes(model, a, c, target, BypassConfig())   # a, c (P, 3, H, W)
    res.rounds[0].max_loss          # (P,) barrier heights of the straight paths
    res.rounds_to_threshold         # (P,) rounds until the path is below the threshold
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from .models import fold_batchnorm, model_device, split_normalisation
from .progress import progress


@dataclass(frozen=True)
class BypassConfig:
    """Settings of the bypass; defaults are the paper's (§4.1, official code)."""

    lr: float = 0.005
    iterations: int = 1024
    lambda_mse: float = 0.1
    lambda_hf: float = 1e-8
    n_linear: int = 1000  # points on the primary (straight) path
    per_segment: int = 500  # points per segment of bypassed paths
    threshold: float = 0.1  # a segment whose max loss exceeds this is bypassed again
    max_rounds: int = 3
    project_iterate: bool = True  # re-project after each Adam step (exact orthogonality)
    coordinates: Literal["normalised", "pixels"] = "normalised"

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.lr <= 0 or self.iterations < 0 or self.max_rounds < 0:
            raise ValueError(f"bad bypass settings {self}: lr > 0, iterations, max_rounds >= 0")
        if self.n_linear < 3 or self.per_segment < 3:
            raise ValueError(f"bad bypass settings {self}: n_linear, per_segment >= 3")
        if self.lambda_mse < 0 or self.lambda_hf < 0 or self.threshold < 0:
            raise ValueError(f"bad bypass settings {self}: penalties and threshold >= 0")
        if self.coordinates not in ("normalised", "pixels"):
            raise ValueError(
                f"coordinates must be 'normalised' or 'pixels', not {self.coordinates!r}"
            )


# ---------------------------------------------------------------- pieces


def tv1(d: torch.Tensor) -> torch.Tensor:
    """L1 total variation per sample (the official ``_high_freq_penalty``):
    d (P, C, H, W) -> (P,); zero for points that are not images."""
    if d.dim() != 4:
        return torch.zeros(len(d), dtype=d.dtype, device=d.device)
    return (d[..., :, 1:] - d[..., :, :-1]).abs().flatten(1).sum(1) + (
        d[..., 1:, :] - d[..., :-1, :]
    ).abs().flatten(1).sum(1)


def _project_out(t: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """Remove from each t[p] its component along the unit vector u[p]; t, u (P, ...)."""
    coef = (t.flatten(1) * u.flatten(1)).sum(1).view(-1, *[1] * (t.dim() - 1))
    return t - coef * u


def ce_loss(model: nn.Module, target: torch.Tensor):
    """x (P, *S) -> (P,) cross-entropy of each sample's target class."""

    def loss(x):
        return F.cross_entropy(model(x), target, reduction="none")

    return loss


def optimise_barriers(
    loss_fn,
    a: torch.Tensor,
    c: torch.Tensor,
    b: torch.Tensor,
    cfg: BypassConfig,
    desc: str = "bypass",
    bounds: tuple[float, float] | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Optimise barrier points b ``(P, *S)`` in the hyperplanes through b orthogonal to c - a,
    in whatever coordinates a, b, c are given (the caller chooses). ``bounds`` (lo, hi)
    clamp the iterate after every step (a search that must stay in a box).

    ``loss_fn(x) -> (P,)`` is the per-sample task loss (e.g. the target cross-entropy).
    Returns ``(b_prime (P, *S), task loss per iteration (iterations, P))``, on b's device.
    """
    u = (c - a).flatten(1)
    u = (u / u.norm(dim=1, keepdim=True).clamp_min(1e-12)).view_as(a)
    x = b.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr)
    trace = torch.zeros(cfg.iterations, len(b), device=b.device)
    for i in progress(range(cfg.iterations), desc=desc):
        task = loss_fn(x)
        d = x - b
        total = task + cfg.lambda_mse * d.flatten(1).pow(2).mean(1)
        if cfg.lambda_hf:
            total = total + cfg.lambda_hf * tv1(d)
        # pairs are independent: the sum gives each its own gradient
        (grad,) = torch.autograd.grad(total.sum(), x)
        x.grad = _project_out(grad, u)
        opt.step()
        if cfg.project_iterate:
            with torch.no_grad():
                x.copy_(b + _project_out(x - b, u))
        if bounds is not None:
            with torch.no_grad():
                x.clamp_(*bounds)
        trace[i] = task.detach()
    return x.detach(), trace


@torch.no_grad()
def segment_losses(
    tail: nn.Module,
    starts: torch.Tensor,
    ends: torch.Tensor,
    points: int,
    target: torch.Tensor,
    batch_points: int = 2048,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Target cross-entropy at ``points`` equally spaced points (ends included) of each
    segment starts[s] -> ends[s] (S, *X), and whether every point is classified as the
    target: loss (S, points), all_target (S,). Points are built batch by batch."""
    S = len(starts)
    numel = max(1, starts[0].numel()) if S else 1
    per_batch = max(1, min(batch_points, 2**26 // numel))
    ts = torch.linspace(0, 1, points, dtype=starts.dtype, device=starts.device)
    shape = [1] * (starts.dim() - 1)
    flat_s = torch.arange(S * points, device=starts.device)
    losses, correct = [], []
    for i in range(0, S * points, per_batch):
        idx = flat_s[i : i + per_batch]
        s, k = idx // points, idx % points
        a = starts.index_select(0, s)
        x = a + ts[k].view(-1, *shape) * (ends.index_select(0, s) - a)
        logits = tail(x)
        tgt = target.index_select(0, s)
        losses.append(F.cross_entropy(logits, tgt, reduction="none"))
        correct.append(logits.argmax(1) == tgt)
    if not S:
        return torch.zeros(0, points), torch.zeros(0, dtype=torch.bool)
    loss = torch.cat(losses).view(S, points)
    return loss, torch.cat(correct).view(S, points).all(1)


# ---------------------------------------------------------------- results


class _Fields:
    """Read access by name (``res["rounds"]``), for code written against the older
    dict results; new code uses the attributes."""

    def __getitem__(self, key: str):
        if key not in {f.name for f in fields(self)}:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return [f.name for f in fields(self)]

    def items(self):
        return [(k, getattr(self, k)) for k in self.keys()]


@dataclass
class BypassRound(_Fields):
    """The paths of every pair at the start of a round (round 0: the straight paths)."""

    max_loss: torch.Tensor  # (P,) the largest loss on each pair's path
    all_target: torch.Tensor  # (P,) every evaluated point classified as the class
    curves: list[torch.Tensor]  # per pair (segments, points): loss along each segment
    segments: torch.Tensor  # (P,) segments of each pair's path
    lengths: list[torch.Tensor]  # per pair (segments,): Euclidean length in pixels


@dataclass
class BypassResult(_Fields):
    """What :func:`connect_modes` found (CPU tensors; points in pixels)."""

    vertices: list[torch.Tensor]  # per pair (V, *S): A, the optimised points, C
    rounds: list[BypassRound]  # round 0 (straight) ... the last evaluated paths
    rounds_to_threshold: torch.Tensor  # (P,) first round at which the path is below the
    # threshold (0: the straight path already is; -1: not within max_rounds)
    b: torch.Tensor | None  # (Q, *S) the barrier points of the straight paths bypassed
    b_prime: torch.Tensor | None  # (Q, *S) their optimised points B'
    first_pairs: torch.Tensor  # (Q,) which pairs b and b_prime belong to
    max_abs_cos: float  # largest |cos(B' - B, C - A)| in the optimisation coordinates
    threshold: float
    max_rounds: int
    coordinates: str
    seconds: float = 0.0
    traces: list[torch.Tensor] = field(default_factory=list, repr=False)  # per round

    @property
    def final(self) -> BypassRound:
        return self.rounds[-1]

    def curve(self, pair: int, round_: int = -1) -> torch.Tensor:
        """The loss along pair ``pair``'s path at round ``round_``, segments one after the
        other (the curve :func:`connectivity.barriers.barrier_heights` reads)."""
        return self.rounds[round_].curves[pair].flatten()


# ---------------------------------------------------------------- the procedure


def connect_modes(
    model: nn.Module,
    a: torch.Tensor,
    c: torch.Tensor,
    target: torch.Tensor,
    cfg: BypassConfig,
    loss_fn=None,
    barrier_optimiser=None,
) -> BypassResult:
    """Bypass the barriers between modes a, c (P, *S) (pixels) of classes ``target`` (P,),
    in rounds, on the model's device (see the module docstring).

    Round r evaluates every pair's current path (``cfg.n_linear`` points on the straight
    path, ``cfg.per_segment`` per segment later); every segment whose largest loss
    exceeds ``cfg.threshold`` gets its worst point optimised (all in one batch) and
    split there, until no segment exceeds it or ``cfg.max_rounds`` rounds are done.

    ``loss_fn(tail, target) -> (x -> (P,))`` replaces the target cross-entropy of the
    optimisation; ``barrier_optimiser(tail, a, c, b, target) -> b'`` replaces the
    hyperplane optimisation itself (e.g. the free optimisation of §4.4); both work in
    the optimisation coordinates, with ``tail`` the network after its normalisation.
    """
    t0 = time.perf_counter()
    net = fold_batchnorm(model)  # the same function with fewer passes over memory
    device = model_device(net)
    if cfg.coordinates == "normalised":
        mean, std, tail = split_normalisation(net)
    else:
        mean, std, tail = torch.zeros(1, device=device), torch.ones(1, device=device), net
    za = (a.to(device) - mean) / std
    zc = (c.to(device) - mean) / std
    target = target.to(device)
    P = len(za)
    vertices = [torch.stack([za[p], zc[p]]) for p in range(P)]
    rounds: list[BypassRound] = []
    rounds_to = torch.full((P,), -1, dtype=torch.long)
    max_cos = 0.0
    first_b = first_bp = None
    first_pairs = torch.zeros(0, dtype=torch.long)
    traces = []
    for r in range(cfg.max_rounds + 1):
        points = cfg.n_linear if r == 0 else cfg.per_segment
        owner = torch.tensor([p for p in range(P) for _ in range(len(vertices[p]) - 1)])
        starts = torch.cat([v[:-1] for v in vertices])
        ends = torch.cat([v[1:] for v in vertices])
        loss, ok = segment_losses(tail, starts, ends, points, target[owner.to(device)])
        loss, ok = loss.cpu(), ok.cpu()
        seg_max = loss.max(1).values
        counts = torch.bincount(owner, minlength=P)
        max_loss = torch.stack([m.max() for m in seg_max.split(counts.tolist())])
        all_t = torch.stack([o.all() for o in ok.split(counts.tolist())])
        lengths = ((ends - starts) * std).flatten(1).norm(dim=1).cpu()
        split = counts.tolist()
        rounds.append(
            BypassRound(
                max_loss, all_t, list(loss.split(split)), counts, list(lengths.split(split))
            )
        )
        rounds_to[(max_loss <= cfg.threshold) & (rounds_to < 0)] = r
        todo = (seg_max > cfg.threshold).nonzero().flatten()
        if not len(todo) or r == cfg.max_rounds:
            break
        # one batch: every segment, of every pair, that still has a barrier
        k = loss[todo].argmax(1)
        t = (k.to(starts.dtype) / (points - 1)).to(device).view(-1, *[1] * (za.dim() - 1))
        sa, sc = starts[todo.to(device)], ends[todo.to(device)]
        sb = sa + t * (sc - sa)
        st = target[owner[todo].to(device)]
        if barrier_optimiser is None:
            fn = loss_fn(tail, st) if loss_fn is not None else ce_loss(tail, st)
            bp, trace = optimise_barriers(fn, sa, sc, sb, cfg, desc=f"bypass round {r + 1}")
            traces.append(trace.cpu())
            dv, ac = (bp - sb).flatten(1), (sc - sa).flatten(1)
            cos = (dv * ac).sum(1) / (dv.norm(dim=1) * ac.norm(dim=1)).clamp_min(1e-30)
            max_cos = max(max_cos, float(cos.abs().max()))
        else:
            bp = barrier_optimiser(tail, sa, sc, sb, st)
        if r == 0:
            first_b, first_bp, first_pairs = sb, bp, owner[todo]
        # insert B' after its segment's first vertex (later segments first per pair)
        offsets = torch.cumsum(counts, 0) - counts
        for j in sorted(range(len(todo)), key=lambda j: -int(todo[j])):
            p = int(owner[todo[j]])
            s = int(todo[j] - offsets[p])
            vertices[p] = torch.cat([vertices[p][: s + 1], bp[j : j + 1], vertices[p][s + 1 :]])

    def pixels(z):
        return None if z is None else (mean + std * z).cpu()

    return BypassResult(
        vertices=[pixels(v) for v in vertices],
        rounds=rounds,
        rounds_to_threshold=rounds_to,
        b=pixels(first_b),
        b_prime=pixels(first_bp),
        first_pairs=first_pairs,
        max_abs_cos=max_cos,
        threshold=cfg.threshold,
        max_rounds=cfg.max_rounds,
        coordinates=cfg.coordinates,
        seconds=time.perf_counter() - t0,
        traces=traces,
    )


__all__ = [
    "BypassConfig",
    "BypassResult",
    "BypassRound",
    "ce_loss",
    "connect_modes",
    "optimise_barriers",
    "segment_losses",
    "tv1",
]
