"""Barrier statistics of loss curves (Vrabel et al. 2024) on curves with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from connectivity.barriers import barrier_heights, mean_curve


def test_known_curves():
    curves = torch.tensor([[0.1, 2.0, 0.3, 0.2], [0.5, 0.4, 0.3, 0.05], [0.0, 1.0, 3.0, 3.0]])
    h = barrier_heights(curves)
    np.testing.assert_allclose(h.max_loss, [2.0, 0.5, 3.0])
    np.testing.assert_allclose(h.gap, [1.8, 0.0, 0.0], atol=1e-7)  # above the higher endpoint
    np.testing.assert_allclose(h.end_difference, [0.1, 0.45, 3.0], atol=1e-7)
    np.testing.assert_allclose(h.position, [1 / 3, 0.0, 2 / 3])  # the first maximum
    np.testing.assert_allclose(h.start, [0.1, 0.5, 0.0])
    np.testing.assert_allclose(h.end, [0.2, 0.05, 3.0], atol=1e-7)
    assert len(h) == 3 and h.above(1.0).tolist() == [True, False, True]
    assert len(h.select(h.above(1.0))) == 2
    assert list(h.frame().columns) == [
        "start",
        "end",
        "max_loss",
        "gap",
        "end_difference",
        "position",
    ]


def test_same_answer_for_arrays_single_curves_and_ragged_lists():
    a = np.array([[0.2, 1.0, 0.1]])
    assert barrier_heights(a).gap[0] == pytest.approx(0.8)
    assert barrier_heights(a[0]).gap[0] == pytest.approx(0.8)
    ragged = [np.array([0.2, 1.0, 0.1]), torch.tensor([0.0, 0.5, 0.4, 0.3, 0.0])]
    h = barrier_heights(ragged)
    np.testing.assert_allclose(h.max_loss, [1.0, 0.5])
    np.testing.assert_allclose(h.position, [0.5, 0.25])


def test_gap_is_never_negative_and_bad_curves_are_refused():
    rng = np.random.default_rng(0)
    h = barrier_heights(rng.random((50, 7)))
    assert (h.gap >= 0).all() and (h.max_loss >= np.maximum(h.start, h.end)).all()
    with pytest.raises(ValueError):
        barrier_heights([np.array([1.0])])
    with pytest.raises(ValueError):
        barrier_heights(np.array([[0.0, np.nan, 1.0]]))
    assert len(barrier_heights([])) == 0


def test_mean_curve():
    mean, sd = mean_curve(np.array([[0.0, 2.0], [2.0, 2.0]]))
    np.testing.assert_allclose(mean, [1.0, 2.0])
    np.testing.assert_allclose(sd, [1.0, 0.0])
    with pytest.raises(ValueError):
        mean_curve([np.zeros(3), np.zeros(4)])
