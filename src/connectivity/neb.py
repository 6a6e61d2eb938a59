"""The nudged elastic band (NEB) method, batched over many paths.

Jónsson, Mills & Jacobsen (1998), with the improved tangent of Henkelman & Jónsson
(2000) and an optional climbing image (Henkelman, Uberuaga & Jónsson 2000). A band
of N pivots between two fixed endpoints is relaxed under the NEB force

    F_i = -(∇E(z_i) - (∇E(z_i)·τ_i) τ_i) + k (|z_{i+1} - z_i| - |z_i - z_{i-1}|) τ_i,

the true force perpendicular to the band plus a spring force along it; the climbing
image (the highest pivot) instead feels -∇E + 2 (∇E·τ) τ, which drives it up the
band to the saddle. All P bands of a batch are relaxed together: ``energy`` maps
points (n, K, *S) of n bands (and their indices among the P, (n,)) to energies (n, K).

Gu & Borovykh (2023) use NEB with E(z) = cross-entropy of the pair's class under the
rest of the network (:class:`ClassifierEnergy`) to find same-class paths where the
straight segment leaves the class (:func:`connect_pairs`; their cached use in a layer of
a classifier: :func:`connectivity.pages.gu2023.connect.connect_in_layer`). The method's
known-answer test potential is :func:`connectivity.potentials.muller_brown`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from .input_paths import (
    band_times,
    evaluate_band,
    evaluate_linear,
    linear_path,
    segment_departure,
)
from .models import fold_batchnorm, model_device
from .progress import progress


@dataclass(frozen=True)
class NEBConfig:
    """Settings of a NEB relaxation."""

    n_pivots: int = 16  # movable images between the fixed endpoints
    steps: int = 200  # maximum iterations
    lr: float = 0.01  # step size (SGD: z += lr * F; Adam: lr x band scale, see run_neb)
    spring: float = 1.0  # spring constant k
    optimizer: Literal["adam", "sgd"] = "adam"
    climbing: bool = False  # climbing image on the highest pivot
    climb_after: int = 0  # iterations before the climbing image switches on

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if self.n_pivots < 1 or self.steps < 0 or self.lr <= 0 or self.spring < 0:
            raise ValueError(f"bad NEB settings {self}")
        if self.climb_after < 0:
            raise ValueError(f"climb_after must be >= 0, got {self.climb_after}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown NEB optimizer {self.optimizer!r}; choose adam or sgd")


def tangents(path: torch.Tensor, energies: torch.Tensor) -> torch.Tensor:
    """Improved unit tangents at the inner points.

    path (P, N + 2, D) including endpoints, energies (P, N + 2) -> tau (P, N, D).
    Uphill neighbour's direction where the energy is monotonic, an energy-weighted
    mix of both directions at extrema (Henkelman & Jónsson 2000).
    """
    tp = path[:, 2:] - path[:, 1:-1]
    tm = path[:, 1:-1] - path[:, :-2]
    a, b = _tangent_weights(energies)
    tau = a.unsqueeze(-1) * tp + b.unsqueeze(-1) * tm
    return tau / tau.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def _tangent_weights(energies: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(a, b) (P, N) with the improved tangent τ ∝ a·(z_{i+1} - z_i) + b·(z_i - z_{i-1})."""
    e_prev, e, e_next = energies[:, :-2], energies[:, 1:-1], energies[:, 2:]
    up = (e_next > e) & (e > e_prev)
    down = (e_next < e) & (e < e_prev)
    dn, dp = (e_next - e).abs(), (e_prev - e).abs()
    dmax, dmin = torch.maximum(dn, dp), torch.minimum(dn, dp)
    rising = e_next > e_prev
    a = torch.where(rising, dmax, dmin)
    b = torch.where(rising, dmin, dmax)
    one, zero = torch.ones_like(a), torch.zeros_like(a)
    a = torch.where(up, one, torch.where(down, zero, a))
    b = torch.where(up, zero, torch.where(down, one, b))
    return a, b


def _force_coefficients(
    gram: torch.Tensor, energies: torch.Tensor, spring: float, climbing: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """(α, β) (P, N) with the NEB force F = -∇E + α·t₊ + β·t₋ (t₊ = z_{i+1} - z_i,
    t₋ = z_i - z_{i-1}), from the Gram matrix (P, N, 3, 3) of (t₊, t₋, ∇E)."""
    a, b = _tangent_weights(energies)
    gpp, gmm, gpm = gram[..., 0, 0], gram[..., 1, 1], gram[..., 0, 1]
    ggp, ggm = gram[..., 2, 0], gram[..., 2, 1]
    norm = (a * a * gpp + 2 * a * b * gpm + b * b * gmm).clamp_min(1e-24).sqrt()
    g_par = (a * ggp + b * ggm) / norm  # ∇E·τ
    spring_term = spring * (gpp.clamp_min(0).sqrt() - gmm.clamp_min(0).sqrt())
    c = (g_par + spring_term) / norm
    if climbing:
        top = energies[:, 1:-1].argmax(1)
        is_top = torch.zeros_like(c, dtype=torch.bool)
        is_top[torch.arange(len(top), device=c.device), top] = True
        c = torch.where(is_top, 2 * g_par / norm, c)
    return c * a, c * b


@dataclass
class NEBResult:
    path: torch.Tensor  # (P, N + 2, *S) final bands (at success, if any), endpoints included
    energies: torch.Tensor  # (P, N + 2) energies of the final pivots
    success_step: torch.Tensor  # (P,) first iteration at which ``done`` held (-1: never)
    history: torch.Tensor  # (iterations, P) max pivot energy per iteration (nan: band done)


def _takes_index(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def run_neb(
    energy: Callable[..., torch.Tensor],
    z1: torch.Tensor,
    z2: torch.Tensor,
    cfg: NEBConfig,
    done: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
    check_every: int = 10,
    init: torch.Tensor | None = None,
    desc: str = "NEB",
) -> NEBResult:
    """Relax P bands between z1 and z2 (P, *S) under ``energy``.

    ``energy(z, idx)`` maps points (n, K, *S) of the bands ``idx`` (n,) to energies
    (n, K); a one-argument ``energy(z)`` must be the same function for every band.
    ``done(bands, idx) -> (n,) bool`` is called with the still-running bands
    (n, N + 2, *S) and their indices at iteration 0 and every ``check_every``
    iterations, always *after* ``energy`` was evaluated on exactly those bands (so a
    stateful energy may hand ``done`` what it saw); a band that is done is frozen,
    removed from the batch and its iteration recorded. Bands start on the straight
    line unless ``init`` (P, N + 2, *S) is given. With Adam the step size is ``lr``
    times each band's mean |z2 - z1| per coordinate, so one setting suits spaces of
    different scales. Everything runs on ``z1``'s device.
    """
    cfg.validate()
    device, shape, P, N = z1.device, z1.shape[1:], z1.shape[0], cfg.n_pivots
    path = linear_path(z1, z2, N + 2) if init is None else init.to(device).clone()
    path = path.reshape(P, N + 2, -1).contiguous()
    final = path.clone()
    success = torch.full((P,), -1, dtype=torch.long, device=device)
    history = torch.full((cfg.steps + 1, P), float("nan"), device=device)
    e_final = torch.full((P, N + 2), float("nan"), device=device)
    indexed = _takes_index(energy)

    def call(z, idx):
        return energy(z, idx) if indexed else energy(z)

    work = torch.arange(P, device=device)
    with torch.no_grad():  # the endpoints never move: their energies once
        e_ends = call(torch.stack([path[:, 0], path[:, -1]], 1).view(P, 2, *shape), work)
    scale = (path[:, -1] - path[:, 0]).abs().mean(1).view(P, 1, 1)
    m = torch.zeros_like(path[:, 1:-1]) if cfg.optimizer == "adam" else None
    v = torch.zeros_like(m) if m is not None else None
    workspace: dict = {}
    bar = progress(total=cfg.steps, desc=desc)
    for step in range(cfg.steps + 1):
        checking = done is not None and (step % check_every == 0 or step == cfg.steps)
        if step == cfg.steps and not checking:
            e_now = None
            break
        n = len(work)
        x = path[:, 1:-1].detach().clone().requires_grad_(True)
        e_in = call(x.view(n, N, *shape), work)
        e_now = torch.cat([e_ends[:, :1], e_in.detach(), e_ends[:, 1:]], 1)  # of ``path``
        keep = None
        if checking:
            with torch.no_grad():
                ok = done(path.view(n, N + 2, *shape), work).to(device)
            if ok.any():  # freeze the bands that are done and drop them from the batch
                success[work[ok]] = step
                final[work[ok]] = path[ok]
                e_final[work[ok]] = e_now[ok].to(e_final.dtype)
                keep = ~ok
                work, path, scale, e_ends = work[keep], path[keep], scale[keep], e_ends[keep]
                e_now = e_now[keep]
                if m is not None:
                    m, v = m[keep], v[keep]
        if step == cfg.steps or len(work) == 0:
            break
        (g,) = torch.autograd.grad(e_in.sum(), x)
        if keep is not None:
            g = g[keep]
        with torch.no_grad():
            history[step, work] = e_now[:, 1:-1].max(1).values.to(history.dtype)
            climbing = cfg.climbing and step >= cfg.climb_after
            _step(path, e_now, g, cfg, climbing, step, m, v, scale, workspace)
        e_now = None  # the band moved
        bar.update(1)
    bar.close()
    final[work] = path
    if len(work):
        if e_now is None:  # energies of the last positions (not yet evaluated)
            with torch.no_grad():
                e_now = call(path.view(len(work), N + 2, *shape), work)
        e_final[work] = e_now.to(e_final.dtype)
    final = final.view(P, N + 2, *shape)
    return NEBResult(final.detach(), e_final, success, history[: step + 1])


def _step(path, e, g, cfg: NEBConfig, climbing: bool, step: int, m, v, scale, ws: dict) -> None:
    """One in-place NEB update of the inner points of ``path`` (n, N + 2, D).

    Memory-bound: the work is a few passes over (n, N, D) tensors, kept few by writing the
    tangent differences into a persistent buffer ``ws["t"]`` (n, N, 2, D) whose Gram
    products give every dot product the force needs in one pass."""
    n, N, D = g.shape
    if ws.get("t") is None or ws["t"].shape[0] != n:
        ws["t"] = torch.empty(n, N, 2, D, dtype=g.dtype, device=g.device)
        ws["d"] = torch.empty_like(g) if m is not None else None
    t2 = ws["t"]
    tp, tm = t2[:, :, 0], t2[:, :, 1]
    torch.sub(path[:, 2:], path[:, 1:-1], out=tp)
    tm[:, 1:].copy_(tp[:, :-1])  # t₋ of pivot i is t₊ of pivot i - 1
    torch.sub(path[:, 1], path[:, 0], out=tm[:, 0])
    t2t = t2.transpose(-1, -2)
    gram = torch.zeros(n, N, 3, 3, dtype=g.dtype, device=g.device)
    gram[..., :2, :2] = t2 @ t2t
    gram[..., 2, :2] = (g.unsqueeze(2) @ t2t).squeeze(2)
    alpha, beta = _force_coefficients(gram, e, cfg.spring, climbing)
    # the "gradient" -F = ∇E - α t₊ - β t₋, built in place of the gradient
    g.addcmul_(alpha.unsqueeze(-1), tp, value=-1).addcmul_(beta.unsqueeze(-1), tm, value=-1)
    inner = path[:, 1:-1]
    if cfg.optimizer == "sgd":
        inner.add_(g, alpha=-cfg.lr)
        return
    t = step + 1
    m.lerp_(g, 0.1)
    v.mul_(0.999).addcmul_(g, g, value=0.001)
    bc1, bc2 = 1 - 0.9**t, 1 - 0.999**t
    k = bc1 / (cfg.lr * math.sqrt(bc2)) / scale  # (n, 1, 1): per-band step lr · scale
    denom = torch.sqrt(v, out=ws["d"])
    torch.addcmul(k * (1e-8 * math.sqrt(bc2)), denom, k, out=denom)  # (√v + ε') · k
    inner.addcdiv_(m, denom, value=-1)


class ClassifierEnergy:
    """E(z) = cross-entropy of each pair's target class under ``tail``:
    (n, K, *S), band indices (n,) -> (n, K). Remembers, per band of its last call,
    whether every point was classified as the target (:attr:`all_target`) - the
    pivots' check that costs no extra forward pass."""

    def __init__(self, tail: torch.nn.Module, target: torch.Tensor):
        self.tail, self.target = tail, target
        self.all_target: torch.Tensor | None = None

    def __call__(self, z: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
        n, K = z.shape[:2]
        target = self.target if idx is None else self.target[idx]
        logits = self.tail(z.reshape(n * K, *z.shape[2:]))
        tgt = target.repeat_interleave(K)
        self.all_target = (logits.detach().argmax(1) == tgt).view(n, K).all(1)
        return F.cross_entropy(logits, tgt, reduction="none").view(n, K)


def classifier_energy(tail: torch.nn.Module, target: torch.Tensor) -> ClassifierEnergy:
    """:class:`ClassifierEnergy` of ``tail`` and the pairs' classes ``target`` (P,)."""
    return ClassifierEnergy(tail, target)


@dataclass
class Connection:
    """Gu & Borovykh's verdict for P pairs (CPU tensors).

    ``category``: "linear", "nonlinear" or "none" per pair; ``iterations`` (P,): NEB
    iterations until the band was all target class (-1: linear, or never);
    ``linear_loss`` (P, n_linear): target cross-entropy along the segment;
    ``neb_index`` (n,): the pairs NEB ran on, with their ``bands`` (n, N + 2, *S) (at
    success, or after the last iteration), ``band_energies`` (n, N + 2) and how far each
    band left the segment: ``departure_linf`` (n,) (largest coordinate of any pivot's
    distance to the segment, in the space's units) and ``departure_rel_l2`` (n,)
    (largest pivot distance / segment length)."""

    category: list[str]
    iterations: torch.Tensor
    linear_loss: torch.Tensor
    neb_index: torch.Tensor
    bands: torch.Tensor | None
    band_energies: torch.Tensor | None
    departure_linf: torch.Tensor
    departure_rel_l2: torch.Tensor
    check_points: int  # points of each band checked per check (>= n_linear)

    def count(self, kind: str) -> int:
        return sum(c == kind for c in self.category)

    @property
    def linear_max_loss(self) -> torch.Tensor:
        return self.linear_loss.max(1).values

    def __getitem__(self, key: str):
        """The old dict interface (``gu["category"]``, ``gu["result"].path``, ...), kept
        for notebooks not yet converted; use the attributes."""
        if key == "linear":
            return torch.tensor([c == "linear" for c in self.category])
        if key == "nonlinear":
            return torch.tensor([c == "nonlinear" for c in self.category])
        if key == "result":
            from types import SimpleNamespace

            return SimpleNamespace(path=self.bands, energies=self.band_energies)
        return getattr(self, key)


def connect_pairs(
    tail: torch.nn.Module,
    z1: torch.Tensor,
    z2: torch.Tensor,
    target: torch.Tensor,
    n_linear: int,
    cfg: NEBConfig,
    check_every: int = 1,
    desc: str = "NEB",
) -> Connection:
    """Gu & Borovykh's test for P pairs of points z1, z2 ``(P, *S)`` of class ``target`` (P,)
    in the space that ``tail`` classifies (all on the tail's device).

    * linear: every one of ``n_linear`` equally spaced points of the segment is
      classified as target;
    * nonlinear: not linear, but NEB (energy = target cross-entropy) finds a band whose
      piecewise-linear path is classified as target at every point of the same
      ``n_linear``-point grid (now along the band) and at every pivot, checked every
      ``check_every`` iterations, from iteration 0 (a band that passes at iteration 0
      is the segment itself, and the pair counts as linear);
    * none: neither within ``cfg.steps`` iterations.
    """
    device = model_device(tail)
    tail = fold_batchnorm(tail)  # the same function with fewer passes over memory
    z1, z2, target = z1.to(device), z2.to(device), target.to(device)
    lin = evaluate_linear(tail, z1, z2, n_linear, target)
    linear = lin["all_target"]
    todo = (~linear).nonzero().flatten()
    iterations = torch.full(linear.shape, -1, dtype=torch.long, device=device)
    nonlinear = torch.zeros_like(linear)
    ts = band_times(cfg.n_pivots + 2, n_linear, device=device)
    bands = band_e = None
    linf = rel = torch.zeros(0)
    if len(todo):
        tgt = target[todo]
        energy = ClassifierEnergy(tail, tgt)

        def done(bands, idx):
            out = torch.zeros(len(idx), dtype=torch.bool, device=device)
            sel = energy.all_target.nonzero().flatten()  # the pivots alone pass
            if len(sel):
                out[sel] = evaluate_band(tail, bands[sel], ts, tgt[idx[sel]])["all_target"]
            return out

        res = run_neb(
            energy, z1[todo], z2[todo], cfg, done=done, check_every=check_every, desc=desc
        )
        linear[todo] |= res.success_step == 0
        nonlinear[todo] = res.success_step > 0
        iterations[todo] = torch.where(res.success_step > 0, res.success_step, -1)
        bands, band_e = res.path.cpu(), res.energies.cpu()
        linf, rel = segment_departure(res.path)
        linf, rel = linf.cpu(), rel.cpu()
    category = [
        "linear" if a else "nonlinear" if b else "none"
        for a, b in zip(linear.tolist(), nonlinear.tolist())
    ]
    return Connection(
        category, iterations.cpu(), lin["loss"].cpu(), todo.cpu(), bands, band_e, linf, rel, len(ts)
    )
