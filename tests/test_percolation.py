"""Percolation: p_c of the square lattice, the Bethe mean field, flood fill."""

from __future__ import annotations

import numpy as np
import pytest

from connectivity import percolation as perc
from connectivity import stats


@pytest.mark.timeout(120)
def test_square_lattice_pc_within_0_01():
    est = perc.estimate_pc(size=96, dim=2, samples=150, seed=0)
    assert abs(est - perc.PC_SQUARE_SITE) < 0.01, est


@pytest.mark.timeout(120)
def test_spanning_probability_limits_and_monotonicity():
    assert perc.spanning_probability(0.0, 16) == 0.0
    assert perc.spanning_probability(1.0, 16) == 1.0
    u = np.random.default_rng(0).random((50, 32, 32))
    probs = [perc.spanning_probability(p, 32, uniforms=u) for p in (0.5, 0.59, 0.7)]
    assert probs[0] <= probs[1] <= probs[2] and probs[0] < 0.3 and probs[2] > 0.9
    with pytest.raises(ValueError):
        perc.spanning_probability(1.5, 8)


@pytest.mark.timeout(120)
def test_bethe_lattice_threshold_and_known_value():
    z = 3  # p_c = 1/2; for z = 3, Q = (1 - p) / p above p_c, P = p (1 - Q^3)
    p = np.array([0.3, 0.45, 0.8])
    got = perc.bethe_infinite_cluster(p, z)
    q = (1 - 0.8) / 0.8
    assert got[0] < 1e-9 and got[1] < 1e-6  # below p_c = 1/2
    assert abs(got[2] - 0.8 * (1 - q**3)) < 1e-9


@pytest.mark.timeout(120)
def test_flood_fill_on_a_known_grid():
    v = np.zeros((5, 5))
    v[:, 2] = 1.0  # a wall
    assert not perc.flood_fill_connected(v, (0, 0), (0, 4), eps=0.5)
    v[4, 2] = 0.0  # a gap in the wall
    assert perc.flood_fill_connected(v, (0, 0), (0, 4), eps=0.5)


@pytest.mark.timeout(120)
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


@pytest.mark.timeout(120)
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


@pytest.mark.timeout(120)
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


@pytest.mark.timeout(120)
def test_grid_and_search_agree_on_a_random_network_in_2d():
    """Where the search finds a path, the exact flood fill mostly agrees (mostly: the
    search checks finitely many points per path, so it is no strict lower bound)."""
    f = perc.RandomMLP(2, seed=3)
    x, y = perc.similar_pairs(f, 2, 30, eps=0.05, seed=3)
    exact = perc.grid_connected(f, x, y, eps=0.05, cells=301)
    found = perc.search_connected(f, x, y, 0.05, perc.SearchBudget(rounds=2, iterations=100))
    assert (found.numpy() <= exact).mean() >= 0.9


@pytest.mark.timeout(120)
def test_binomial_interval():
    lo, hi = perc.binomial_interval(0, 10)
    assert lo == 0 and 0.25 < hi < 0.35  # 1 - 0.025 ** (1 / 10) = 0.308
    lo, hi = perc.binomial_interval(5, 10)
    assert lo < 0.5 < hi


@pytest.mark.timeout(120)
def test_pc_falls_with_dimension_on_small_lattices():
    est = {
        n: perc.estimate_pc(size, n, samples=30, seed=n) for n, size in ((2, 48), (3, 16), (4, 8))
    }
    assert est[2] > est[3] > est[4]
    assert abs(est[3] - perc.PC_HYPERCUBIC_SITE[3]) < 0.05


@pytest.mark.timeout(60)
def test_flood_fill_on_a_constructed_3d_grid_with_known_components():
    """Two half-cubes split by a wall (two components), joined through one hole in it;
    diagonal contact is not a connection (nearest neighbours only); the label count
    agrees with scipy's."""
    from scipy import ndimage

    v = np.zeros((7, 7, 7))
    v[3] = 1.0  # a wall across axis 0
    ok = np.abs(v - v[0, 0, 0]) < 0.5
    assert ndimage.label(ok)[1] == 2
    assert perc.flood_fill_connected(v, (0, 0, 0), (2, 6, 6), eps=0.5)
    assert not perc.flood_fill_connected(v, (0, 0, 0), (6, 6, 6), eps=0.5)
    assert not perc.flood_fill_connected(v, (0, 0, 0), (3, 0, 0), eps=0.5)  # a wall cell
    v[3, 6, 6] = 0.0  # a hole: one component
    assert ndimage.label(np.abs(v) < 0.5)[1] == 1
    assert perc.flood_fill_connected(v, (0, 0, 0), (6, 6, 6), eps=0.5)
    # two cells that touch only at an edge are two components
    d = np.ones((3, 3, 3))
    d[0, 0, 0] = d[1, 1, 0] = 0.0
    assert not perc.flood_fill_connected(d, (0, 0, 0), (1, 1, 0), eps=0.5)


def _outcomes(shares: dict[int, float], pairs: int) -> dict[int, np.ndarray]:
    """Constructed per-pair outcomes: exactly round(share * pairs) connected per n."""
    return {n: (np.arange(pairs) < round(s * pairs)).astype(float) for n, s in shares.items()}


@pytest.mark.timeout(60)
def test_connected_trend_on_constructed_shares_with_known_answers():
    from scipy.stats import spearmanr

    rising = _outcomes({3: 0.5, 8: 0.75, 32: 1.0}, 40)
    res = perc.connected_trend(rising)
    ns = np.repeat([3, 8, 32], 40)
    ref = spearmanr(ns, np.concatenate(list(rising.values())), alternative="greater")
    assert res.p_value == pytest.approx(ref.pvalue) and res.verdict() == "reproduced"
    assert res.effect == pytest.approx(ref.statistic) and res.effect > 0
    falling = _outcomes({3: 1.0, 8: 0.75, 32: 0.5}, 40)
    assert perc.connected_trend(falling).verdict() == "differs"
    # at the ceiling there is nothing to rank: no trend either way
    flat = perc.connected_trend(_outcomes({3: 1.0, 8: 1.0, 32: 1.0}, 40))
    assert flat.verdict() == "not significant" and flat.p_value == 1.0
    # one failing pair of 60 at the first n cannot show a rise to 1
    one = perc.connected_trend(_outcomes({3: 59 / 60, 8: 1.0, 32: 1.0}, 60))
    assert one.verdict() == "not significant"
    with pytest.raises(ValueError):
        perc.connected_trend({3: np.ones(5)})


@pytest.mark.timeout(60)
def test_outcomes_take_the_flood_fill_where_it_ran_and_leave_out_n_2():
    found = {2: np.array([1, 0]), 3: np.array([1, 1]), 8: np.array([0, 1])}
    exact = {2: np.array([1, 1]), 3: np.array([0, 1])}
    out = perc.connected_outcomes(
        {n: v.astype(bool) for n, v in found.items()},
        {n: v.astype(bool) for n, v in exact.items()},
    )
    assert list(out) == [3, 8]
    assert out[3].tolist() == [0.0, 1.0] and out[8].tolist() == [0.0, 1.0]
    assert list(perc.connected_outcomes(found, exact, smallest=0)) == [2, 3, 8]


@pytest.mark.timeout(60)
def test_weakest_is_the_intersection_union_test():
    from connectivity.stats import TestResult

    yes = TestResult("t", 0.01, 0.99, 0.3, "rho")
    unclear = TestResult("t", 0.2, 0.8, 0.1, "rho")
    no = TestResult("t", 0.98, 0.02, -0.3, "rho")
    both = stats.weakest([yes, unclear], "two ways")
    assert both.p_value == 0.2 and both.p_opposite == 0.99 and both.verdict() == "not significant"
    assert stats.weakest([yes, yes], "x").verdict() == "reproduced"
    assert stats.weakest([no, no], "x").verdict() == "differs"
    assert stats.weakest([yes, no], "x").verdict() == "not significant"
    assert "the larger p of two ways" in both.test


@pytest.mark.timeout(120)
def test_trend_power_at_its_known_extremes():
    """No failing pair at the first n: no trend can be shown (power 0); all failing there
    and every pair connected above: always shown (power 1); half failing with 60 pairs and
    two dimensions above: nearly always; one failing pair in 60: rarely."""
    assert perc.trend_power([(True,)] * 10, 60, 2, reps=50) == 0.0
    assert perc.trend_power([(False,)] * 10, 20, 2, reps=50) == 1.0
    assert perc.trend_power([(True,), (False,)], 60, 2, reps=100) > 0.95
    assert perc.trend_power([(True,)] * 59 + [(False,)], 60, 4, reps=200) < 0.3
    # two columns (flood fill, search): shown only where both show it
    cols = [(False, True)] * 5 + [(True, True)] * 5
    assert perc.trend_power(cols, 60, 2, reps=50) == 0.0
