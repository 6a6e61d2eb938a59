"""The detection page's tolerances and tests: :func:`cell_tolerances` (a Table 1 cell
within both sides' uncertainty and its spread over refits), :func:`detector_margin` (the
paper's headline per column: the detector's AUC margin over the best baseline), :func:`cell_z` and
:func:`borderline` (how far a cell is from the paper's and from its margin),
:func:`ablation_test` and :func:`logits_ablatable_test` (paired bootstraps on the
ablation)."""

from __future__ import annotations

import numpy as np

from connectivity import detection as det
from connectivity.paper_values.vrabel2024_adversarial import (
    ABLATION_MARGIN,
    ATTACKS,
    BASELINES,
    BENCHMARK_TEST_PER_CLASS,
    DETECTOR_NAMES,
    TABLE1,
    TABLE1_ROUNDING,
    best_baseline,
    paper_margin,
)
from connectivity.stats import (
    TestResult,
    Tolerance,
    Uncertainty,
    binomial_se,
    hanley_mcneil_se,
    ranking_margin,
)

from .study import REFIT_MAX_FEATURES, DatasetRun


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


# extract_characteristics.py (LID): batch_size = 100, and estimate() fills every batch with
# images[j], not images[start + j]: the paper's LID rows are copies of its first 100 pairs
BENCHMARK_LID_BATCH = 100


def paper_pairs(dataset: str, detector: str) -> int:
    """Distinct pairs per class behind the paper's number of one Table 1 cell: the
    benchmark's estimated test split (``BENCHMARK_TEST_PER_CLASS``), or, for LID, its
    first batch (:data:`BENCHMARK_LID_BATCH`), which every LID row repeats."""
    full = BENCHMARK_TEST_PER_CLASS[dataset]
    return min(full, BENCHMARK_LID_BATCH) if detector == "lid" else full


NOT_VARIED = (
    "not varied: the VGG's training and the draw of attacked images (they need a GPU), "
    "attack starts (cached once per image)"
)
BORDERLINE = 0.1  # |difference| within this share of the margin from it: a borderline cell


def _our_se(score: det.DetectionScore, metric: str, clipped: float) -> Uncertainty:
    """This build's SE of one number of ``score``: between-fold when it is the mean of
    several folds (``clipped``, the binomial / Hanley–McNeil SE at all its test
    examples, where the folds agree exactly and their SE is 0), else ``clipped``."""
    half = score.n_test // 2
    kind = "binomial" if metric == "accuracy" else "Hanley–McNeil"
    if not score.between_folds:
        return Uncertainty(clipped, f"{kind} SE, this build, {half}+{half} test examples")
    se = score.accuracy_se if metric == "accuracy" else score.auc_se
    k = len(score.fold_auc)
    if se > 0:
        return Uncertainty(
            se, f"between-fold SE of this build's mean of {k} folds ({half}+{half} test pairs)"
        )
    return Uncertainty(
        clipped,
        f"{kind} SE at this build's {half}+{half} test examples ({k} folds agree exactly, "
        "between-fold SE 0)",
    )


def _refit_sd(score: det.DetectionScore, metric: str) -> Uncertainty:
    """The spread of ``score`` over its refits (``score.refit``) as the tolerance's
    training ingredient; unknown where not measured."""
    r = score.refit
    if r is None:
        return Uncertainty(
            None,
            "spread between fits: not measured for this cell (refit_seeds 0, or features of "
            f"more than {REFIT_MAX_FEATURES:,} columns, too costly to refit); {NOT_VARIED}",
        )
    sd = r.accuracy_sd if metric == "accuracy" else r.auc_sd
    return Uncertainty(
        sd, f"SD over {r.n} fits on the same features, varying the {r.varied}; {NOT_VARIED}"
    )


def auc_se(auc: float, n: int) -> float:
    """Hanley–McNeil SE (points) of an AUC in % on n clean and n adversarial examples; a
    perfect 0 or 100 clipped to half an example from it, so it keeps a width."""
    return 100 * hanley_mcneil_se(min(max(auc / 100, 0.5 / n), 1 - 0.5 / n), n, n)


def cell_tolerances(
    score: det.DetectionScore,
    paper_acc: float,
    paper_auc: float,
    dataset: str,
    margins: tuple[tuple[float, str], ...],
    pairs: int | None = None,
):
    """(accuracy, AUC) tolerances of one Table 1 cell, in points: the margins of
    :func:`cell_margins`, and the difference's standard error from both sides'
    uncertainty (:meth:`~connectivity.stats.Tolerance.combined`): this build's SE
    (between-fold when the score is the mean of five folds, else binomial /
    Hanley–McNeil at its test split), the paper's binomial / Hanley–McNeil SE at its value
    and ``pairs`` distinct pairs per class (default: the benchmark's estimated test split,
    ``BENCHMARK_TEST_PER_CLASS``; :func:`paper_pairs` gives LID's 100), the printed
    rounding (0.05), and the spread of the cell over refits on the same features
    (``score.refit``, in quadrature; unknown where not measured). The spread between
    trainings of the VGG is not measured (one training of each). A rate of 0 or 1 is
    clipped to half an example from it, so a perfect score keeps a width."""

    full = BENCHMARK_TEST_PER_CLASS[dataset]
    half, paper_n = score.n_test // 2, min(pairs or full, full)
    paper_what = (
        f"the paper, ~{paper_n}+{paper_n} test examples (estimated)"
        if paper_n == full
        else f"the paper at its {paper_n}+{paper_n} distinct pairs (its rows repeat its "
        f"first {paper_n}; ~{full}+{full} test rows)"
    )

    def binomial(rate: float, n: int) -> float:
        return 100 * binomial_se(rate / 100, n, clip=0.5)

    accuracy = Tolerance.combined(
        _our_se(score, "accuracy", binomial(score.accuracy, score.n_test)),
        Uncertainty(binomial(paper_acc, 2 * paper_n), f"binomial SE, {paper_what}"),
        _refit_sd(score, "accuracy"),
        margin=margins[0][0],
        margin_basis=margins[0][1],
        rounding=TABLE1_ROUNDING,
    )
    auc = Tolerance.combined(
        _our_se(score, "auc", auc_se(score.auc, half)),
        Uncertainty(
            auc_se(paper_auc, paper_n),
            f"Hanley–McNeil SE, {paper_what}",
        ),
        _refit_sd(score, "auc"),
        margin=margins[1][0],
        margin_basis=margins[1][1],
        rounding=TABLE1_ROUNDING,
    )
    return accuracy, auc


def detector_margin(
    run: DatasetRun, dataset: str, attack: str, n_boot: int, seed: int
) -> tuple[float, str, Tolerance] | None:
    """The paper's headline in one column, as this build measures it: (the
    mode-connectivity detector's AUC minus this build's best baseline's, that baseline,
    the tolerance against the paper's margin), or None where a detector was not scored.

    The margin is half the paper's own (:func:`~connectivity.stats.ranking_margin`
    against 0, a tie): inside it the detector stays on the paper's side of the best
    baseline with at least half its lead or gap. The SE: this build's paired bootstrap
    of the two AUCs on the same test pairs, the paper's Hanley–McNeil SE of each AUC at
    its distinct pairs (:func:`paper_pairs`; independent sides: a paired SE would be
    smaller), and the rounding of two printed numbers."""
    scores = {d: run.scores[d][attack] for d in (*BASELINES, "mode_connectivity")}
    if any(s.n_test == 0 or s.constant for s in scores.values()):
        return None
    ours = scores["mode_connectivity"]
    best = max(BASELINES, key=lambda b: scores[b].auc)
    diff = det.paired_bootstrap_auc(ours, scores[best], n_boot, seed)
    j = ATTACKS.index(attack)
    paper_best = best_baseline(dataset, attack)

    def paper_se(detector: str) -> float:
        return auc_se(TABLE1[dataset][detector][j][1], paper_pairs(dataset, detector))

    half = ours.n_test // 2
    paper = paper_margin(dataset, attack)
    margin, basis = ranking_margin(paper, {"a tie with the best baseline": 0.0})
    tol = Tolerance.combined(
        Uncertainty(
            float(np.std(diff, ddof=1)),
            f"SD of {n_boot} paired bootstrap resamples of this build's {half}+{half} test "
            f"pairs (the detector against {DETECTOR_NAMES[best]})",
        ),
        Uncertainty(
            float(np.hypot(paper_se("mode_connectivity"), paper_se(paper_best))),
            "the paper's Hanley–McNeil SEs of its two AUCs (the detector and "
            f"{DETECTOR_NAMES[paper_best]}) at its distinct pairs, in quadrature",
        ),
        Uncertainty(None, f"spread between trainings: {NOT_VARIED}"),
        margin=margin,
        margin_basis=basis,
        rounding=TABLE1_ROUNDING * float(np.sqrt(2)),
    )
    return ours.auc - scores[best].auc, best, tol


def cell_z(difference: float, tolerance: Tolerance) -> float:
    """z of a cell: (this build − paper) / the difference's standard error (nan where
    the SE is 0)."""
    return float(difference) / tolerance.se if tolerance.se > 0 else float("nan")


def borderline(difference: float, tolerance: Tolerance, share: float = BORDERLINE) -> bool:
    """|difference| within ``share`` of the margin from the margin itself: a cell whose
    number sits at the edge of the paper's ranking.

    >>> t = Tolerance.equivalence(1.0, "m", se=0.2, se_basis="s")
    >>> borderline(0.95, t), borderline(-1.08, t), borderline(0.5, t)
    (True, True, False)
    """
    return abs(abs(float(difference)) - tolerance.value) <= share * tolerance.value


def _scored(*scores: det.DetectionScore) -> bool:
    """Whether every score has test examples, spread and a finite AUC."""
    return all(s.n_test and not s.constant and np.isfinite(s.auc) for s in scores)


def _beats_test(
    first: det.DetectionScore, second: det.DetectionScore, n_boot: int, seed: int, effect: str
) -> TestResult:
    """Paired bootstrap of "``first``'s AUC exceeds ``second``'s" on the same test
    pairs (one-sided, both directions' p); effect: the AUC difference, named ``effect``."""
    diff = det.paired_bootstrap_auc(first, second, n_boot, seed)
    return TestResult(
        f"paired bootstrap of AUC differences ({n_boot} resamples)",
        float((np.sum(diff <= 0) + 1) / (n_boot + 1)),
        float((np.sum(diff >= 0) + 1) / (n_boot + 1)),
        first.auc - second.auc,
        effect,
        f"{first.n_test} test examples",
    )


def ablation_test(run: DatasetRun, attack: str, n_boot: int, seed: int):
    """Paired bootstrap: the loss curve alone beats the sorted logits alone (AUC)."""
    curve, logits = run.ablation["curve"][attack], run.ablation["logits"][attack]
    if curve.n_test == 0:
        return None
    return _beats_test(curve, logits, n_boot, seed, "AUC difference (points)")


def logits_enhance_test(run: DatasetRun, attack: str, n_boot: int, seed: int) -> TestResult | None:
    """The paper's "[the logits] slightly enhance performance against simpler attacks":
    AUC(curve and logits) − AUC(curve only) above 0, by a paired bootstrap. Effect: the
    AUC gained (points). None where not scored (or a part scored every example alike)."""
    both, curve = run.ablation["both"][attack], run.ablation["curve"][attack]
    if not _scored(both, curve):
        return None
    return _beats_test(both, curve, n_boot, seed, "AUC gained with the logits (points)")


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
