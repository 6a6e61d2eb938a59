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
