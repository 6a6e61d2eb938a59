"""Settings of the §5 page (notebook ``vrabel2024/04_percolation``): the lattices of
Fig. 9 and App. A, the mean-field comparison of App. C.3 and the random networks of
Conjecture 5.1. The paper gives no scales: these are the book's."""

from __future__ import annotations

from dataclasses import dataclass

# the maths (this package's name is the same, so the import is absolute)
from connectivity import percolation as perc
from connectivity.settings import ParameterError, Settings, param

_SMOKE = {
    "figure_size": 32,
    "spanning_sizes": [8, 16],
    "spanning_samples": 10,
    "pc_dims": [2, 3, 4],
    "pc_sites": 512,
    "pc_samples": 8,
    "mf_dims": [2, 3, 4],
    "mf_sites": 2000,
    "conj_dims": [2, 3, 8],
    "conj_pairs": 6,
    "conj_grid_2d": 41,
    "conj_grid_3d": 11,
    "conj_budget": {"rounds": 1, "iterations": 5, "points": 20},
}


@dataclass(frozen=True)
class PercolationSettings(Settings):
    """Settings of the §5 page (the paper gives no scales: these are the book's)."""

    figure_size: int = param(128, lo=8, hi=4096, doc="lattice size of Fig. 9")
    spanning_sizes: list[int] = param([32, 64, 128], lo=4, hi=4096, doc="L of the spanning curves")
    spanning_samples: int = param(400, lo=1, doc="lattices per point of the spanning curves")
    pc_dims: list[int] = param([2, 3, 4, 5, 6], lo=2, hi=10, doc="dimensions whose p_c is measured")
    pc_sites: int = param(
        2**18, lo=64, doc="sites per lattice of the p_c estimates (L = sites^(1/n))"
    )
    pc_samples: int = param(200, lo=2, doc="lattices per p_c estimate")
    mf_dims: list[int] = param([2, 3, 4, 5, 6, 7], lo=2, hi=10, doc="dimensions vs the mean field")
    mf_sites: int = param(500_000, lo=100, doc="sites per lattice of the mean-field comparison")
    conj_dims: list[int] = param([2, 3, 8, 32, 128, 512, 3072], lo=2, doc="input dimensions n")
    conj_pairs: int = param(200, lo=2, hi=100_000, doc="ε-similar pairs per dimension")
    conj_eps: float = param(0.05, lo=1e-6, hi=1.0, doc="output tolerance ε")
    conj_grid_2d: int = param(1001, lo=3, doc="flood-fill cells per axis, n = 2")
    conj_grid_3d: int = param(151, lo=3, doc="flood-fill cells per axis, n = 3")
    conj_budget: perc.SearchBudget = param(
        perc.SearchBudget(rounds=8, iterations=500, points=200, lr=0.01),
        doc="search budget per pair, the same for every n (rounds, iterations, points, lr)",
    )
    conj_min_width: int = param(32, lo=1, doc="hidden width of the random network (at least n)")

    OVERRIDES = {
        "ci": {
            "spanning_sizes": [16, 32, 64],
            "spanning_samples": 100,
            "pc_sites": 2**14,
            "pc_samples": 60,
            "mf_dims": [2, 3, 4, 5, 6],
            "mf_sites": 60_000,
            "conj_dims": [2, 3, 8, 32, 128, 512],
            "conj_pairs": 60,
            "conj_grid_2d": 301,
            # a coarser grid (61 cells) moved the n = 3 flood fill by several pairs in 60
            "conj_grid_3d": 151,
            "conj_budget": {"rounds": 4, "iterations": 200},
        },
        # percolation has no network: the paper code path is the ci one at toy size
        "smoke": _SMOKE,
        "smoke-paper": _SMOKE,
    }

    def validate(self) -> None:
        for name in ("pc_dims", "mf_dims", "conj_dims"):
            values = getattr(self, name)
            if len(values) < 3 or sorted(set(values)) != list(values):
                raise ParameterError(f"{name} needs at least three increasing dimensions")
