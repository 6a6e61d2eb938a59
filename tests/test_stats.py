"""Tolerances and tests against known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from connectivity import stats
from connectivity.stats import Tolerance, Uncertainty

UNKNOWN = Uncertainty(None, "one training")
M = {"margin": 1.0, "margin_basis": "test margin"}


def test_combined_se_adds_both_sides_and_the_rounding_in_quadrature():
    ours, paper = Uncertainty(0.3, "ours"), Uncertainty(0.4, "paper")
    assert Tolerance.combined(ours, paper, UNKNOWN, **M).se == pytest.approx(0.5)
    rounded = Tolerance.combined(ours, paper, UNKNOWN, rounding=0.05, **M)
    assert rounded.se == pytest.approx(math.sqrt(0.25 + 0.05**2 / 3))  # uniform: SD r/sqrt(3)
    assert rounded.value == 1.0 and rounded.basis == "test margin"


@pytest.mark.parametrize(
    "ingredient, expected",
    [
        # each ingredient adds to the standard error, and is named in its basis
        ({"paper": Uncertainty(0.4, "paper's split")}, 0.5),
        ({"training": Uncertainty(0.4, "3 trainings")}, 0.5),
        ({"rounding": 0.3 * math.sqrt(3)}, math.sqrt(0.18)),
    ],
)
def test_each_ingredient_of_the_standard_error_counts(ingredient, expected):
    base = {"ours": Uncertainty(0.3, "ours"), "paper": Uncertainty(0, "paper"), "training": UNKNOWN}
    alone = Tolerance.combined(**base, **M)
    assert alone.se == pytest.approx(0.3)
    widened = Tolerance.combined(**{**base, **ingredient}, **M)
    assert widened.se == pytest.approx(expected)
    name = next(iter(ingredient))
    what = "printed rounding" if name == "rounding" else ingredient[name].what
    assert what in widened.se_basis


def test_an_unknown_ingredient_is_named_not_counted():
    t = Tolerance.combined(
        Uncertainty(0.3, "ours"), Uncertainty(None, "not published"), UNKNOWN, **M
    )
    assert t.se == pytest.approx(0.3)
    assert "paper unknown (not published)" in t.se_basis and "trainings unknown" in t.se_basis


def test_uncertainties_refuse_what_is_not_a_standard_error():
    for bad in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError):
            Uncertainty(bad, "x")
        with pytest.raises(ValueError):
            Tolerance.equivalence(0.1, "m", bad, "s")
    with pytest.raises(ValueError):
        Uncertainty(0.1, " ")
    with pytest.raises(ValueError):
        Tolerance.equivalence(0.1, "m", 0.1, " ")  # an SE without its basis
    with pytest.raises(ValueError):
        Tolerance.combined(Uncertainty(0.1, "a"), Uncertainty(0.1, "b"), UNKNOWN, rounding=-1, **M)


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "diff, se, verdict",
    [
        (0.0, 0.03, "reproduced"),  # 1.645 * 0.03 = 0.049 < 0.1
        (0.05, 0.03, "reproduced"),  # 0.05 + 0.049 = 0.099 <= 0.1
        (0.06, 0.03, "differs"),  # 0.06 > 1.96 * 0.03: different, and not shown inside
        (0.05, 0.04, "not significant"),  # 0.05 + 0.066 > 0.1, 0.05 < 0.078
        (0.0, 0.07, "not significant"),  # 1.645 * 0.07 > 0.1: out of reach (power 0)
        (0.2, 0.0, "differs"),  # exact numbers: outside the margin
        (0.1, 0.0, "reproduced"),  # exact numbers: on the margin
    ],
)
def test_the_one_rule_is_two_one_sided_tests_and_a_two_sided_one(diff, se, verdict):
    t = Tolerance.equivalence(0.1, "m", se, "s" if se else "")
    assert t.verdict(diff) == verdict == t.verdict(-diff)
    if se:  # the p-values say the same as the verdict
        p_tost, p_diff = t.p_values(diff)
        assert (p_tost <= 0.05) == (verdict == "reproduced")
        assert (p_diff < 0.05) == (verdict == "differs")


@pytest.mark.timeout(60)
def test_power_is_the_chance_of_reproduced_at_no_difference():
    """Closed form against a simulation of the estimate at a true difference of 0."""
    t = Tolerance.equivalence(0.1, "m", 0.04, "s")
    rng = np.random.default_rng(0)
    estimates = rng.normal(0.0, 0.04, 200_000)
    simulated = np.mean([v == "reproduced" for v in map(t.verdict, estimates[:20_000])])
    assert t.power() == pytest.approx(simulated, abs=0.015)
    assert Tolerance.equivalence(0.1, "m", 0.07, "s").power() == 0.0  # margin < 1.645 SE
    assert Tolerance.stated(0.1, "exact").power() == 1.0


def test_ranking_margin_is_half_the_distance_to_the_nearest_compared_value():
    margin, basis = stats.ranking_margin(19 / 25, {"first hidden layer": 14 / 25})
    assert margin == pytest.approx(0.1) and "first hidden layer" in basis
    assert stats.ranking_margin(5.0, {"a": 1.0, "b": 6.0, "c": 9.0})[0] == 0.5
    with pytest.raises(ValueError):
        stats.ranking_margin(1.0, {})


def test_clopper_pearson_matches_scipy():
    from scipy.stats import binomtest

    for k, n in ((0, 75), (3, 75), (19, 25), (25, 25)):
        ci = binomtest(k, n).proportion_ci(0.95, method="exact")
        assert stats.clopper_pearson(k, n) == pytest.approx((ci.low, ci.high))


def test_hanley_mcneil_matches_the_bootstrap_se_of_an_auc():
    rng = np.random.default_rng(0)
    pos, neg = rng.normal(1.0, 1.0, 200), rng.normal(0.0, 1.0, 200)
    y, s = np.r_[np.ones(200), np.zeros(200)], np.r_[pos, neg]
    auc = roc_auc_score(y, s)
    boots = []
    for _ in range(400):
        i, j = rng.integers(0, 200, 200), rng.integers(0, 200, 200)
        boots.append(roc_auc_score(y, np.r_[pos[i], neg[j]]))
    se = stats.hanley_mcneil_se(auc, 200, 200)
    assert se == pytest.approx(np.std(boots), rel=0.2)


def test_mann_whitney_direction_and_significance():
    rng = np.random.default_rng(1)
    high, low = rng.normal(1, 1, 40), rng.normal(0, 1, 40)
    assert stats.mann_whitney_greater(high, low).verdict() == "reproduced"
    assert stats.mann_whitney_greater(low, high).verdict() == "differs"
    same = stats.mann_whitney_greater(rng.normal(0, 1, 10), rng.normal(0, 1, 10))
    assert same.verdict() in ("not significant", "reproduced", "differs")
    r = stats.mann_whitney_greater([2, 3, 4], [0, 1, 1.5])
    assert r.effect == pytest.approx(0.5)  # P(X > Y) = 1


def test_spearman_trend_and_binomial():
    assert stats.spearman_increasing(range(8), range(8)).verdict() == "reproduced"
    assert stats.spearman_increasing(range(8), range(8, 0, -1)).verdict() == "differs"
    assert stats.spearman_increasing([1, 2, 3, 4], [1, 1, 1, 1]).verdict() == "not significant"
    assert stats.binomial_greater(19, 20, 0.5).verdict() == "reproduced"
    assert stats.binomial_greater(10, 20, 0.5).verdict() == "not significant"


def test_wilcoxon_and_bootstrap():
    d = np.linspace(0.1, 2.0, 20)
    assert stats.wilcoxon_greater(d).verdict() == "reproduced"
    assert stats.wilcoxon_greater(-d).verdict() == "differs"
    assert stats.wilcoxon_greater(np.zeros(5)).verdict() == "not significant"
    assert stats.bootstrap_mean_greater(d).verdict() == "reproduced"
    assert stats.bootstrap_mean_greater(d, d + 5).verdict() == "differs"


def test_spearman_few_points_gives_the_exact_permutation_p():
    from connectivity.stats import spearman_increasing

    up = spearman_increasing([1, 2, 3, 4, 5], [0.1, 0.2, 0.3, 0.4, 0.5])
    assert up.p_value == pytest.approx(1 / 120) and up.p_opposite == pytest.approx(1.0)
    assert up.verdict(0.05) == "reproduced" and "exact" in up.test
    down = spearman_increasing([2, 3, 4, 5], [4.0, 3.0, 2.0, 1.0])
    assert down.p_opposite == pytest.approx(1 / 24) and down.verdict(0.05) == "differs"
    # one swap among five: rho = 0.9; 5 of the 120 orders have rho >= 0.9
    swap = spearman_increasing([1, 2, 3, 4, 5], [1, 2, 3, 5, 4])
    assert swap.effect == pytest.approx(0.9) and swap.p_value == pytest.approx(5 / 120)


def test_mean_of_trainings_is_the_standard_error_of_a_difference_of_two_means():
    sd_samples = np.array([0.4, 0.5, 0.6, 0.5])  # SD 0.0816
    sd = sd_samples.std(ddof=1)
    one = Tolerance.mean_of_trainings(sd_samples, 1, rounding=0.005, **M)
    assert one.se == pytest.approx(math.sqrt(sd**2 * (1 / 4 + 1) + 0.005**2 / 3))
    two = Tolerance.mean_of_trainings(sd_samples, 2, **M)
    assert two.se == pytest.approx(sd * np.sqrt(1 / 4 + 1 / 2))
    # more trainings here narrow it towards the paper's side alone
    many = Tolerance.mean_of_trainings(np.tile(sd_samples, 25), 2, **M)
    assert many.se < two.se
    assert many.se > np.tile(sd_samples, 25).std(ddof=1) / np.sqrt(2)
    assert "paper's 2 trainings" in two.se_basis and "0.005 printed rounding" in one.se_basis
    with pytest.raises(ValueError):
        Tolerance.mean_of_trainings([0.5], 1, **M)


@pytest.mark.timeout(30)
def test_shares_agree_by_hand():
    """TOST with the Agresti–Caffo SE, computed by hand; Fisher's p from scipy."""
    from scipy.stats import fisher_exact, norm

    r = stats.shares_agree(59, 75, 19, 25, 0.2)
    p1, p2 = 60 / 77, 20 / 27
    se = math.sqrt(p1 * (1 - p1) / 77 + p2 * (1 - p2) / 27)
    d = p1 - p2
    assert r.p_value == pytest.approx(max(norm.sf((d + 0.2) / se), norm.sf((0.2 - d) / se)))
    assert r.p_opposite == pytest.approx(fisher_exact([[59, 16], [19, 6]]).pvalue)
    assert r.effect == pytest.approx(0.2 - abs(59 / 75 - 19 / 25))


@pytest.mark.timeout(30)
def test_shares_agree_decides_each_way():
    assert stats.shares_agree(600, 1000, 300, 500, 0.05).verdict() == "reproduced"
    assert stats.shares_agree(15, 75, 19, 25, 0.2).verdict() == "differs"
    assert stats.shares_agree(7, 10, 6, 10, 0.2).verdict() == "not significant"  # too few
    # all-or-nothing shares keep a finite SE: 25/25 against 25/25 agrees
    assert stats.shares_agree(75, 75, 25, 25, 0.2).verdict() == "reproduced"
    for bad in ((5, 4, 1, 2, 0.1), (1, 2, 1, 2, 0.0), (1, 2, 3, 2, 0.1)):
        with pytest.raises(ValueError):
            stats.shares_agree(*bad)
