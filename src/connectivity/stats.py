"""Tolerances with a stated basis, and the tests that decide qualitative claims.

A quantitative record compares ``|reproduced - paper| <= tolerance``; the
:class:`Tolerance` carries *why* it has that width (a spread measured in the
build, a standard error, or a stated modelling reason). A qualitative claim is
decided by a one-sided test at 5 %: :class:`TestResult` holds the p-values in the
paper's direction and in the opposite one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
# the fewest trials in which a one-sided exact binomial test against 1/2 can reach p < ALPHA
# (all in the claimed direction: 0.5**5 = 0.031; four give 0.0625)
MIN_ONE_SIDED_N = 5


@dataclass(frozen=True)
class Uncertainty:
    """One ingredient of a tolerance: a standard error (or a spread's SD) in the units of
    the compared number and what it is, or ``se=None`` where it is unknown (then it is
    named in the tolerance's basis and not counted)."""

    se: float | None
    what: str

    def __post_init__(self) -> None:
        if self.se is not None and not (self.se >= 0 and math.isfinite(self.se)):
            raise ValueError(f"a standard error must be finite and >= 0, got {self.se}")
        if not self.what.strip():
            raise ValueError("say what the uncertainty is")

    def words(self) -> str:
        return f"{'unknown' if self.se is None else f'{self.se:.2g}'} ({self.what})"


@dataclass(frozen=True)
class Tolerance:
    """Half-width of the band around the paper's value, and its basis in words."""

    value: float
    basis: str

    def __post_init__(self) -> None:
        if not (self.value >= 0 and math.isfinite(self.value)):
            raise ValueError(f"a tolerance must be finite and >= 0, got {self.value}")
        if not self.basis.strip():
            raise ValueError("a tolerance needs its basis")

    @classmethod
    def spread(cls, samples, k: float = 2.0, what: str = "seeds") -> Tolerance:
        """``k`` sample standard deviations of repeated runs measured in this build."""
        a = np.asarray(samples, dtype=float)
        if a.size < 2:
            raise ValueError("a spread needs at least two samples")
        sd = float(a.std(ddof=1))
        return cls(k * sd, f"{k:g} × SD of {a.size} {what} measured in this build (SD {sd:.3g})")

    @classmethod
    def standard_error(cls, se: float, k: float = 2.0, what: str = "standard error") -> Tolerance:
        return cls(k * float(se), f"{k:g} × {what} ({float(se):.3g})")

    @classmethod
    def binomial(cls, p: float, n: int, k: float = 2.0, count: bool = False) -> Tolerance:
        """``k`` binomial standard errors of a fraction ``p`` of ``n`` (of a count if
        ``count``); ``p`` is clipped to [1/n, 1 - 1/n] so a 0 or 1 still has a width."""
        se = binomial_se(p, n)
        if count:
            return cls(
                k * se * n, f"{k:g} × binomial SE of a count of {n} pairs ({se * n:.2g} pairs)"
            )
        return cls(k * se, f"{k:g} × binomial SE of a fraction of {n} ({se:.2g})")

    @classmethod
    def auc(
        cls, auc: float, n_pos: int, n_neg: int, k: float = 2.0, scale: float = 1.0
    ) -> Tolerance:
        """``k`` Hanley–McNeil (1982) standard errors of an AUC (``scale=100`` for percent)."""
        se = hanley_mcneil_se(auc / scale, n_pos, n_neg) * scale
        return cls(
            k * se,
            f"{k:g} × Hanley–McNeil SE of the AUC ({n_pos}+{n_neg} test samples; SE {se:.2g})",
        )

    @classmethod
    def combined(
        cls,
        ours: Uncertainty,
        paper: Uncertainty,
        training: Uncertainty,
        rounding: float = 0.0,
        k: float = 2.0,
    ) -> Tolerance:
        """Both sides' uncertainty: ``k``·sqrt(ours² + paper² + training²) + ``rounding``.

        This build's number and the paper's are independent estimates, each with its
        standard error (sample sizes); where a trained model carries the number, the
        spread between trainings adds to the difference as well. A printed value is off
        by at most half its last digit (``rounding``), a bound added outright. Unknown
        ingredients (``se=None``) are named in the basis and count as zero.

        >>> t = Tolerance.combined(Uncertainty(3, "ours"), Uncertainty(4, "paper"),
        ...                        Uncertainty(None, "trainings"), rounding=0.05)
        >>> round(t.value, 2)   # 2 * 5 + 0.05
        10.05
        """
        if not (rounding >= 0 and math.isfinite(rounding)):
            raise ValueError(f"rounding must be finite and >= 0, got {rounding}")
        parts = (ours, paper, training)
        se = math.sqrt(sum((u.se or 0.0) ** 2 for u in parts))
        basis = (
            f"{k:g} × √(ours² + paper² + trainings²) = {k * se:.2g}"
            + (f", + {rounding:g} printed rounding" if rounding else "")
            + "; "
            + "; ".join(
                f"{name} {u.words()}" for name, u in zip(("ours", "paper", "trainings"), parts)
            )
        )
        return cls(k * se + rounding, basis)

    @classmethod
    def mean_of_trainings(
        cls,
        samples,
        paper_trainings: int,
        rounding: float = 0.0,
        k: float = 2.0,
        what: str = "trainings",
    ) -> Tolerance:
        """Our mean of N trainings against the paper's value from ``paper_trainings`` (M)
        trainings of the same recipe (their mean, or the one training shown): both are
        means of draws from one distribution, so their difference has standard deviation
        SD·√(1/N + 1/M), SD measured here (the paper's spread is not printed); plus the
        printed ``rounding``. Unlike ``spread`` (k·SD), it narrows as N grows.

        >>> t = Tolerance.mean_of_trainings([0.4, 0.5, 0.6, 0.5], 1, rounding=0.005)
        >>> round(t.value, 4)   # 2 * 0.0816 * sqrt(1/4 + 1) + 0.005
        0.1876
        """
        a = np.asarray(samples, dtype=float)
        if a.size < 2 or paper_trainings < 1:
            raise ValueError("needs at least two trainings here and one in the paper")
        sd = float(a.std(ddof=1))
        return cls.combined(
            Uncertainty(sd / math.sqrt(a.size), f"SE of our mean of {a.size} {what}"),
            Uncertainty(
                sd / math.sqrt(paper_trainings),
                f"the paper's {paper_trainings} training{'s' if paper_trainings > 1 else ''}, "
                "at our SD",
            ),
            Uncertainty(None, f"spread between {what}: in both SEs (SD {sd:.3g})"),
            rounding=rounding,
            k=k,
        )

    @classmethod
    def stated(cls, value: float, reason: str) -> Tolerance:
        """A width set by a modelling reason (say which)."""
        return cls(float(value), f"stated: {reason}")


def binomial_se(p: float, n: int, clip: float = 1.0) -> float:
    """Standard error of a fraction ``p`` of ``n``, with ``p`` clipped ``clip`` examples
    away from 0 and 1 (so a perfect score keeps a width; ``n`` = 1: p = 1/2).

    >>> round(binomial_se(0.5, 100), 3), binomial_se(1.0, 4) == binomial_se(0.75, 4)
    (0.05, True)
    """
    if n < 1:
        raise ValueError("n must be >= 1")
    q = min(max(float(p), clip / n), 1.0 - clip / n) if n > 1 else 0.5
    return math.sqrt(q * (1 - q) / n)


def hanley_mcneil_se(auc: float, n_pos: int, n_neg: int) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982, eq. 2), AUC in [0, 1]."""
    a = min(max(float(auc), 1e-6), 1 - 1e-6)
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + (n_pos - 1) * (q1 - a * a) + (n_neg - 1) * (q2 - a * a)) / (n_pos * n_neg)
    return math.sqrt(max(var, 0.0))


@dataclass(frozen=True)
class TestResult:
    """A one-sided test of a paper's directional claim.

    ``p_value`` tests the paper's direction, ``p_opposite`` the other one;
    ``effect`` is a signed effect size in the paper's direction (positive = as the
    paper says), described by ``effect_name``.
    """

    __test__ = False  # not a pytest test class

    test: str
    p_value: float
    p_opposite: float
    effect: float
    effect_name: str
    n: str = ""

    def verdict(self, alpha: float = ALPHA) -> str:
        if self.p_value < alpha:
            return "reproduced"
        if self.p_opposite < alpha:
            return "differs"
        return "not significant"


def mann_whitney_greater(larger, smaller) -> TestResult:
    """Claim: values of ``larger`` tend to exceed those of ``smaller``. Effect: the
    common-language effect size P(X > Y) + P(X = Y)/2 minus 1/2."""
    from scipy.stats import mannwhitneyu

    x, y = np.asarray(larger, float), np.asarray(smaller, float)
    if len(x) < 2 or len(y) < 2:
        raise ValueError("Mann–Whitney needs at least two values per group")
    greater = mannwhitneyu(x, y, alternative="greater")
    less = mannwhitneyu(x, y, alternative="less")
    cles = float(greater.statistic) / (len(x) * len(y))
    return TestResult(
        "one-sided Mann–Whitney U",
        float(greater.pvalue),
        float(less.pvalue),
        cles - 0.5,
        "P(X>Y) − ½",
        f"{len(x)} vs {len(y)}",
    )


def wilcoxon_greater(differences) -> TestResult:
    """Claim: paired ``differences`` are positive (Wilcoxon signed-rank). Effect: median."""
    from scipy.stats import wilcoxon

    d = np.asarray(differences, float)
    if np.count_nonzero(d) < 2:
        return TestResult(
            "one-sided Wilcoxon signed-rank",
            1.0,
            1.0,
            float(np.median(d)) if d.size else 0.0,
            "median difference",
            f"{d.size} pairs",
        )
    greater = wilcoxon(d, alternative="greater")
    less = wilcoxon(d, alternative="less")
    return TestResult(
        "one-sided Wilcoxon signed-rank",
        float(greater.pvalue),
        float(less.pvalue),
        float(np.median(d)),
        "median difference",
        f"{d.size} pairs",
    )


def binomial_greater(successes: int, n: int, p0: float) -> TestResult:
    """Claim: the success rate exceeds ``p0`` (exact binomial test). Effect: rate − p0."""
    from scipy.stats import binomtest

    if n < 1:
        raise ValueError("n must be >= 1")
    greater = binomtest(successes, n, p0, alternative="greater").pvalue
    less = binomtest(successes, n, p0, alternative="less").pvalue
    return TestResult(
        f"one-sided exact binomial vs {p0:g}",
        float(greater),
        float(less),
        successes / n - p0,
        f"rate − {p0:g}",
        f"{successes}/{n}",
    )


def spearman_increasing(x, y) -> TestResult:
    """Claim: ``y`` increases with ``x`` (Spearman's rank correlation). Effect: rho."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 3:
        raise ValueError("a trend needs at least three points")
    if np.ptp(x) == 0 or np.ptp(y) == 0:  # no ranks to correlate: no trend either way
        return TestResult(
            "one-sided Spearman rank correlation", 1.0, 1.0, 0.0, "Spearman ρ", f"{len(x)} points"
        )
    greater = spearmanr(x, y, alternative="greater")
    rho = float(greater.statistic) if np.isfinite(greater.statistic) else 0.0
    if len(x) <= SPEARMAN_EXACT_MAX:
        # scipy's t approximation is far off for a few points (p = 7e-25 for five points
        # in perfect order, where no permutation test can go below 1/120): exact p values
        pg, pl = _spearman_exact(x, y)
        test = "one-sided Spearman rank correlation (exact permutation p)"
    else:
        less = spearmanr(x, y, alternative="less")
        pg = float(greater.pvalue) if np.isfinite(greater.pvalue) else 1.0
        pl = float(less.pvalue) if np.isfinite(less.pvalue) else 1.0
        test = "one-sided Spearman rank correlation"
    return TestResult(test, pg, pl, rho, "Spearman ρ", f"{len(x)} points")


SPEARMAN_EXACT_MAX = 8  # 8! = 40,320 permutations


def _spearman_exact(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Exact one-sided p values (greater, less) of Spearman's ρ over every permutation of
    ``y``'s ranks (mid-ranks for ties)."""
    from itertools import permutations

    from scipy.stats import rankdata

    rx = rankdata(x) - (len(x) + 1) / 2
    ry = rankdata(y)
    observed = float(rx @ ry)
    sums = np.array([rx @ np.asarray(p) for p in permutations(ry)])
    eps = 1e-9 * max(1.0, abs(observed))
    return float(np.mean(sums >= observed - eps)), float(np.mean(sums <= observed + eps))


def bootstrap_mean_greater(x, y=None, n_boot: int = 10_000, seed: int = 0) -> TestResult:
    """Claim: mean(x) > mean(y) (or mean(x) > 0 without ``y``), by a percentile
    bootstrap; p is the bootstrap fraction on the wrong side. Effect: the difference."""
    rng = np.random.default_rng(seed)
    x = np.asarray(x, float)
    y = None if y is None else np.asarray(y, float)
    bx = rng.choice(x, (n_boot, len(x))).mean(1)
    diff = bx - (rng.choice(y, (n_boot, len(y))).mean(1) if y is not None else 0.0)
    observed = float(x.mean() - (y.mean() if y is not None else 0.0))
    p = float((np.sum(diff <= 0) + 1) / (n_boot + 1))
    p_opp = float((np.sum(diff >= 0) + 1) / (n_boot + 1))
    n = f"{len(x)}" + (f" vs {len(y)}" if y is not None else "")
    return TestResult(
        f"one-sided percentile bootstrap ({n_boot} resamples)",
        p,
        p_opp,
        observed,
        "difference of means",
        n,
    )


def shares_agree(x: int, n: int, x_ref: int, n_ref: int, margin: float) -> TestResult:
    """Claim: the share ``x/n`` agrees with a reference share ``x_ref/n_ref`` (a paper's)
    within ±``margin``. Both shares carry their sampling error.

    ``p_value``: two one-sided tests (TOST) of the difference against ±margin, with the
    Agresti–Caffo standard error (one success and one failure added to each sample, which
    keeps it finite at 0/n and n/n); ``p_opposite``: Fisher's exact two-sided test of equal
    shares. Neither below alpha: the data are consistent with the reference, but the
    comparison is too coarse to show agreement within the margin. Effect: margin − |x/n −
    x_ref/n_ref| (positive = within the margin).

    >>> r = shares_agree(59, 75, 19, 25, 0.2)
    >>> round(r.effect, 3), r.verdict()
    (0.173, 'reproduced')
    >>> shares_agree(50, 75, 14, 25, 0.2).verdict()   # consistent, but the band is too wide
    'not significant'
    """
    from scipy.stats import fisher_exact, norm

    if not (0 <= x <= n and 0 <= x_ref <= n_ref and n >= 1 and n_ref >= 1):
        raise ValueError(f"shares need 0 <= successes <= n >= 1, got {x}/{n} and {x_ref}/{n_ref}")
    if not 0 < margin < 1:
        raise ValueError(f"the margin is a share in (0, 1), got {margin}")
    diff = x / n - x_ref / n_ref
    p1, p2 = (x + 1) / (n + 2), (x_ref + 1) / (n_ref + 2)
    se = math.sqrt(p1 * (1 - p1) / (n + 2) + p2 * (1 - p2) / (n_ref + 2))
    d_adj = p1 - p2
    p_tost = max(norm.sf((d_adj + margin) / se), norm.sf((margin - d_adj) / se))
    p_equal = fisher_exact([[x, n - x], [x_ref, n_ref - x_ref]]).pvalue
    return TestResult(
        f"TOST within ±{margin:.2g} (Agresti–Caffo SE {se:.3f}) vs Fisher's exact test",
        float(p_tost),
        float(p_equal),
        margin - abs(diff),
        "margin − |difference of shares|",
        f"{x}/{n} vs {x_ref}/{n_ref}",
    )
