"""The nudged elastic band (NEB) method, batched over many paths.

Jónsson, Mills & Jacobsen (1998), with the improved tangent of Henkelman & Jónsson
(2000) and an optional climbing image (Henkelman, Uberuaga & Jónsson 2000). A band
of N pivots between two fixed endpoints is relaxed under the NEB force

    F_i = -(∇E(z_i) - (∇E(z_i)·τ_i) τ_i) + k (|z_{i+1} - z_i| - |z_i - z_{i-1}|) τ_i,

the true force perpendicular to the band plus a spring force along it; the climbing
image (the highest pivot) instead feels -∇E + 2 (∇E·τ) τ, which drives it up the
band to the saddle. All P bands of a batch are relaxed together: ``energy`` maps
points (P, N, *S) to energies (P, N).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

from .models import fold_batchnorm
from .paths import evaluate_linear, evaluate_path, linear_path, resample
from .progress import progress


@dataclass(frozen=True)
class NEBConfig:
    """Settings of a NEB relaxation."""

    n_pivots: int = 16  # movable images between the fixed endpoints
    steps: int = 200  # maximum iterations
    lr: float = 0.01  # step size (SGD: z += lr * F; Adam: lr of Adam on -F)
    spring: float = 1.0  # spring constant k
    optimizer: str = "adam"  # "adam" or "sgd"
    climbing: bool = False  # climbing image on the highest pivot
    climb_after: int = 0  # iterations before the climbing image switches on

    def validate(self) -> None:
        if self.n_pivots < 1 or self.steps < 0 or self.lr <= 0 or self.spring < 0:
            raise ValueError(f"bad NEB settings {self}")
        if self.optimizer not in ("adam", "sgd"):
            raise ValueError(f"unknown NEB optimizer {self.optimizer!r}; choose adam or sgd")


def tangents(path: torch.Tensor, energies: torch.Tensor) -> torch.Tensor:
    """Improved unit tangents at the inner points.

    path (P, N + 2, D) including endpoints, energies (P, N + 2) -> tau (P, N, D).
    Uphill neighbour's direction where the energy is monotonic, an energy-weighted
    mix of both directions at extrema (Henkelman & Jónsson 2000).
    """
    tp = path[:, 2:] - path[:, 1:-1]  # towards the next point
    tm = path[:, 1:-1] - path[:, :-2]  # from the previous point
    e_prev, e, e_next = energies[:, :-2], energies[:, 1:-1], energies[:, 2:]
    up = (e_next > e) & (e > e_prev)
    down = (e_next < e) & (e < e_prev)
    dmax = torch.maximum((e_next - e).abs(), (e_prev - e).abs()).unsqueeze(-1)
    dmin = torch.minimum((e_next - e).abs(), (e_prev - e).abs()).unsqueeze(-1)
    mixed = torch.where((e_next > e_prev).unsqueeze(-1), tp * dmax + tm * dmin, tp * dmin + tm * dmax)
    tau = torch.where(up.unsqueeze(-1), tp, torch.where(down.unsqueeze(-1), tm, mixed))
    return tau / tau.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def neb_forces(path: torch.Tensor, energies: torch.Tensor, grads: torch.Tensor, spring: float,
               climbing: bool) -> torch.Tensor:
    """NEB forces on the inner points: path (P, N+2, D), energies (P, N+2), grads of the
    energy at the inner points (P, N, D) -> forces (P, N, D)."""
    tau = tangents(path, energies)
    g_par = (grads * tau).sum(-1, keepdim=True)
    f_perp = -(grads - g_par * tau)
    d_next = (path[:, 2:] - path[:, 1:-1]).norm(dim=-1, keepdim=True)
    d_prev = (path[:, 1:-1] - path[:, :-2]).norm(dim=-1, keepdim=True)
    force = f_perp + spring * (d_next - d_prev) * tau
    if climbing:
        top = energies[:, 1:-1].argmax(1)  # (P,)
        climb = -grads + 2 * g_par * tau
        is_top = torch.zeros_like(energies[:, 1:-1], dtype=torch.bool)
        is_top[torch.arange(len(top)), top] = True
        force = torch.where(is_top.unsqueeze(-1), climb, force)
    return force


@dataclass
class NEBResult:
    path: torch.Tensor  # (P, N + 2, *S) final bands, endpoints included
    energies: torch.Tensor  # (P, N + 2) energies of the final pivots
    success_step: torch.Tensor  # (P,) first iteration at which ``done`` held (-1: never)
    history: list  # max pivot energy per checked iteration, (P,) each


def run_neb(energy: Callable[[torch.Tensor], torch.Tensor], z1: torch.Tensor, z2: torch.Tensor, cfg: NEBConfig,
                    done: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] | None = None, check_every: int = 10,
            init: torch.Tensor | None = None, desc: str = "NEB") -> NEBResult:
    """Relax P bands between z1 and z2 (P, *S) under ``energy`` ((P, K, *S) -> (P, K)).

    ``done(bands, idx) -> (len(idx),) bool`` is called with the still-active bands
    (n, N + 2, *S) and their indices every ``check_every`` iterations (and before the
    first); a band that is done is frozen and its iteration recorded. Bands start on
    the straight line unless ``init`` (P, N + 2, *S) is given. With Adam the step size
    is ``lr`` times each band's mean |z2 - z1| per coordinate, so one setting suits
    spaces of different scales.
    """
    cfg.validate()
    shape = z1.shape[1:]
    P = z1.shape[0]
    path = (linear_path(z1, z2, cfg.n_pivots + 2) if init is None else init.clone()).reshape(P, cfg.n_pivots + 2, -1)
    inner = path[:, 1:-1].clone()
    ends = (path[:, :1], path[:, -1:])
    success = torch.full((P,), -1, dtype=torch.long)
    active = torch.ones(P, dtype=torch.bool)
    opt_state = {"m": torch.zeros_like(inner), "v": torch.zeros_like(inner), "t": 0}
    scale = (path[:, -1] - path[:, 0]).abs().mean(1).view(P, 1, 1)  # per band
    history = []

    def full(x):
        return torch.cat([ends[0], x, ends[1]], dim=1)

    with torch.no_grad():  # the endpoints never move: their energies once
        e_ends = energy(torch.cat(ends, 1).view(P, 2, *shape))

    def energies_and_grads(x):
        x = x.detach().requires_grad_(True)
        e_in = energy(x.view(P, cfg.n_pivots, *shape))
        (g,) = torch.autograd.grad(e_in.sum(), x)
        return torch.cat([e_ends[:, :1], e_in.detach(), e_ends[:, 1:]], 1), g

    bar = progress(total=cfg.steps, desc=desc)
    for step in range(cfg.steps + 1):
        if done is not None and (step % check_every == 0 or step == cfg.steps):
            idx = active.nonzero().flatten()
            ok = torch.zeros(P, dtype=torch.bool)
            with torch.no_grad():
                ok[idx] = done(full(inner)[idx].view(len(idx), cfg.n_pivots + 2, *shape), idx)
            success[ok] = step
            active &= ~ok
            if not active.any():
                break
        if step == cfg.steps:
            break
        e, g = energies_and_grads(inner)
        history.append(e[:, 1:-1].max(1).values)
        climbing = cfg.climbing and step >= cfg.climb_after
        with torch.no_grad():
            f = neb_forces(full(inner), e, g, cfg.spring, climbing)
            f = f * active.view(P, 1, 1)  # frozen bands stay where they succeeded
            if cfg.optimizer == "sgd":
                inner = inner + cfg.lr * f
            else:  # Adam on the "gradient" -F
                st = opt_state
                st["t"] += 1
                st["m"].mul_(0.9).add_(-f, alpha=0.1)
                st["v"].mul_(0.999).addcmul_(f, f, value=0.001)
                mhat = st["m"] / (1 - 0.9 ** st["t"])
                vhat = st["v"] / (1 - 0.999 ** st["t"])
                inner = inner - cfg.lr * scale * mhat / (vhat.sqrt() + 1e-8) * active.view(P, 1, 1)
        bar.update(1)
    bar.close()
    final = full(inner)
    with torch.no_grad():
        e_final = energy(final.view(P, cfg.n_pivots + 2, *shape))
    return NEBResult(final.view(P, cfg.n_pivots + 2, *shape).detach(), e_final.detach(), success, history)


def classifier_energy(tail: torch.nn.Module, target: torch.Tensor):
    """E(z) = cross-entropy of the pair's target class under ``tail``: (P, K, *S) -> (P, K)."""

    def energy(z):
        P, K = z.shape[:2]
        logits = tail(z.reshape(P * K, *z.shape[2:]))
        return F.cross_entropy(logits, target.repeat_interleave(K), reduction="none").view(P, K)

    return energy


def connect_pairs(tail: torch.nn.Module, z1: torch.Tensor, z2: torch.Tensor, target: torch.Tensor,
                  n_linear: int, cfg: NEBConfig, per_segment: int = 10, check_every: int = 10,
                  desc: str = "NEB") -> dict:
    """Gu & Borovykh's test for P pairs of points z1, z2 (P, *S) of class ``target`` (P,)
    in the space that ``tail`` classifies.

    * linear: every one of ``n_linear`` points of the segment is classified as target;
    * nonlinear: not linear, but NEB (energy = target cross-entropy) finds a band whose
      piecewise-linear path, resampled with ``per_segment`` points per segment, is
      classified as target everywhere;
    * none: neither.

    Returns ``category`` (list of P strings), ``linear`` and ``nonlinear`` (P,) bools,
    ``iterations`` (P,) NEB iterations to success (-1 if linear or never), the
    ``linear_eval`` of the segment and the NEB ``result`` (for the non-linear pairs).
    """
    tail = fold_batchnorm(tail)  # the same function with fewer passes over memory
    lin_eval = evaluate_linear(tail, z1, z2, n_linear, target)
    linear = lin_eval["all_target"]
    todo = (~linear).nonzero().flatten()
    nonlinear = torch.zeros_like(linear)
    iterations = torch.full(linear.shape, -1, dtype=torch.long)
    result = None
    if len(todo):
        tgt = target[todo]

        def done(bands, idx):
            return evaluate_path(tail, resample(bands, per_segment), tgt[idx])["all_target"]

        result = run_neb(classifier_energy(tail, tgt), z1[todo], z2[todo], cfg, done=done,
                         check_every=check_every, desc=desc)
        ok = result.success_step >= 0
        nonlinear[todo] = ok
        iterations[todo] = result.success_step
    category = ["linear" if a else "nonlinear" if b else "none" for a, b in zip(linear.tolist(), nonlinear.tolist())]
    return {"category": category, "linear": linear, "nonlinear": nonlinear, "iterations": iterations,
            "linear_eval": lin_eval, "result": result, "neb_index": todo}


# ------------------------------------------------------------------ Müller-Brown
MB_A = (-200.0, -100.0, -170.0, 15.0)
MB_a = (-1.0, -1.0, -6.5, 0.7)
MB_b = (0.0, 0.0, 11.0, 0.6)
MB_c = (-10.0, -10.0, -6.5, 0.7)
MB_x0 = (1.0, 0.0, -0.5, -1.0)
MB_y0 = (0.0, 0.5, 1.5, 1.0)


def muller_brown(z: torch.Tensor) -> torch.Tensor:
    """The Müller-Brown potential V(x, y); z (..., 2) -> (...)."""
    x, y = z[..., 0], z[..., 1]
    v = torch.zeros_like(x)
    for A, a, b, c, x0, y0 in zip(MB_A, MB_a, MB_b, MB_c, MB_x0, MB_y0):
        dx, dy = x - x0, y - y0
        v = v + A * torch.exp(a * dx * dx + b * dx * dy + c * dy * dy)
    return v


def connect_in_layer(model: torch.nn.Module, model_key: str, ds, layer: str, pair_seed: int, n_pairs: int,
                     n_linear: int, cfg: NEBConfig, per_segment: int, check_every: int) -> dict:
    """:func:`connect_pairs` for ``n_pairs`` same-class pairs of ``ds`` (drawn with
    ``pair_seed``) in the latent space after ``layer``; cached by every setting.

    Returns ``pairs`` (P, 2) indices, ``target`` (P,), ``category``, ``iterations``,
    ``linear_max_loss`` (P,), and for the NEB pairs ``neb_index`` and ``bands``
    (n, N + 2, *S) with their ``band_energies``.
    """
    from dataclasses import asdict

    from .caching import cached
    from .models import split_model
    from .paths import same_class_pairs

    def compute():
        idx, cls, _ = same_class_pairs(model, ds, n_pairs, pair_seed)
        head, tail = split_model(model, layer)
        with torch.no_grad():
            z1, z2 = head(ds.x[idx[:, 0]]), head(ds.x[idx[:, 1]])
        r = connect_pairs(tail, z1, z2, cls, n_linear, cfg, per_segment, check_every, desc=f"NEB {layer}")
        res = r["result"]
        return {"pairs": idx, "target": cls, "category": r["category"], "iterations": r["iterations"],
                "linear_max_loss": r["linear_eval"]["loss"].max(1).values, "neb_index": r["neb_index"],
                "bands": None if res is None else res.path, "band_energies": None if res is None else res.energies}

    params = {"model": model_key, "data": [ds.name, ds.split, len(ds)], "layer": layer, "pair_seed": pair_seed,
              "n_pairs": n_pairs, "n_linear": n_linear, "neb": asdict(cfg), "per_segment": per_segment,
              "check_every": check_every}
    return cached("gu2023-connect", params, compute)
