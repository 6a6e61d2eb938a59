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
