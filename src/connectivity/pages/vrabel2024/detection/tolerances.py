"""The detection page's tolerances and tests: :func:`cell_tolerances` (a Table 1 cell
within both sides' uncertainty), :func:`ablation_test` and :func:`logits_ablatable_test`
(paired bootstraps on the ablation)."""

from __future__ import annotations

import numpy as np

from connectivity import detection as det
from connectivity.paper_values.vrabel2024_adversarial import (
    ABLATION_MARGIN,
    BENCHMARK_TEST_PER_CLASS,
    DETECTOR_NAMES,
    TABLE1,
    TABLE1_ROUNDING,
)
from connectivity.stats import (
    TestResult,
    Tolerance,
    Uncertainty,
    binomial_se,
    hanley_mcneil_se,
    ranking_margin,
)

from .study import DatasetRun


def cell_margins(dataset: str, detector: str, attack_index: int) -> tuple[tuple[float, str], ...]:
    """(accuracy, AUC) equivalence margins of one Table 1 cell, in points
    (:func:`~connectivity.stats.ranking_margin`): half the distance to the nearest other
    detector's value in the paper's same column, so that inside it the paper's ranking of
    the detectors on that attack holds."""
    return tuple(
        ranking_margin(
            TABLE1[dataset][detector][attack_index][k],
            {
                DETECTOR_NAMES[d]: TABLE1[dataset][d][attack_index][k]
                for d in TABLE1[dataset]
                if d != detector
            },
        )
        for k in (0, 1)
    )


def cell_tolerances(
    score: det.DetectionScore,
    paper_acc: float,
    paper_auc: float,
    dataset: str,
    margins: tuple[tuple[float, str], ...],
):
    """(accuracy, AUC) tolerances of one Table 1 cell, in points: the margins of
    :func:`cell_margins`, and the difference's standard error from both sides'
    uncertainty (:meth:`~connectivity.stats.Tolerance.combined`): this build's binomial /
    Hanley–McNeil SE at its own value and test split, the paper's at its value and the
    benchmark's estimated test split (``BENCHMARK_TEST_PER_CLASS``), the printed rounding
    (0.05), and the spread between trainings (unknown: one training of each VGG). A rate
    of 0 or 1 is clipped to half an example from it, so a perfect score keeps a width."""

    def clip(rate: float, n: int) -> float:
        return min(max(rate, 0.5 / n), 1 - 0.5 / n)

    half, paper_n = score.n_test // 2, BENCHMARK_TEST_PER_CLASS[dataset]
    ours_what = f"this build, {half}+{half} test examples"
    paper_what = f"the paper, ~{paper_n}+{paper_n} test examples (estimated)"
    trainings = Uncertainty(None, "between trainings: one training of each VGG")

    def binomial(rate: float, n: int) -> float:
        return 100 * binomial_se(rate / 100, n, clip=0.5)

    accuracy = Tolerance.combined(
        Uncertainty(binomial(score.accuracy, score.n_test), f"binomial SE, {ours_what}"),
        Uncertainty(binomial(paper_acc, 2 * paper_n), f"binomial SE, {paper_what}"),
        trainings,
        margin=margins[0][0],
        margin_basis=margins[0][1],
        rounding=TABLE1_ROUNDING,
    )
    auc = Tolerance.combined(
        Uncertainty(
            100 * hanley_mcneil_se(clip(score.auc / 100, half), half, half),
            f"Hanley–McNeil SE, {ours_what}",
        ),
        Uncertainty(
            100 * hanley_mcneil_se(clip(paper_auc / 100, paper_n), paper_n, paper_n),
            f"Hanley–McNeil SE, {paper_what}",
        ),
        trainings,
        margin=margins[1][0],
        margin_basis=margins[1][1],
        rounding=TABLE1_ROUNDING,
    )
    return accuracy, auc


def ablation_test(run: DatasetRun, attack: str, n_boot: int, seed: int):
    """Paired bootstrap: the loss curve alone beats the sorted logits alone (AUC)."""
    curve, logits = run.ablation["curve"][attack], run.ablation["logits"][attack]
    if curve.n_test == 0:
        return None
    diff = det.paired_bootstrap_auc(curve, logits, n_boot, seed)
    return TestResult(
        f"paired bootstrap of AUC differences ({n_boot} resamples)",
        float((np.sum(diff <= 0) + 1) / (n_boot + 1)),
        float((np.sum(diff >= 0) + 1) / (n_boot + 1)),
        curve.auc - logits.auc,
        "AUC difference (points)",
        f"{curve.n_test} test examples",
    )


def logits_ablatable_test(
    run: DatasetRun, attack: str, n_boot: int, seed: int
) -> TestResult | None:
    """The paper's "the logits can be fully ablated": AUC(curve and logits) − AUC(curve
    only) below ``ABLATION_MARGIN`` points, by a paired bootstrap (p: the share of
    resamples at or above the margin; p_opposite: at or below it). Effect: the margin
    minus the observed loss (positive = as the paper says). None where not scored."""
    both, curve = run.ablation["both"][attack], run.ablation["curve"][attack]
    if curve.n_test == 0 or both.n_test == 0:
        return None
    diff = det.paired_bootstrap_auc(both, curve, n_boot, seed)
    return TestResult(
        f"paired bootstrap of the AUC lost without the logits, against {ABLATION_MARGIN:g} "
        f"point ({n_boot} resamples)",
        float((np.sum(diff >= ABLATION_MARGIN) + 1) / (n_boot + 1)),
        float((np.sum(diff <= ABLATION_MARGIN) + 1) / (n_boot + 1)),
        ABLATION_MARGIN - (both.auc - curve.auc),
        "margin minus the AUC lost (points)",
        f"{curve.n_test} test examples",
    )
