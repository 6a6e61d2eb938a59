"""Site percolation, the Bethe-lattice mean field, and the conjecture of Vrabel et al. §5.

* :func:`spanning_probability` - fraction of random L^d lattices (sites open with
  probability p) with an open cluster joining two opposite faces;
* :func:`estimate_pc` - the p at which that fraction is 1/2, by bisection on a common
  set of random numbers (so the estimate is monotone and reproducible);
* :func:`bethe_infinite_cluster` - the mean-field (Bethe lattice, coordination z)
  probability that a site belongs to the infinite cluster;
* :func:`largest_cluster_fraction` - its lattice counterpart from simulation;
* :func:`flood_fill_connected` - for a function on a grid, whether two cells are joined
  by cells whose value stays within ε of the first cell's value;
* Conjecture 5.1 on a network at initialisation (:class:`RandomMLP`, no bottleneck:
  its hidden width grows with the input dimension n): :func:`similar_pairs` draws
  pairs of the cube [-1, 1]^n with outputs within ε, :func:`grid_connected` answers
  exactly (up to the grid) for n = 2, 3 by flood fill of the cube, and
  :func:`search_connected` searches a path inside the same cube for any n with the
  same budget (:class:`SearchBudget`): the straight line, then rounds of the bypass of
  §4.1 applied to the output deviation. "Not found" is not a proof of disconnection;
  "found" checks finitely many points per path, so the search is no lower bound either;
* the conjecture's trend: :func:`connected_outcomes` (each pair's answer, the flood
  fill's where it ran), :func:`connected_trend` (one-sided Spearman over pairs),
  :func:`trend_power` (with :func:`connectivity.stats.weakest`, the intersection–union of
  two such tests).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy import ndimage

from .bypass import BypassConfig, optimise_barriers
from .input_paths import linear_path
from .stats import TestResult, spearman_increasing

# site percolation thresholds of the hypercubic lattices Z^n (Newman & Ziff 2000; Lorenz &
# Ziff 1998; Grassberger 2003)
PC_HYPERCUBIC_SITE = {2: 0.592746, 3: 0.311608, 4: 0.196889, 5: 0.140797, 6: 0.109017, 7: 0.0889511}
PC_SQUARE_SITE = PC_HYPERCUBIC_SITE[2]  # the 2-D square lattice (Newman & Ziff 2000)


def _spans(open_sites: np.ndarray) -> bool:
    """Is there an open cluster (nearest-neighbour connectivity) from face 0 to face -1 of
    axis 0?"""
    lab, n = ndimage.label(open_sites)  # default structure: nearest neighbours only
    if n == 0:
        return False
    top = np.unique(lab[0])
    bottom = np.unique(lab[-1])
    common = np.intersect1d(top[top > 0], bottom[bottom > 0])
    return len(common) > 0


def spanning_probability(
    p: float,
    size: int,
    dim: int = 2,
    samples: int = 200,
    seed: int = 0,
    uniforms: np.ndarray | None = None,
) -> float:
    """Fraction of ``samples`` random lattices size^dim that span at occupation ``p``.

    Passing the same ``uniforms`` (samples, size, ..., size) for several p couples the
    samples (site open iff u < p), which makes the estimate monotone in p.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if uniforms is None:
        uniforms = np.random.default_rng(seed).random((samples, *[size] * dim), dtype=np.float32)
    return float(np.mean([_spans(u < p) for u in uniforms]))


def estimate_pc(
    size: int, dim: int = 2, samples: int = 200, seed: int = 0, tol: float = 1e-3
) -> float:
    """Occupation probability at which the spanning probability of size^dim lattices is 1/2."""
    u = np.random.default_rng(seed).random((samples, *[size] * dim), dtype=np.float32)
    lo, hi = 0.0, 1.0
    while hi - lo > tol:
        mid = (lo + hi) / 2
        if spanning_probability(mid, size, dim, uniforms=u) < 0.5:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def bethe_infinite_cluster(p: np.ndarray | float, z: int, iterations: int = 2000) -> np.ndarray:
    """Mean-field probability P(p) that a site belongs to the infinite cluster on the
    Bethe lattice with coordination number z.

    A branch leaving an open site fails to reach infinity with probability Q, the
    smallest root of Q = 1 - p + p Q^(z-1) (the branch's first site is closed, or it is
    open and all z - 1 further branches fail); then P = p (1 - Q^z). The threshold is
    p_c = 1 / (z - 1): below it Q = 1 and P = 0.
    """
    p = np.asarray(p, dtype=np.float64)
    q = np.zeros_like(p)  # iterate from 0 up to the smallest fixed point
    for _ in range(iterations):
        q = 1 - p + p * q ** (z - 1)
    return p * (1 - q**z)


def largest_cluster_fraction(
    p: float, size: int, dim: int, samples: int = 5, seed: int = 0
) -> float:
    """Mean fraction of all sites that lie in the largest open cluster (a finite-lattice
    proxy for the infinite-cluster probability P(p))."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(samples):
        lab, n = ndimage.label(rng.random([size] * dim) < p)
        out.append(0.0 if n == 0 else np.bincount(lab.ravel())[1:].max() / lab.size)
    return float(np.mean(out))


def flood_fill_connected(values: np.ndarray, start: tuple, end: tuple, eps: float) -> bool:
    """On a grid of function values (any dimension), are ``start`` and ``end`` joined by a
    nearest-neighbour chain of cells whose value differs from values[start] by < eps?"""
    ok = np.abs(values - values[start]) < eps
    if not ok[end]:
        return False
    lab, _ = ndimage.label(ok)
    return bool(lab[start] == lab[end] and lab[start] > 0)


class RandomMLP(torch.nn.Module):
    """A network at initialisation as in App. C.1 of the paper: fully connected, Lipschitz
    activations (tanh), outputs in (0, 1) (sigmoid): n -> w -> ... -> w -> 1 with
    ``depth`` hidden layers, weights N(0, gain² / fan_in), biases N(0, 0.1²).

    The hidden width is ``w = max(min_width, width_factor * n)``: it grows with n, so the
    first layer is never a bottleneck that would make the function depend on fewer than
    n directions of the input (a fixed width of 32 would cap the effective dimension at
    32). With ``gain`` 3 every first-layer pre-activation has variance ~3 on the cube
    [-1, 1]^n for every n, so the function is equally wiggly in every dimension.
    """

    def __init__(
        self,
        n_in: int,
        depth: int = 2,
        min_width: int = 32,
        width_factor: float = 1.0,
        gain: float = 3.0,
        seed: int = 0,
    ):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.width = max(min_width, int(round(width_factor * n_in)))
        dims = [n_in, *[self.width] * depth, 1]
        self.weights = [
            torch.randn(i, o, generator=g) * gain / np.sqrt(i) for i, o in zip(dims[:-1], dims[1:])
        ]
        self.biases = [torch.randn(o, generator=g) * 0.1 for o in dims[1:]]

    def forward(self, x):
        """x (N, n) -> (N,) in (0, 1)."""
        h = x
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w + b
            h = torch.tanh(h) if k < len(self.weights) - 1 else torch.sigmoid(h)
        return h[:, 0]


def similar_pairs(
    f, n_in: int, n_pairs: int, eps: float, seed: int = 0, low: float = -1.0, high: float = 1.0
):
    """Random input pairs (uniform in the cube [low, high]^n) with |f(x) - f(y)| < eps.
    Returns x, y (n_pairs, n_in)."""
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    while sum(len(a) for a in xs) < n_pairs:
        x = low + (high - low) * torch.rand(4096, n_in, generator=g)
        y = low + (high - low) * torch.rand(4096, n_in, generator=g)
        with torch.no_grad():
            ok = (f(x) - f(y)).abs() < eps
        xs.append(x[ok])
        ys.append(y[ok])
    return torch.cat(xs)[:n_pairs], torch.cat(ys)[:n_pairs]


@torch.no_grad()
def grid_connected(
    f,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    cells: int,
    low: float = -1.0,
    high: float = 1.0,
) -> np.ndarray:
    """Exact (up to grid resolution) answer per pair: are x and y joined inside the cube
    by a path on which |f - f(x)| < eps? Flood fill on a ``cells``^n grid (n = 2 or 3).
    Returns (P,) bool."""
    n = x.shape[1]
    axes = [torch.linspace(low, high, cells)] * n
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, n)
    values = torch.cat([f(grid[i : i + 65536]) for i in range(0, len(grid), 65536)])
    values = values.reshape([cells] * n).numpy()

    def cell(p):
        return tuple(
            ((p - low) / (high - low) * (cells - 1)).round().long().clamp(0, cells - 1).tolist()
        )

    out = np.zeros(len(x), dtype=bool)
    for i, (a, b) in enumerate(zip(x, y)):
        ca, cb = cell(a), cell(b)
        out[i] = abs(values[ca] - values[cb]) < eps and flood_fill_connected(values, ca, cb, eps)
    return out


@dataclass(frozen=True)
class SearchBudget:
    """What :func:`search_connected` may spend per pair, the same for every dimension:
    ``rounds`` of bypassing, ``iterations`` Adam steps (learning rate ``lr``, per
    coordinate) per bypassed segment, ``points`` checked per segment."""

    rounds: int = 4
    iterations: int = 200
    points: int = 200
    lr: float = 0.01

    def __post_init__(self) -> None:
        if self.rounds < 0 or self.iterations < 0 or self.points < 2 or self.lr <= 0:
            raise ValueError(f"bad search budget {self}")


@torch.no_grad()
def _deviations(f, starts, ends, fx, points: int, chunk_floats: int = 2**24) -> torch.Tensor:
    """|f - f(x)| at ``points`` points of each segment starts[s] -> ends[s] (S, n): (S, points)."""
    S, n = starts.shape
    per = max(1, chunk_floats // (points * n))
    out = []
    for i in range(0, S, per):
        seg = linear_path(starts[i : i + per], ends[i : i + per], points)  # (s, points, n)
        out.append((f(seg.reshape(-1, n)).view(len(seg), points) - fx[i : i + per, None]).abs())
    return torch.cat(out) if out else torch.zeros(0, points)


def search_connected(
    f,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    budget: SearchBudget = SearchBudget(),
    low: float = -1.0,
    high: float = 1.0,
) -> torch.Tensor:
    """Search, for each pair, a piecewise-linear path inside the cube [low, high]^n on which
    |f(z) - f(x)| < eps at ``budget.points`` points per segment: the straight line, then
    ``budget.rounds`` rounds of the Vrabel et al. bypass (the worst point of each failing
    segment is optimised towards f(x) in its hyperplane orthogonal to the segment,
    clamped to the cube after every step; all segments of all pairs in one batch).

    Returns (P,) bool: found. The cube is convex, so every point of a path whose vertices
    lie in it does too. "Not found" only means this search failed; "found" checks each
    segment at finitely many points, so the fraction found estimates the connected
    fraction without bounding it (it can exceed the exact flood fill's).
    """
    with torch.no_grad():
        fx = f(x)
    verts = [torch.stack([a, b]) for a, b in zip(x, y)]
    found = torch.zeros(len(x), dtype=torch.bool)
    cfg = BypassConfig(
        lr=budget.lr,
        iterations=budget.iterations,
        lambda_mse=0.0,
        lambda_hf=0.0,
        project_iterate=True,
    )
    for r in range(budget.rounds + 1):
        owner = torch.tensor([p for p, v in enumerate(verts) for _ in range(len(v) - 1)])
        starts = torch.cat([v[:-1] for v in verts])
        ends = torch.cat([v[1:] for v in verts])
        dev = _deviations(f, starts, ends, fx[owner], budget.points)
        bad = (dev >= eps).any(1)
        found = torch.zeros(len(x), dtype=torch.long).index_add_(0, owner, bad.long()) == 0
        todo = bad.nonzero().flatten()
        if not len(todo) or r == budget.rounds:
            break
        t = (dev[todo].argmax(1).float() / (budget.points - 1)).view(-1, 1)
        sa, sc = starts[todo], ends[todo]
        sb = sa + t * (sc - sa)
        target = fx[owner[todo]]
        bp, _ = optimise_barriers(
            lambda z, target=target: (f(z) - target) ** 2,
            sa,
            sc,
            sb,
            cfg,
            desc=f"conjecture round {r + 1}",
            bounds=(low, high),
        )
        counts = torch.bincount(owner, minlength=len(verts))
        offsets = torch.cumsum(counts, 0) - counts
        for j in sorted(range(len(todo)), key=lambda j: -int(todo[j])):
            p = int(owner[todo[j]])
            s = int(todo[j] - offsets[p])
            verts[p] = torch.cat([verts[p][: s + 1], bp[j : j + 1], verts[p][s + 1 :]])
    return found


def binomial_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Clopper–Pearson (exact) confidence interval of a success rate."""
    from scipy.stats import binomtest

    if n < 1:
        raise ValueError("n must be >= 1")
    ci = binomtest(int(successes), int(n)).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def connected_outcomes(
    found: dict[int, np.ndarray], exact: dict[int, np.ndarray], smallest: int = 3
) -> dict[int, np.ndarray]:
    """Per dimension n >= ``smallest``: each pair's connected (1) or not (0), from the
    exact flood fill where one ran (``exact``), else from the search (``found``)."""
    return {
        n: np.asarray(exact.get(n, found[n]), dtype=float) for n in sorted(found) if n >= smallest
    }


def connected_trend(outcomes: dict[int, np.ndarray]) -> TestResult:
    """Claim: a pair is connected more often as n grows. One-sided Spearman rank
    correlation over pairs between n and each pair's outcome (0/1), ``outcomes`` by n."""
    if len(outcomes) < 2:
        raise ValueError("a trend over dimensions needs at least two dimensions")
    ns = np.concatenate([[n] * len(v) for n, v in outcomes.items()])
    hits = np.concatenate([np.asarray(v, dtype=float) for v in outcomes.values()])
    return spearman_increasing(ns, hits)


def trend_power(
    first: list[tuple[bool, ...]],
    pairs: int,
    higher: int,
    reps: int = 400,
    alpha: float = 0.05,
    seed: int = 0,
) -> float:
    """The chance that the trend is shown (:func:`connected_trend` significant at
    ``alpha`` for every outcome column of ``first``, as
    :func:`connectivity.stats.weakest` requires) if the
    smallest tested dimension's pairs are as measured and every pair of ``higher`` further
    dimensions is connected (the conjecture's limit, the most favourable case).
    ``first`` holds each measured pair's outcomes (one column per way of answering it);
    each repetition redraws ``pairs`` of them with replacement (seeded)."""
    table = np.asarray(first, dtype=float).reshape(len(first), -1)
    rng = np.random.default_rng(seed)
    shown = 0
    for _ in range(reps):
        draw = table[rng.integers(0, len(table), pairs)]
        ps = [
            connected_trend({0: draw[:, c], **{k + 1: np.ones(pairs) for k in range(higher)}})
            for c in range(table.shape[1])
        ]
        shown += all(r.p_value < alpha for r in ps)
    return shown / reps
