"""Paired comparisons of detectors scored on the same test split: a bootstrap of AUC
differences (clean/adversarial test pairs resampled together) and the test of Vrabel et
al.'s (2024, §4.2.1) claim that the mode-connectivity detector beats every baseline of
the benchmark of Harder et al. (2021) (intersection–union over the baselines).

Example::

    res = beats_all_test(scores["mode_connectivity"], {b: scores[b] for b in BASELINES})
    res.p_value, res.effect                  # the claim's p-value, smallest AUC margin
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from ..stats import TestResult
from .evaluation import DetectionScore


def _auc_rows(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUC of each row of ``scores`` (B, n) against ``labels`` (B, n) (Mann–Whitney
    form, ties counted half)."""
    ranks = rankdata(scores, axis=1)
    pos = labels.sum(1)
    neg = labels.shape[1] - pos
    u = (ranks * labels).sum(1) - pos * (pos + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return u / (pos * neg)


def paired_bootstrap_auc(
    first: DetectionScore, second: DetectionScore, n_boot: int = 2000, seed: int = 0
) -> np.ndarray:
    """Bootstrap distribution (n_boot,) of AUC(first) − AUC(second), in points, on the
    same test split: clean/adversarial test pairs are resampled together (a clean image
    and its twin are the i-th and (n/2 + i)-th test examples), both detectors scored on
    each resample."""
    if not np.array_equal(first.labels, second.labels):
        raise ValueError("the two detectors were not scored on the same test split")
    n = len(first.labels) // 2
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, n, (n_boot, n))
    rows = np.concatenate([pick, pick + n], 1)
    labels = first.labels[rows]
    diff = _auc_rows(labels, first.probabilities[rows]) - _auc_rows(
        labels, second.probabilities[rows]
    )
    return 100 * diff


def beats_all_test(
    candidate: DetectionScore,
    others: dict[str, DetectionScore],
    n_boot: int = 2000,
    seed: int = 0,
) -> TestResult:
    """One-sided test of "``candidate``'s AUC exceeds every one of ``others``'" by paired
    bootstraps on the same test split. The claim is an intersection, so its p-value is
    the largest of the per-baseline p-values (intersection–union test); the opposite
    ("some baseline beats it") is a union, so its p-value is the smallest per-baseline
    p-value times the number of baselines (Bonferroni). Effect: the smallest observed AUC
    margin over a baseline, in points."""
    p_claim, p_against, margins = [], [], []
    for other in others.values():
        diff = paired_bootstrap_auc(candidate, other, n_boot, seed)
        p_claim.append((np.sum(diff <= 0) + 1) / (n_boot + 1))
        p_against.append((np.sum(diff >= 0) + 1) / (n_boot + 1))
        margins.append(candidate.auc - other.auc)
    k = len(others)
    return TestResult(
        f"paired bootstrap of AUC differences ({n_boot} resamples; intersection–union over "
        f"{k} baselines, opposite side Bonferroni)",
        float(max(p_claim)),
        float(min(1.0, k * min(p_against))),
        float(min(margins)),
        "smallest AUC margin over a baseline (points)",
        f"{candidate.n_test} test examples",
    )
