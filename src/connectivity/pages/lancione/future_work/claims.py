"""The two tests the future-work page adds for the report's conclusions over all pairs.

* :func:`fisher_greater`: a share of failures in one group against another's, by
  Fisher's exact test, one-sided (the hard pairs' failed trainings against the rest);
* :func:`paired_difference`: a "no difference" claim over digit pairs, decided by the
  book's one rule (:meth:`~connectivity.stats.Tolerance.verdict`) on the mean of the
  per-pair differences: ``reproduced`` only by equivalence (two one-sided tests within
  the margin), ``differs`` when the paired test rejects a zero difference.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from connectivity import stats


def fisher_greater(failed_a: int, n_a: int, failed_b: int, n_b: int) -> stats.TestResult:
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
    return stats.TestResult(
        "one-sided Fisher's exact test",
        float(greater),
        float(less),
        failed_a / n_a - failed_b / n_b,
        "difference of the failure shares",
        f"{failed_a}/{n_a} vs {failed_b}/{n_b}",
    )


@dataclass(frozen=True)
class PairedDifference:
    """Per-pair differences a − b and the tolerance that decides "no difference" on
    their mean: the claim's margin and the standard error of the mean difference."""

    pairs: list[tuple[int, int]]
    differences: np.ndarray
    tolerance: stats.Tolerance

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
    :class:`~connectivity.stats.Tolerance` with ``margin`` and the standard error of their
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
    scale = float(t.isf(stats.ALPHA / 2, n - 1) / norm.isf(stats.ALPHA / 2))
    se = float(d.std(ddof=1) / math.sqrt(n)) * scale
    tol = stats.Tolerance.equivalence(
        margin,
        margin_basis,
        se,
        f"SD of the {n} per-{what.rstrip('s')} differences / √{n} (paired), × {scale:.3f} = "
        f"t/z for {n - 1} degrees of freedom (the paired t-test)",
    )
    return PairedDifference(common, d, tol)
