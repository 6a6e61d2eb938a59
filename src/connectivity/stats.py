"""The book's one rule for ``reproduced``, and the tests that decide claims.

A paper's **number** is reproduced when it is shown *equivalent*: two one-sided tests at
5 % place the difference between this book's value and the paper's inside a margin that
the paper sets (:func:`ranking_margin`: half the distance to the nearest value it ranks
it against), with both sides' standard errors (:class:`Tolerance`, :meth:`Tolerance.verdict`).
It *differs* when a two-sided 5 % test rejects a zero difference, and is *not
significant* otherwise — consistent, but too imprecise to tell; :meth:`Tolerance.power`
says how often an exact reproduction would reach ``reproduced`` at that precision.
A paper's **direction** (more, fewer, higher) is reproduced when a one-sided test in
its direction is significant at 5 %, and differs when the opposite direction is
(:class:`TestResult`).
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
    """What counts as the same number as the paper's, and how precisely the difference is
    known: the book's one rule for a number (:meth:`verdict`).

    ``value`` is the equivalence **margin** (the largest |this book − paper| that is still
    the paper's result) with its ``basis``; ``se`` the standard error of the difference,
    this build's and the paper's combined (0 where both numbers are exact), with
    ``se_basis``. The margin is set by the paper, not by our sample: everywhere
    :func:`ranking_margin` (half the distance to the nearest value the paper compares it
    with), or a stated reason (:meth:`stated`).
    """

    value: float
    basis: str
    se: float = 0.0
    se_basis: str = ""

    def __post_init__(self) -> None:
        if not (self.value >= 0 and math.isfinite(self.value)):
            raise ValueError(f"a margin must be finite and >= 0, got {self.value}")
        if not self.basis.strip():
            raise ValueError("a margin needs its basis")
        if not (self.se >= 0 and math.isfinite(self.se)):
            raise ValueError(f"a standard error must be finite and >= 0, got {self.se}")
        if self.se > 0 and not self.se_basis.strip():
            raise ValueError("say what the standard error is made of")

    @property
    def margin(self) -> float:
        return self.value

    def verdict(self, difference: float, alpha: float = ALPHA) -> str:
        """The one rule: ``reproduced`` when two one-sided tests at ``alpha`` place the
        difference inside ± margin (|Δ| + z₁₋α·se ≤ margin), ``differs`` when a two-sided
        test at ``alpha`` rejects a zero difference (|Δ| > z₁₋α/₂·se; exact numbers: |Δ| >
        margin), else ``not significant`` (consistent with the paper, too imprecise to
        show it within the margin).

        >>> t = Tolerance.equivalence(0.1, "m", se=0.02, se_basis="s")
        >>> t.verdict(0.05), t.verdict(0.09), t.verdict(0.2)
        ('reproduced', 'differs', 'differs')
        >>> Tolerance.equivalence(0.1, "m", se=0.06, se_basis="s").verdict(0.05)
        'not significant'
        """
        from scipy.stats import norm

        d = abs(float(difference))
        if not math.isfinite(d):
            return "differs"
        if d + norm.isf(alpha) * self.se <= self.value + 1e-12:
            return "reproduced"
        if self.se == 0 or d > norm.isf(alpha / 2) * self.se:
            return "differs"
        return "not significant"

    def p_values(self, difference: float) -> tuple[float, float]:
        """(p of the two one-sided tests against ± margin, two-sided p of a zero
        difference), normal approximation; (0 or 1, 0 or 1) for exact numbers."""
        from scipy.stats import norm

        d = abs(float(difference))
        if self.se == 0:
            return (0.0 if d <= self.value else 1.0), (1.0 if d == 0 else 0.0)
        return float(norm.sf((self.value - d) / self.se)), float(2 * norm.sf(d / self.se))

    def power(self, alpha: float = ALPHA) -> float:
        """The chance of ``reproduced`` if the true difference is 0 (normal approximation):
        P(|Δ̂| ≤ margin − z₁₋α·se) with Δ̂ ~ N(0, se²). 0 where the margin is below
        z₁₋α·se: then no sample of this size can show the paper's number.

        >>> round(Tolerance.equivalence(0.1, "m", se=0.03, se_basis="s").power(), 3)
        0.909
        """
        from scipy.stats import norm

        if self.se == 0:
            return 1.0
        room = self.value - norm.isf(alpha) * self.se
        return float(max(0.0, 2 * norm.cdf(room / self.se) - 1))

    def words(self) -> str:
        """The margin and the standard error with their bases, for a note."""
        se = f"; SE of the difference {self.se:.2g} ({self.se_basis})" if self.se else ""
        return f"margin ±{self.value:.3g} ({self.basis}){se}"

    @classmethod
    def equivalence(
        cls, margin: float, margin_basis: str, se: float = 0.0, se_basis: str = ""
    ) -> Tolerance:
        """A margin with its basis and the difference's standard error with its basis."""
        return cls(float(margin), margin_basis, float(se), se_basis)

    @classmethod
    def combined(
        cls,
        ours: Uncertainty,
        paper: Uncertainty,
        training: Uncertainty,
        *,
        margin: float,
        margin_basis: str,
        rounding: float = 0.0,
    ) -> Tolerance:
        """Both sides' uncertainty as the difference's standard error:
        sqrt(ours² + paper² + training² + rounding²/3), with the margin given.

        This build's number and the paper's are independent estimates, each with its
        standard error (sample sizes); where a trained model carries the number, the
        spread between trainings adds to the difference as well. A printed value is off
        by up to half its last digit (``rounding``): a uniform error, SD rounding/√3.
        Unknown ingredients (``se=None``) are named in the basis and count as zero.

        >>> t = Tolerance.combined(Uncertainty(3, "ours"), Uncertainty(4, "paper"),
        ...                        Uncertainty(None, "trainings"), margin=10, margin_basis="m")
        >>> round(t.se, 2), t.value
        (5.0, 10.0)
        """
        if not (rounding >= 0 and math.isfinite(rounding)):
            raise ValueError(f"rounding must be finite and >= 0, got {rounding}")
        parts = (ours, paper, training)
        se = math.sqrt(sum((u.se or 0.0) ** 2 for u in parts) + rounding**2 / 3)
        basis = (
            "√(ours² + paper² + trainings²"
            + (f" + ({rounding:g} printed rounding)²/3" if rounding else "")
            + ") = "
            + f"{se:.2g}; "
            + "; ".join(
                f"{name} {u.words()}" for name, u in zip(("ours", "paper", "trainings"), parts)
            )
        )
        return cls(float(margin), margin_basis, se, basis)

    @classmethod
    def mean_of_trainings(
        cls,
        samples,
        paper_trainings: int,
        *,
        margin: float,
        margin_basis: str,
        rounding: float = 0.0,
        what: str = "trainings",
    ) -> Tolerance:
        """Our mean of N trainings against the paper's value from ``paper_trainings`` (M)
        trainings of the same recipe (their mean, or the one training shown): both are
        means of draws from one distribution, so their difference has standard error
        SD·√(1/N + 1/M), SD measured here (the paper's spread is not printed); plus the
        printed ``rounding`` (see :meth:`combined`).

        >>> t = Tolerance.mean_of_trainings([0.4, 0.5, 0.6, 0.5], 1, margin=0.1,
        ...                                 margin_basis="m")
        >>> round(t.se, 4)   # 0.0816 * sqrt(1/4 + 1)
        0.0913
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
            margin=margin,
            margin_basis=margin_basis,
            rounding=rounding,
        )

    @classmethod
    def stated(cls, value: float, reason: str) -> Tolerance:
        """A margin set by a modelling reason (say which), for exact numbers (se 0)."""
        return cls(float(value), f"stated: {reason}")


def ranking_margin(paper_value: float, others: dict[str, float]) -> tuple[float, str]:
    """The book's equivalence margin for a paper's number: half the distance to the
    nearest other value the paper ranks or compares it with (``others``, by name). Inside
    it, the paper's ordering of the values cannot change; a number farther off could swap
    places with its neighbour. Returns (margin, basis).

    >>> margin, basis = ranking_margin(0.47, {"DAE": 0.425, "pixels": 0.11})
    >>> margin, "DAE 0.425" in basis
    (0.0225, True)
    """
    if not others:
        raise ValueError("a ranking margin needs the paper's other values")
    name, nearest = min(others.items(), key=lambda kv: abs(kv[1] - paper_value))
    margin = round(abs(float(nearest) - float(paper_value)) / 2, 12)
    return margin, (
        f"half the distance from the paper's {paper_value:g} to its nearest compared value "
        f"({name} {nearest:g}): inside it the paper's ordering holds"
    )


def clopper_pearson(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper–Pearson) two-sided confidence interval of a binomial share.

    >>> [round(b, 4) for b in clopper_pearson(0, 75)]
    [0.0, 0.048]
    """
    from scipy.stats import beta

    if not (0 <= successes <= n and n >= 1):
        raise ValueError(f"needs 0 <= successes <= n >= 1, got {successes}/{n}")
    a = (1 - level) / 2
    lo = 0.0 if successes == 0 else float(beta.ppf(a, successes, n - successes + 1))
    hi = 1.0 if successes == n else float(beta.ppf(1 - a, successes + 1, n - successes))
    return lo, hi


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


def binomial_power(n: int, share: float = 0.8, alpha: float = 0.05) -> tuple[int, float]:
    """The one-sided exact binomial test against one half on ``n`` pairs
    (:func:`binomial_greater`): the fewest connected pairs at which
    it reaches p < ``alpha`` (``n + 1`` where no count can), and its power, the chance of
    reaching it if each pair connects with probability ``share``.

    >>> binomial_power(7)   # only 7 of 7 (p = 1/128; 6 of 7: 8/128): 0.8 ** 7
    (7, 0.2097152)
    >>> binomial_power(4)   # 4 of 4: p = 1/16, never below 5 %
    (5, 0.0)
    """
    from scipy.stats import binom

    for k in range(n + 1):
        if binom.sf(k - 1, n, 0.5) < alpha:
            return k, round(float(binom.sf(k - 1, n, share)), 10)
    return n + 1, 0.0


def weakest(results: list[TestResult], what: str) -> TestResult:
    """Intersection–union test: the claim holds only if every test of ``results`` finds
    it (and the opposite only if every test finds that), so the p values are the largest
    of each side; the test stays at its level. ``what`` names the tests combined."""
    worst = max(results, key=lambda r: r.p_value)
    return TestResult(
        f"{results[0].test} (the larger p of {what})",
        max(r.p_value for r in results),
        max(r.p_opposite for r in results),
        worst.effect,
        worst.effect_name,
        worst.n,
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


# --- tests of the Lancione chapter's conclusions over all pairs (Fisher; paired TOST) ---


def fisher_greater(failed_a: int, n_a: int, failed_b: int, n_b: int) -> TestResult:
    """Claim: group a fails more often than group b. One-sided Fisher's exact test of the
    2 × 2 table [[failed_a, n_a − failed_a], [failed_b, n_b − failed_b]]; ``p_opposite``
    the other direction's. Effect: the difference of the failure shares.

    >>> r = fisher_greater(5, 6, 10, 129)
    >>> r.verdict(), round(r.effect, 3)
    ('reproduced', 0.756)
    """
    from scipy.stats import fisher_exact

    if not (0 <= failed_a <= n_a and 0 <= failed_b <= n_b and n_a >= 1 and n_b >= 1):
        raise ValueError(
            f"needs 0 <= failed <= n >= 1 in both groups, got {failed_a}/{n_a}, {failed_b}/{n_b}"
        )
    table = [[failed_a, n_a - failed_a], [failed_b, n_b - failed_b]]
    greater = fisher_exact(table, alternative="greater").pvalue
    less = fisher_exact(table, alternative="less").pvalue
    return TestResult(
        "one-sided Fisher's exact test",
        float(greater),
        float(less),
        failed_a / n_a - failed_b / n_b,
        "difference of the failure shares",
        f"{failed_a}/{n_a} vs {failed_b}/{n_b}",
    )


def fisher_power(share_a: float, n_a: int, share_b: float, n_b: int, alpha: float = 0.05) -> float:
    """The chance that the one-sided Fisher test of "a fails more often than b"
    (:func:`fisher_greater`) is significant at ``alpha`` when a's
    paths fail with probability ``share_a`` and b's with ``share_b`` (exact: every
    outcome of the two binomials)."""
    from scipy.stats import binom

    power = 0.0
    for k_a in range(n_a + 1):
        for k_b in range(n_b + 1):
            if fisher_greater(k_a, n_a, k_b, n_b).p_value < alpha:
                power += binom.pmf(k_a, n_a, share_a) * binom.pmf(k_b, n_b, share_b)
    return float(power)


def fisher_needed(failed_b: int, n_b: int, n_a: int, alpha: float = 0.05) -> int | None:
    """The fewest failures of ``n_a`` in group a that make the one-sided Fisher test of
    "a fails more often than b" significant at ``alpha`` against ``failed_b`` of ``n_b``
    (None: not even ``n_a`` of ``n_a``)."""
    for k in range(n_a + 1):
        if fisher_greater(k, n_a, failed_b, n_b).p_value < alpha:
            return k
    return None


@dataclass(frozen=True)
class PairedDifference:
    """Per-pair differences a − b and the tolerance that decides "no difference" on
    their mean: the claim's margin and the standard error of the mean difference."""

    pairs: list[tuple[int, int]]
    differences: np.ndarray
    tolerance: Tolerance

    @property
    def mean(self) -> float:
        return float(self.differences.mean())

    @property
    def n(self) -> int:
        return len(self.pairs)


def paired_difference(
    a: dict, b: dict, margin: float, margin_basis: str, what: str = "pairs"
) -> PairedDifference:
    """The differences a[p] − b[p] over the keys both have (in ``a``'s order), and a
    :class:`~connectivity.Tolerance` with ``margin`` and the standard error of their
    mean (the paired comparison: what varies from pair to pair cancels). The claim "no
    difference" is a paper value of 0 compared with the mean by the one rule.

    The standard error is SD/√n scaled by t₀.₉₇₅(n − 1)/z₀.₉₇₅, so that the rule's
    normal-quantile test of a zero difference is the paired t-test at any n (its two
    one-sided tests then err on the safe side).

    >>> d = paired_difference({1: 0.5, 2: 0.6, 3: 0.7}, {1: 0.4, 2: 0.5, 3: 0.6}, 0.03, "m")
    >>> round(d.mean, 6), d.tolerance.se, d.tolerance.verdict(d.mean)
    (0.1, 0.0, 'differs')
    """
    common = [k for k in a if k in b]
    if len(common) < 2:
        raise ValueError(f"a paired comparison needs at least two {what}, got {len(common)}")
    from scipy.stats import norm, t

    d = np.array([a[k] - b[k] for k in common], dtype=float)
    n = len(d)
    scale = float(t.isf(ALPHA / 2, n - 1) / norm.isf(ALPHA / 2))
    se = float(d.std(ddof=1) / math.sqrt(n)) * scale
    tol = Tolerance.equivalence(
        margin,
        margin_basis,
        se,
        f"SD of the {n} per-{what.rstrip('s')} differences / √{n} (paired), × {scale:.3f} = "
        f"t/z for {n - 1} degrees of freedom (the paired t-test)",
    )
    return PairedDifference(common, d, tol)
