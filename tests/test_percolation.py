"""Percolation: p_c of the square lattice, the Bethe mean field, flood fill."""

from __future__ import annotations

import numpy as np
import pytest

from connectivity import percolation as perc


def test_square_lattice_pc_within_0_01():
    est = perc.estimate_pc(size=96, dim=2, samples=150, seed=0)
    assert abs(est - perc.PC_SQUARE_SITE) < 0.01, est


def test_spanning_probability_limits_and_monotonicity():
    assert perc.spanning_probability(0.0, 16) == 0.0
    assert perc.spanning_probability(1.0, 16) == 1.0
    u = np.random.default_rng(0).random((50, 32, 32))
    probs = [perc.spanning_probability(p, 32, uniforms=u) for p in (0.5, 0.59, 0.7)]
    assert probs[0] <= probs[1] <= probs[2] and probs[0] < 0.3 and probs[2] > 0.9
    with pytest.raises(ValueError):
        perc.spanning_probability(1.5, 8)


def test_bethe_lattice_threshold_and_known_value():
    z = 3  # p_c = 1/2; for z = 3, Q = (1 - p) / p above p_c, P = p (1 - Q^3)
    p = np.array([0.3, 0.45, 0.8])
    got = perc.bethe_infinite_cluster(p, z)
    q = (1 - 0.8) / 0.8
    assert got[0] < 1e-9 and got[1] < 1e-6  # below p_c = 1/2
    assert abs(got[2] - 0.8 * (1 - q ** 3)) < 1e-9


def test_flood_fill_on_a_known_grid():
    v = np.zeros((5, 5))
    v[:, 2] = 1.0  # a wall
    assert not perc.flood_fill_connected(v, (0, 0), (0, 4), eps=0.5)
    v[4, 2] = 0.0  # a gap in the wall
    assert perc.flood_fill_connected(v, (0, 0), (0, 4), eps=0.5)


def test_conjecture_helpers_on_a_linear_function():
    """f(x) = sigmoid(x1): level sets are hyperplanes, so similar pairs are always connected
    (through the cube in 2-D, and the straight line works in any dimension)."""
    import torch

    class Linear(torch.nn.Module):
        def forward(self, x):
            return torch.sigmoid(3 * x[:, 0])

    f = Linear()
    for n in (2, 5):
        x, y = perc.similar_pairs(f, n, 20, eps=0.05, seed=0)
        assert ((f(x) - f(y)).abs() < 0.05).all() and x.shape == (20, n)
        assert perc.search_connected(f, x, y, eps=0.05, rounds=0).all()
    x, y = perc.similar_pairs(f, 2, 20, eps=0.05, seed=1)
    assert perc.grid_connected_fraction(f, x, y, eps=0.05, cells=101) > 0.8


def test_bypass_search_repairs_a_bent_level_set():
    """f depends on |x|: the straight chord between two points of one circle leaves the
    level set, a path along the circle (found by the bypass rounds) stays in it."""
    import torch

    class Radial(torch.nn.Module):
        def forward(self, x):
            return torch.sigmoid(4 * (x.norm(dim=1) - 0.7))

    f = Radial()
    x, y = torch.tensor([[0.7, 0.0]]), torch.tensor([[-0.7, 0.05]])
    assert not perc.search_connected(f, x, y, eps=0.05, rounds=0).any()
    assert perc.search_connected(f, x, y, eps=0.05, rounds=6, iterations=300, lr=0.02).all()
