"""Site percolation, the Bethe-lattice mean field, and the conjecture of Vrabel et al. §5.

* :func:`spanning_probability` - fraction of random L^d lattices (sites open with
  probability p) with an open cluster joining two opposite faces;
* :func:`estimate_pc` - the p at which that fraction is 1/2, by bisection on a common
  set of random numbers (so the estimate is monotone and reproducible);
* :func:`bethe_infinite_cluster` - the mean-field (Bethe lattice, coordination z)
  probability that a site belongs to the infinite cluster;
* :func:`largest_cluster_fraction` - its lattice counterpart from simulation;
* :func:`flood_fill_connected` - for a function on a grid, whether two cells are joined
  by cells whose value stays within ε of the first cell's value.
"""

from __future__ import annotations

import numpy as np
import torch
from scipy import ndimage

PC_SQUARE_SITE = 0.592746  # 2-D square lattice, site percolation (Newman & Ziff 2000)
PC_CUBIC_SITE = 0.3116  # 3-D simple cubic lattice, site percolation


def _spans(open_sites: np.ndarray) -> bool:
    """Is there an open cluster (nearest-neighbour connectivity) from face 0 to face -1 of axis 0?"""
    lab, n = ndimage.label(open_sites)  # default structure: nearest neighbours only
    if n == 0:
        return False
    top = np.unique(lab[0])
    bottom = np.unique(lab[-1])
    common = np.intersect1d(top[top > 0], bottom[bottom > 0])
    return len(common) > 0


def spanning_probability(p: float, size: int, dim: int = 2, samples: int = 200, seed: int = 0,
                         uniforms: np.ndarray | None = None) -> float:
    """Fraction of ``samples`` random lattices size^dim that span at occupation ``p``.

    Passing the same ``uniforms`` (samples, size, ..., size) for several p couples the
    samples (site open iff u < p), which makes the estimate monotone in p.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if uniforms is None:
        uniforms = np.random.default_rng(seed).random((samples, *[size] * dim), dtype=np.float32)
    return float(np.mean([_spans(u < p) for u in uniforms]))


def estimate_pc(size: int, dim: int = 2, samples: int = 200, seed: int = 0, tol: float = 1e-3) -> float:
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
    return p * (1 - q ** z)


def largest_cluster_fraction(p: float, size: int, dim: int, samples: int = 5, seed: int = 0) -> float:
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
    """A network at initialisation with Lipschitz activations and outputs in (0, 1):
    n -> hidden -> ... -> 1, tanh, weights N(0, gain^2 / fan_in), sigmoid output."""

    def __init__(self, n_in: int, hidden=(32, 32), gain: float = 3.0, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        dims = [n_in, *hidden, 1]
        self.weights = [torch.randn(i, o, generator=g) * gain / np.sqrt(i) for i, o in zip(dims[:-1], dims[1:])]
        self.biases = [torch.randn(o, generator=g) * 0.1 for o in dims[1:]]

    def forward(self, x):
        """x (N, n) -> (N,) in (0, 1)."""
        h = x
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w + b
            h = torch.tanh(h) if k < len(self.weights) - 1 else torch.sigmoid(h)
        return h[:, 0]


def similar_pairs(f, n_in: int, n_pairs: int, eps: float, seed: int = 0, low: float = -1.0, high: float = 1.0):
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


def grid_connected_fraction(f, x: torch.Tensor, y: torch.Tensor, eps: float, cells: int, low: float = -1.0,
                            high: float = 1.0) -> float:
    """Exact (up to grid resolution) fraction of pairs joined inside the cube by a path on
    which |f - f(x)| < eps: flood fill on a ``cells``^n grid (n = 2 or 3)."""
    n = x.shape[1]
    axes = [torch.linspace(low, high, cells)] * n
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1).reshape(-1, n)
    with torch.no_grad():
        values = torch.cat([f(grid[i:i + 65536]) for i in range(0, len(grid), 65536)]).reshape([cells] * n).numpy()

    def cell(p):
        return tuple(((p - low) / (high - low) * (cells - 1)).round().long().clamp(0, cells - 1).tolist())

    ok = 0
    for a, b in zip(x, y):
        ca, cb = cell(a), cell(b)
        ok += flood_fill_connected(values, ca, cb, eps) if abs(values[ca] - values[cb]) < eps else 0
    return ok / len(x)


def search_connected(f, x: torch.Tensor, y: torch.Tensor, eps: float, rounds: int = 4, points: int = 200,
                     iterations: int = 200, lr: float = 0.01) -> torch.Tensor:
    """Search, for each pair, a piecewise-linear path on which |f(z) - f(x)| < eps: the
    straight line, then rounds of the Vrabel et al. bypass (the worst point of a failing
    segment is optimised towards f(x) in its hyperplane orthogonal to the segment).

    Returns (P,) bool: found. "Not found" only means this search failed, so the
    fraction found is a lower bound on the connected fraction.
    """
    from .bypass import BypassConfig, optimise_barriers

    with torch.no_grad():
        fx = f(x)
    verts = [torch.stack([a, b]) for a, b in zip(x, y)]
    found = torch.zeros(len(x), dtype=torch.bool)
    cfg = BypassConfig(lr=lr, iterations=iterations, lambda_mse=0.0, lambda_hf=0.0, project_iterate=True)
    for r in range(rounds + 1):
        todo = []
        for p, v in enumerate(verts):
            seg = polyline_points(v, points)  # (S, points, n)
            with torch.no_grad():
                dev = (f(seg.reshape(-1, seg.shape[-1])).view(seg.shape[:2]) - fx[p]).abs()
            bad = (dev >= eps).any(1)
            found[p] = not bool(bad.any())
            for s in bad.nonzero().flatten().tolist():
                todo.append((p, s, int(dev[s].argmax())))
        if not todo or r == rounds:
            break
        sa = torch.stack([verts[p][s] for p, s, _ in todo])
        sc = torch.stack([verts[p][s + 1] for p, s, _ in todo])
        t = torch.tensor([k / (points - 1) for _, _, k in todo]).view(-1, 1)
        sb = (1 - t) * sa + t * sc
        target = torch.stack([fx[p] for p, _, _ in todo])
        bp, _ = optimise_barriers(lambda z: (f(z) - target) ** 2, sa, sc, sb, cfg, desc=f"conjecture round {r + 1}")
        for k in sorted(range(len(todo)), key=lambda k: (todo[k][0], -todo[k][1])):
            p, s, _ = todo[k]
            verts[p] = torch.cat([verts[p][:s + 1], bp[k:k + 1], verts[p][s + 1:]])
    return found


def polyline_points(vertices: torch.Tensor, points: int) -> torch.Tensor:
    """Points on each segment of a polyline: vertices (V, n) -> (V - 1, points, n)."""
    t = torch.linspace(0, 1, points).view(1, -1, 1)
    return vertices[:-1].unsqueeze(1) * (1 - t) + vertices[1:].unsqueeze(1) * t
