"""What the §5 page computes (App. A and C): site percolation, its mean field, and
Conjecture 5.1 on random networks.

* App. A (Fig. 9): site percolation near its threshold; the threshold p_c measured on
  lattices of growing dimension (spanning probability ½ on a finite lattice, bisection on
  one set of random numbers) and compared with the literature.
* App. C.3: the mean-field (Bethe-lattice) probability of the infinite cluster against the
  largest-cluster fraction of finite lattices of growing dimension.
* Conjecture 5.1: a fully connected tanh network at initialisation with a sigmoid output
  and no bottleneck (:class:`connectivity.percolation.RandomMLP`); random pairs of the cube
  [-1, 1]^n whose outputs differ by less than ε; are they joined inside the cube by a
  path on which the output stays within ε? Exactly (flood fill) for n = 2, 3, and by the
  same budgeted search (:func:`connectivity.percolation.search_connected`) for every n.

:func:`run` is four steps, each seeded on its own: :func:`spanning_curves`,
:func:`estimate_thresholds`, :func:`mean_field_curves` and :func:`run_conjecture`. No
records, sentences or figures here (``report``, ``figures``).

Example::

    settings = PercolationSettings.resolve("smoke")
    study = run(settings)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

# the maths (this package's name is the same, so the import is absolute)
from connectivity import percolation as perc

from .settings import PercolationSettings


@dataclass
class Conjecture:
    """Per dimension n: which pairs the search connected, and (n = 2, 3) which the exact
    flood fill connects (exact for its grid of ``cells`` per axis; ``exact_half`` on a grid
    half as fine); per pair the straight line's verdict."""

    dims: list[int]
    widths: list[int]
    found: dict[int, np.ndarray] = field(repr=False)  # n -> (pairs,) bool
    straight: dict[int, np.ndarray] = field(repr=False)  # n -> (pairs,) bool
    exact: dict[int, np.ndarray] = field(repr=False)  # n in (2, 3) -> (pairs,) bool
    seconds: dict[int, float] = field(default_factory=dict)
    # n in (2, 3) -> (pairs,) bool: the flood fill on a grid half as fine (its grid's effect)
    exact_half: dict[int, np.ndarray] = field(default_factory=dict, repr=False)
    cells: dict[int, int] = field(default_factory=dict)  # n in (2, 3) -> grid cells per axis


@dataclass
class PercolationStudy:
    settings: PercolationSettings
    spanning: dict[int, np.ndarray]  # L -> spanning probability at ``ps``
    ps: np.ndarray
    pc: dict[int, float]  # n -> estimated p_c
    pc_sizes: dict[int, int]  # n -> L used
    mf_ps: np.ndarray
    mf_lattice: dict[int, np.ndarray]  # n -> largest-cluster fraction at mf_ps
    mf_bethe: dict[int, np.ndarray]  # n -> Bethe P∞ at mf_ps (z = 2n)
    conjecture: Conjecture
    seconds: float = 0.0

    def mf_discrepancy(self) -> dict[int, float]:
        return {
            n: float(np.abs(self.mf_lattice[n] - self.mf_bethe[n]).max()) for n in self.mf_lattice
        }


def spanning_curves(s: PercolationSettings) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """Fig. 9's neighbourhood: the occupation probabilities ``ps`` (21 in [0.5, 0.7]) and,
    per size L of ``s.spanning_sizes``, the spanning probability of L × L square lattices
    at each (``s.spanning_samples`` lattices, one set of random numbers per L, seed L)."""
    ps = np.linspace(0.5, 0.7, 21)
    spanning = {}
    for L in s.spanning_sizes:
        u = np.random.default_rng(L).random((s.spanning_samples, L, L), dtype=np.float32)
        spanning[L] = np.array([perc.spanning_probability(p, L, uniforms=u) for p in ps])
    return ps, spanning


def estimate_thresholds(s: PercolationSettings) -> tuple[dict[int, int], dict[int, float]]:
    """App. A: per dimension n of ``s.pc_dims`` the lattice size L = sites^(1/n) (at least
    3) and the estimated p_c (seed n)."""
    sizes = {n: max(3, int(round(s.pc_sites ** (1 / n)))) for n in s.pc_dims}
    pc = {n: perc.estimate_pc(sizes[n], n, s.pc_samples, seed=n) for n in s.pc_dims}
    return sizes, pc


def mean_field_curves(
    s: PercolationSettings,
) -> tuple[np.ndarray, dict[int, np.ndarray], dict[int, np.ndarray]]:
    """App. C.3: the occupation probabilities ``mf_ps`` (45 in [0.02, 0.9]) and, per
    dimension n of ``s.mf_dims``, the largest-cluster fraction of a finite lattice (seed n)
    and the Bethe lattice's P∞ (z = 2n) at each."""
    mf_ps = np.linspace(0.02, 0.9, 45)
    lattice, bethe = {}, {}
    for n in s.mf_dims:
        L = max(3, int(round(s.mf_sites ** (1 / n))))
        lattice[n] = np.array([perc.largest_cluster_fraction(p, L, n, 2, seed=n) for p in mf_ps])
        bethe[n] = perc.bethe_infinite_cluster(mf_ps, 2 * n)
    return mf_ps, lattice, bethe


def half_grid(cells: int) -> int:
    """Cells per axis of a grid half as fine as one of ``cells`` (the same corners)."""
    return max(3, (cells + 1) // 2)


def run_conjecture(s: PercolationSettings) -> Conjecture:
    """Conjecture 5.1: per input dimension n, a random network (seed n), ε-similar pairs
    (seed n), the budgeted search, the straight line alone and (n = 2, 3) the flood fill,
    on the settings' grid and on one half as fine (how much its grid moves it)."""
    found, straight, exact, seconds, widths = {}, {}, {}, {}, []
    exact_half, grid = {}, {}
    no_rounds = perc.SearchBudget(rounds=0, points=s.conj_budget.points)
    for n in s.conj_dims:
        f = perc.RandomMLP(n, min_width=s.conj_min_width, seed=n)
        widths.append(f.width)
        x, y = perc.similar_pairs(f, n, s.conj_pairs, s.conj_eps, seed=n)
        t0 = time.perf_counter()
        found[n] = perc.search_connected(f, x, y, s.conj_eps, s.conj_budget).numpy()
        seconds[n] = time.perf_counter() - t0
        straight[n] = perc.search_connected(f, x, y, s.conj_eps, no_rounds).numpy()
        if n in (2, 3):
            grid[n] = s.conj_grid_2d if n == 2 else s.conj_grid_3d
            exact[n] = perc.grid_connected(f, x, y, s.conj_eps, grid[n])
            exact_half[n] = perc.grid_connected(f, x, y, s.conj_eps, half_grid(grid[n]))
    return Conjecture(list(s.conj_dims), widths, found, straight, exact, seconds, exact_half, grid)


def run(settings: PercolationSettings) -> PercolationStudy:
    """The §5 / App. A, C study (see the module docstring)."""
    t0 = time.perf_counter()
    s = settings
    ps, spanning = spanning_curves(s)
    sizes, pc = estimate_thresholds(s)
    mf_ps, lattice, bethe = mean_field_curves(s)
    conj = run_conjecture(s)
    return PercolationStudy(
        s, spanning, ps, pc, sizes, mf_ps, lattice, bethe, conj, time.perf_counter() - t0
    )
