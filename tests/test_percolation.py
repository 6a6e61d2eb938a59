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
    assert abs(got[2] - 0.8 * (1 - q**3)) < 1e-9


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
        assert perc.search_connected(f, x, y, 0.05, perc.SearchBudget(rounds=0)).all()
    x, y = perc.similar_pairs(f, 2, 20, eps=0.05, seed=1)
    assert perc.grid_connected(f, x, y, eps=0.05, cells=101).mean() > 0.8


def test_bypass_search_repairs_a_bent_level_set_inside_the_cube():
    """f depends on |x|: the straight chord between two points of one circle leaves the
    level set, a path along the circle (found by the bypass rounds) stays in it - and
    the search never leaves the cube [-1, 1]^2."""
    import torch

    class Radial(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []

        def forward(self, x):
            self.seen.append(x.detach().abs().max())
            return torch.sigmoid(4 * (x.norm(dim=1) - 0.7))

    f = Radial()
    x, y = torch.tensor([[0.7, 0.0]]), torch.tensor([[-0.7, 0.05]])
    assert not perc.search_connected(f, x, y, 0.05, perc.SearchBudget(rounds=0)).any()
    budget = perc.SearchBudget(rounds=6, iterations=300, lr=0.02)
    assert perc.search_connected(f, x, y, 0.05, budget).all()
    # a radius beyond the cube's corners cannot be followed inside the cube
    f2 = Radial()
    x2, y2 = torch.tensor([[0.95, 0.95]]), torch.tensor([[-0.95, 0.95]])
    perc.search_connected(f2, x2 * 0.99, y2 * 0.99, 0.05, budget)
    assert max(float(m) for m in f2.seen) <= 1.0 + 1e-6


def test_random_mlp_has_no_bottleneck():
    import torch

    for n, width in ((2, 32), (32, 32), (500, 500)):
        f = perc.RandomMLP(n, seed=0)
        assert f.width == width and f.weights[0].shape == (n, width)
        assert f(torch.rand(7, n) * 2 - 1).shape == (7,)
    # the first-layer pre-activations have the same spread on the cube for every n
    spreads = []
    for n in (8, 512):
        f = perc.RandomMLP(n, seed=1)
        x = torch.rand(2000, n) * 2 - 1
        spreads.append(float((x @ f.weights[0]).std()))
    assert abs(spreads[0] - spreads[1]) < 0.15 * spreads[1]


def test_grid_and_search_agree_on_a_random_network_in_2d():
    """Where the search finds a path, the exact flood fill agrees (the search is a lower
    bound of the connected fraction, never above it, up to the grid resolution)."""
    f = perc.RandomMLP(2, seed=3)
    x, y = perc.similar_pairs(f, 2, 30, eps=0.05, seed=3)
    exact = perc.grid_connected(f, x, y, eps=0.05, cells=301)
    found = perc.search_connected(f, x, y, 0.05, perc.SearchBudget(rounds=2, iterations=100))
    assert (found.numpy() <= exact).mean() >= 0.9


def test_binomial_interval():
    lo, hi = perc.binomial_interval(0, 10)
    assert lo == 0 and 0.25 < hi < 0.35  # 1 - 0.025 ** (1 / 10) = 0.308
    lo, hi = perc.binomial_interval(5, 10)
    assert lo < 0.5 < hi


def test_pc_falls_with_dimension_on_small_lattices():
    est = {
        n: perc.estimate_pc(size, n, samples=30, seed=n) for n, size in ((2, 48), (3, 16), (4, 8))
    }
    assert est[2] > est[3] > est[4]
    assert abs(est[3] - perc.PC_HYPERCUBIC_SITE[3]) < 0.05
