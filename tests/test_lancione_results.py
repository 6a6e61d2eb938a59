"""Lancione results page: the chapter's saturation rule, the best-of-nine bootstrap, the
layout floor and the reading of the report's figures, on constructed inputs whose
answers are known."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from connectivity.latent.metrics import procrustes_disparity
from connectivity.pages.lancione.results.report import report_saturation
from connectivity.pages.lancione.results.study import (
    BandResult,
    band_test,
    bootstrap_max,
    drawn_bound_share,
    half_partners,
    layout_floor,
)
from connectivity.pages.lancione.trainings import (
    SATURATED_SHARE,
    TANH_BOUND,
    at_bound,
    bound_share,
    saturated,
    saturated_trainings,
)

# ------------------------------------------------------------------ saturation


def _training(n: int, on_edge: float, seed: int = 0) -> torch.Tensor:
    """n tanh codes: a share ``on_edge`` on the edge of the code square (one coordinate at
    ±0.99, the other anywhere), the rest well inside it (|z| < 0.8)."""
    g = torch.Generator().manual_seed(seed)
    z = torch.rand(n, 2, generator=g) * 1.6 - 0.8
    k = round(on_edge * n)
    axis = torch.randint(2, (k,), generator=g)
    sign = torch.randint(2, (k,), generator=g) * 2 - 1
    z[torch.arange(k), axis] = 0.99 * sign.float()
    return z


@pytest.mark.timeout(30)
def test_the_saturation_rule_flags_a_training_with_most_codes_at_tanhs_bound():
    # the bound: where tanh's derivative 1 - z^2 falls to a tenth of its largest value
    assert TANH_BOUND == pytest.approx(math.sqrt(0.9)) and 1 - TANH_BOUND**2 == pytest.approx(0.1)
    assert at_bound(torch.tensor([[0.948, 0.0], [0.0, -0.95], [0.5, 0.5]])).tolist() == [
        False,
        True,
        False,
    ]
    # constructed trainings: 70 % of the codes on the edge (saturated), 30 % (not)
    edge, inside = _training(1000, 0.7), _training(1000, 0.3, seed=1)
    assert bound_share(edge) == pytest.approx(0.7) and saturated(edge)
    assert bound_share(inside) == pytest.approx(0.3) and not saturated(inside)
    # "more than half": exactly half is not saturated, one code more is
    assert SATURATED_SHARE == 0.5
    assert not saturated(_training(1000, 0.5)) and saturated(_training(1000, 0.501))
    # the same layouts scaled inside the bound: nothing at it
    assert bound_share(edge * 0.9) == 0 and not saturated(edge * 0.9)
    # ReLU's bound is 0 (derivative 0); a linear code has none
    relu = torch.tensor([[0.0, 1.0], [0.0, 2.0], [3.0, 1.0]])
    assert bound_share(relu, "relu") == pytest.approx(2 / 3) and saturated(relu, "relu")
    assert bound_share(edge, "linear") == 0 and not saturated(edge, "linear")
    with pytest.raises(ValueError):
        at_bound(edge, "sigmoid")
    # per model: the linear autoencoder ("PCA") never, the others by the rule
    flags = saturated_trainings({"PCA": [edge], "AE": [inside, edge], "DAE": [edge]})
    assert flags["PCA"].tolist() == [False] and flags["AE"].tolist() == [False, True]
    assert flags["DAE"].dtype == bool and flags["DAE"].tolist() == [True]


# ------------------------------------------------------------------ the best of nine


@pytest.mark.timeout(30)
def test_the_best_of_nine_bootstrap_matches_its_closed_form():
    # all trainings equal: the best of any number is that value (degenerate distribution)
    same = bootstrap_max({"AE": np.full(5, 0.6), "DAE": np.full(7, 0.6)}, {"AE": 3, "DAE": 6})
    assert np.all(same == 0.6)
    assert band_test(0.6, same).verdict() == "reproduced"  # p = 1
    assert band_test(0.6, np.full(100, 0.603), rounding=0.005).verdict() == "reproduced"
    assert band_test(0.6, np.full(100, 0.62), rounding=0.005).verdict() == "differs"
    # ten values 0.1 ... 1.0, nine draws: P(max <= x) = F(x)^9
    values = np.arange(1, 11) / 10
    best = bootstrap_max({"all": values}, {"all": 9}, n_boot=40_000, seed=1)
    for x in (0.5, 0.8, 0.9):
        exact = x**9
        assert np.mean(best <= x + 1e-9) == pytest.approx(exact, abs=4 * math.sqrt(exact / 40_000))
    # two groups drawn separately: 3 from {0.5}, 6 from {0.4, 0.7}: the best is 0.7 unless
    # all six DAE draws are 0.4, with chance 2^-6
    two = bootstrap_max({"AE": [0.5], "DAE": [0.4, 0.7]}, {"AE": 3, "DAE": 6}, n_boot=40_000)
    assert set(np.unique(two)) == {0.5, 0.7}
    assert np.mean(two == 0.5) == pytest.approx(2**-6, abs=0.004)
    with pytest.raises(ValueError):
        bootstrap_max({"AE": []}, {"AE": 3})


@pytest.mark.timeout(30)
def test_the_band_test_fails_both_ways():
    rng = np.random.default_rng(0)
    samples = rng.normal(0.6, 0.05, 20_000)
    inside = band_test(0.6, samples)
    assert isinstance(inside, BandResult) and inside.p_value == pytest.approx(1.0, abs=0.02)
    assert inside.verdict() == "reproduced"
    # the two-sided percentile p: 2 * the smaller tail beyond the value
    from scipy.stats import norm

    for value in (0.5, 0.68, 0.72):
        p = band_test(value, samples).p_value
        assert p == pytest.approx(2 * norm.sf(abs(value - 0.6) / 0.05), abs=0.01)
    assert band_test(0.5, samples).verdict() == "differs"  # below the central 95 %
    assert band_test(0.75, samples).verdict() == "differs"  # above it (trainings reach less)
    # between the central 90 % (1.645 SD) and 95 % (1.96 SD): neither
    assert band_test(0.6 + 1.8 * 0.05, samples).verdict() == "not significant"
    # trainings that mostly reach 0.885: the best of six is 0.885 but for (1/3)^6, so 0.60
    # is below the distribution's central 95 %: differs; with one 0.885 in three, the best
    # of six misses it with chance (2/3)^6 = 0.088, p = 0.18: 0.60 lies inside
    best = bootstrap_max({"DAE": np.array([0.5, 0.885, 0.885])}, {"DAE": 6})
    assert band_test(0.6, best).verdict() == "differs"
    best = bootstrap_max({"DAE": np.array([0.44, 0.5, 0.885])}, {"DAE": 6})
    assert band_test(0.6, best).p_value == pytest.approx(2 * (2 / 3) ** 6, abs=0.01)
    assert band_test(0.6, best).verdict() == "reproduced"


# ------------------------------------------------------------------ the layout floor


@pytest.mark.timeout(30)
def test_the_layout_floor_is_zero_for_duplicated_images_and_sampling_otherwise():
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.normal(size=(200, 10)))
    y = np.repeat([1, 2], 100)
    encode = torch.tensor(rng.normal(size=(10, 2)))
    # identical images split in two: every image's partner is its copy, so one
    # training's codes of the two halves are the same layout: floor 0
    x2 = torch.cat([x, x])
    y2 = np.r_[y, y]
    first = np.r_[np.ones(200, bool), np.zeros(200, bool)]
    partners = half_partners(x2, y2, first)
    assert partners.tolist() == list(range(200, 400)) + list(range(200))
    z2 = x2 @ encode
    assert layout_floor(z2, partners) == pytest.approx(0.0, abs=1e-12)
    # a rotated (and scaled) copy of the layout is the same layout: disparity 0 as well
    rot = torch.tensor(Rotation.from_euler("z", 40, degrees=True).as_matrix()[:2, :2])
    assert procrustes_disparity(z2, 3 * z2 @ rot) == pytest.approx(0.0, abs=1e-12)
    # distinct images: the partner is the nearest image of the same digit in the other half
    first = np.arange(200) % 2 == 0
    partners = half_partners(x, y, first)
    d = torch.cdist(x, x)
    for i in range(200):
        j = partners[i]
        others = [k for k in range(200) if y[k] == y[i] and first[k] != first[i]]
        assert j in others and d[i, j] == pytest.approx(d[i, others].min())
    # by default the halves are a random half of each digit, the same for a seed
    partners = half_partners(x, y, seed=0)
    assert np.array_equal(partners, half_partners(x, y, seed=0)) and np.all(y[partners] == y)
    assert np.all(partners != np.arange(200))
    # the floor of a smooth encoder is sampling only: above 0, far below unrelated codes
    z = x @ encode
    floor = layout_floor(z, partners)
    unrelated = procrustes_disparity(z, z[torch.randperm(200, generator=torch.Generator())])
    assert 0 < floor < unrelated and unrelated > 0.8


# ------------------------------------------------------------------ the report's figures


@pytest.mark.timeout(60)
def test_the_drawn_share_reads_codes_plotted_as_the_report_plots_them():
    # every point at the bound: all the drawn area is there; none near it: none is
    corners = torch.tensor([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]]).repeat(30, 1)
    assert drawn_bound_share(corners) == 1.0
    inside = torch.rand(100, 2, generator=torch.Generator().manual_seed(0)) - 0.5
    assert drawn_bound_share(inside) == 0.0
    # two codes far apart, one at the bound: each drawn as a disc of the same area, half
    # the drawn area is at the bound
    two = torch.tensor([[0.0, 0.0], [0.99, 0.0]])
    assert drawn_bound_share(two) == pytest.approx(0.5, abs=0.02)
    # a pile of identical codes at the bound is drawn once: ten codes at the bound and ten
    # spread inside draw far less than half their area at the bound (what a figure hides)
    spread = torch.rand(10, 2, generator=torch.Generator().manual_seed(1)) - 0.5
    pile = torch.cat([torch.tensor([[0.99, 0.0]]).repeat(10, 1), spread])
    assert drawn_bound_share(pile) < 0.2


@pytest.mark.timeout(30)
def test_the_reports_plots_are_read_against_this_books_trainings():
    # this book: two unsaturated trainings drawn at 10 % and 20 %, two saturated at 50 %, 60 %
    study = SimpleNamespace(
        drawn={"AE": np.array([0.1, 0.2]), "DAE": np.array([0.5, 0.6])},
        saturated={"AE": np.array([False, False]), "DAE": np.array([True, True])},
    )
    plots = {"above": 0.7, "at the least saturated": 0.5, "below": 0.05, "between": 0.3}
    calls = report_saturation(study, plots)
    assert calls == {
        "above": "saturated",
        "at the least saturated": "saturated",
        "below": "not saturated",
        "between": "cannot tell",
    }
    # where the two groups overlap (an unsaturated training drawn at 55 %), it cannot tell
    study.drawn["AE"] = np.array([0.1, 0.55])
    assert report_saturation(study, plots)["at the least saturated"] == "cannot tell"
