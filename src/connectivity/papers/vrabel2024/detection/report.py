"""The detection page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.DetectionStudy` (:func:`records`)
and glues the page's sentences (:func:`glue_sentences`, names ``det_*``). Tolerances and
tests:

* every Table 1 number (quantitative): within both sides' uncertainty
  (:func:`cell_tolerances`);
* the paper's claim per column, "the mode-connectivity detector's AUC exceeds every
  baseline's": the paired bootstrap of the study (``DatasetRun.claims``);
* attack success rates and the ablation (loss curve or logits alone): measurements;
  the sentence on the ablation quotes a paired bootstrap of its own
  (:func:`ablation_test`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from connectivity import detection as det
from connectivity import prose, scorecard
from connectivity.attacks import UNTARGETED
from connectivity.stats import (
    TestResult,
    Tolerance,
    Uncertainty,
    binomial_se,
    hanley_mcneil_se,
)

from ..values_adversarial import (
    ABLATION_MARGIN,
    ATTACK_NAMES,
    BASELINES,
    BENCHMARK_TEST_PER_CLASS,
    DATASET_NAMES,
    DETECTOR_NAMES,
    DETECTORS,
    LOGITS_ABLATABLE,
    TABLE1,
    TABLE1_ROUNDING,
    ablation_id,
    cell_id,
    claim_id,
)
from .settings import MAHALANOBIS_ROWS
from .study import DatasetRun, DetectionStudy

SECTION_TABLE = "Table 1, side by side"
SECTION_CLAIMS = "The paper's claims, tested"
SECTION_ABLATION = "Ablation: loss curve or logits?"
SECTION_MAHALANOBIS = "Mahalanobis rows: aligned or shuffled"
SE_TARGET = 3.0  # points: the largest AUC standard error the page aims for


@dataclass
class DetectionRecords:
    """What :func:`records` wrote: the Table 1 comparisons, the claims, counts."""

    cells: list
    claims: dict[tuple[str, str], object]
    within: int
    compared: int
    failed: int
    max_auc_se: float
    # (data set, attack) -> "the logits can be fully ablated" (DeepFool and C&W)
    ablation: dict[tuple[str, str], object] = field(default_factory=dict)


def report(study: DetectionStudy) -> DetectionRecords:
    """Write the page's scorecard records (:func:`records`) and glue the sentences that
    state their outcomes (:func:`glue_sentences`)."""
    recs = records(study)
    glue_sentences(study, recs)
    return recs


# ---------------------------------------------------------------- tolerances and tests


def cell_tolerances(score: det.DetectionScore, paper_acc: float, paper_auc: float, dataset: str):
    """(accuracy, AUC) tolerances of one Table 1 cell, in points, from both sides'
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


# ---------------------------------------------------------------- records


def records(study: DetectionStudy) -> DetectionRecords:
    """Scorecard records: every Table 1 number within both sides' uncertainty
    (:func:`cell_tolerances`), the per-column claim that the mode-connectivity detector
    beats every baseline (paired bootstrap), attack success rates and the ablation
    (measurements)."""
    cells, claims, ablation = [], {}, {}
    for ds, run in study.runs.items():
        cells += _table1_records(ds, run)
        claims.update(_claim_records(ds, run))
        _ablation_records(ds, run)
        ablation.update(_ablation_claims(ds, run, study.settings))
        _mahalanobis_rows_records(ds, run, study.settings.mahalanobis_rows)
    compared = [c for c in cells if c.kind == "quantitative" and c.verdict != "failed"]
    se = [c.extra.get("auc_se", 0.0) for c in compared if c.id.endswith(".auc")]
    return DetectionRecords(
        cells,
        claims,
        within=sum(c.verdict == "reproduced" for c in compared),
        compared=len(compared),
        failed=sum(c.verdict == "failed" for c in cells),
        max_auc_se=float(max(se)) if se else float("nan"),
        ablation=ablation,
    )


def _table1_records(ds: str, run: DatasetRun) -> list[scorecard.Record]:
    """The accuracy and AUC of every detector and attack on data set ``ds`` against the
    paper's Table 1 (failed where the cell could not be scored)."""
    cells = []
    note = f"VGG-16-BN width {run.model_width:g}, test accuracy {100 * run.model_accuracy:.1f} %"
    for d in DETECTORS:
        for j, a in enumerate(UNTARGETED):
            s = run.scores[d][a]
            paper_acc, paper_auc = TABLE1[ds][d][j]
            reason = None
            if s.n_test == 0:
                reason = (
                    f"{run.attacks[a].successes} successful adversarials: too few to split "
                    "and score"
                )
            elif s.constant:
                reason = (
                    f"the fitted {s.classifier} gave all {s.n_test} test examples the same "
                    "probability (features without spread, or a fit that failed)"
                )
            if reason is not None:
                for metric in ("accuracy", "auc"):
                    cells.append(
                        scorecard.fail(cell_id(ds, a, d, metric), reason, section=SECTION_TABLE)
                    )
                continue
            one = s.benchmark_split
            split_note = (
                f"; on the benchmark's own split (fold 1, {one.n_test} test examples): "
                f"accuracy {one.accuracy:.1f}, AUC {one.auc:.1f} ± {one.auc_se:.1f}"
                if one is not s
                else ""
            )
            acc_tol, auc_tol = cell_tolerances(s, paper_acc, paper_auc, ds)
            cells.append(
                scorecard.compare(
                    cell_id(ds, a, d, "accuracy"),
                    round(s.accuracy, 2),
                    acc_tol,
                    n=s.n_test,
                    note=f"{s.classifier}; {note}{split_note}",
                    section=SECTION_TABLE,
                )
            )
            cells.append(
                scorecard.compare(
                    cell_id(ds, a, d, "auc"),
                    round(s.auc, 2),
                    auc_tol,
                    n=s.n_test,
                    note=f"{s.classifier}; SE of this AUC {s.auc_se:.2f}; {note}{split_note}",
                    section=SECTION_TABLE,
                    auc_se=round(s.auc_se, 3),
                    benchmark_split_auc=round(one.auc, 2),
                    benchmark_split_auc_se=round(one.auc_se, 3),
                )
            )
    return cells


def _claim_records(ds: str, run: DatasetRun) -> dict[tuple[str, str], scorecard.Record]:
    """Per attack on data set ``ds``: the claim that the detector beats every baseline
    (failed where too few adversarials) and the attack's success rate (a measurement,
    written after its claim; also where the claim failed, where it matters most)."""
    claims = {}
    for a in UNTARGETED:
        cid = claim_id(ds, a)
        if a not in run.claims:
            claims[(ds, a)] = scorecard.fail(cid, "too few adversarials", section=SECTION_CLAIMS)
        else:
            claims[(ds, a)] = scorecard.test(
                cid,
                run.claims[a],
                reproduced=round(run.claims[a].effect, 2),
                section=SECTION_CLAIMS,
            )
        s = run.attacks[a]
        scorecard.measure(
            f"vrabel2024.detection.{ds}.{a}.success_rate",
            f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: attack success rate",
            round(s.success_rate, 4),
            unit="fraction",
            section="Attacks",
            note=f"{s.attacked} correctly classified test images attacked",
        )
    return claims


def _ablation_records(ds: str, run: DatasetRun) -> None:
    """The mean AUC on DeepFool and C&W of the detector with the loss curve only and with
    the sorted logits only (measurements; the note gives both together)."""
    both = float(np.mean([run.ablation["both"][a].auc for a in ("deepfool", "cw")]))
    for part in ("curve", "logits"):
        aucs = [run.ablation[part][a].auc for a in ("deepfool", "cw")]
        rid = f"vrabel2024.detection.{ds}.ablation.{part}"
        if np.isnan(aucs).any():  # an attack with too few adversarials: no score, no number
            scorecard.fail(
                rid, "too few DeepFool or C&W adversarials to score", section=SECTION_ABLATION
            )
            continue
        scorecard.measure(
            rid,
            f"{DATASET_NAMES[ds]}: mode-connectivity detector with the "
            f"{'loss curve' if part == 'curve' else 'sorted logits'} only, mean AUC "
            "on DeepFool and C&W",
            round(float(np.mean(aucs)), 2),
            unit="%",
            section=SECTION_ABLATION,
            note=f"with both: {both:.1f}",
        )


def _ablation_claims(ds: str, run: DatasetRun, settings) -> dict[tuple, scorecard.Record]:
    """The paper's "the logits can be fully ablated" on DeepFool and C&W, tested."""
    out = {}
    for a in LOGITS_ABLATABLE:
        result = logits_ablatable_test(run, a, settings.n_boot, settings.split_seed)
        rid = ablation_id(ds, a)
        if result is None:
            out[(ds, a)] = scorecard.fail(
                rid, "too few adversarials to score the ablation", section=SECTION_ABLATION
            )
            continue
        both, curve = run.ablation["both"][a].auc, run.ablation["curve"][a].auc
        out[(ds, a)] = scorecard.test(
            rid,
            result,
            reproduced=round(both - curve, 2),
            section=SECTION_ABLATION,
            note=f"AUC with both {both:.1f}, loss curve only {curve:.1f}, logits only "
            f"{run.ablation['logits'][a].auc:.1f}",
        )
    return out


def _mahalanobis_rows_records(ds: str, run: DatasetRun, table_rows: str) -> None:
    """Mahalanobis scored with the rows Table 1 does not use (measurements)."""
    other = next(r for r in MAHALANOBIS_ROWS if r != table_rows)
    for a, s in run.mahalanobis_other.items():
        if s.n_test == 0 or s.constant:
            continue  # the Table 1 cell says why it could not be scored
        used = run.scores["mahalanobis"][a]
        scorecard.measure(
            f"vrabel2024.detection.{ds}.{a}.mahalanobis_{other}.auc",
            f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: Mahalanobis AUC with {other} rows",
            round(s.auc, 2),
            unit="%",
            section=SECTION_MAHALANOBIS,
            note=f"Table 1 uses {table_rows} rows: AUC {used.auc:.1f}",
        )


# ---------------------------------------------------------------- generated prose


def glue_sentences(study: DetectionStudy, recs: DetectionRecords) -> None:
    """Glue every outcome sentence of the detection page (names ``det_*``; the claims
    also as ``says.<record id>``, each just before ``det_claims``)."""
    s = study.settings
    prose.glue("det_models", _models_sentence(study))
    prose.glue("det_success", _success_sentence(study))
    prose.glue(
        "det_cw_setting",
        f"{s.attacks.cw_binary_search_steps} binary-search steps of at most "
        f"{s.attacks.cw_steps} Adam steps each",
    )
    prose.glue("det_pgd_steps", s.attacks.pgd_steps)
    prose.glue("det_split", split_sentence(study))
    prose.glue("det_se", _se_sentence(recs))
    prose.glue("det_within", _within_sentence(recs))
    prose.glue("det_claims", _claims_sentence(recs))
    prose.glue("det_ablation", _ablation_sentence(study))
    prose.glue("det_ablatable", _ablatable_sentence(recs))
    prose.glue("det_why", _why_sentence(study))
    prose.glue("det_misses", _misses_sentence(study, recs))
    prose.glue("det_mahalanobis_rows", _mahalanobis_rows_sentence(study))


def _attacked(study: DetectionStudy) -> dict[str, int]:
    """Data set -> images attacked (the same for every attack)."""
    return {ds: next(iter(r.attacks.values())).attacked for ds, r in study.runs.items()}


def _models_sentence(study: DetectionStudy) -> str:
    models = [
        f"the {DATASET_NAMES[ds]} network (width {r.model_width:g}) classifies "
        f"{100 * r.model_accuracy:.1f} % of the test images correctly"
        for ds, r in study.runs.items()
    ]
    models_sentence = "; ".join(models)
    return models_sentence[:1].upper() + models_sentence[1:] + "."


def _success_sentence(study: DetectionStudy) -> str:
    attacked = _attacked(study)
    rates = []
    for ds, r in study.runs.items():
        parts = ", ".join(
            f"{ATTACK_NAMES[a]} {100 * sm.success_rate:.0f} %" for a, sm in r.attacks.items()
        )
        rates.append(f"on {DATASET_NAMES[ds]} ({attacked[ds]} images): {parts}")
    return "Attack success rates " + "; ".join(rates) + "."


def split_sentence(study: DetectionStudy) -> str:
    """How the detectors were scored: the benchmark's single split, or five folds (and
    then how far the benchmark's own split lands from the pooled five)."""
    if not study.settings.cross_validate:
        return "Every detector is scored on the benchmark's single split."
    scores = [
        s
        for run in study.runs.values()
        for by_attack in run.scores.values()
        for s in by_attack.values()
        if s.n_test
    ]
    if not scores:
        return "No detector could be scored in this build."
    diffs = np.abs([s.benchmark_split.auc - s.auc for s in scores])
    one_se = max(s.benchmark_split.auc_se for s in scores)
    pairs = min(s.n_test for s in scores) // 2, max(s.n_test for s in scores) // 2
    return (
        "The benchmark's one split would test only a fifth of the pairs (its largest AUC "
        f"standard error in this build: {one_se:.1f} points), so this build scores every "
        "detector on five folds: fold 1 is the benchmark's split, and four more cut the "
        "benchmark's training part into test parts of the same size; each fold is fitted "
        "as the benchmark fits (64 % train, 16 % validation, the KNN chosen again on its "
        "own validation part) and every pair is tested exactly once, so the AUCs below "
        f"are over {pairs[0]}–{pairs[1]} clean/adversarial pairs per cell. On the benchmark's "
        f"split alone the AUCs differ from these by {np.median(diffs):.1f} points (median; "
        f"at most {diffs.max():.1f}); the scorecard keeps them in each record's note."
    )


def _se_sentence(recs: DetectionRecords) -> str:
    target = SE_TARGET
    meets = recs.max_auc_se <= target
    if np.isnan(recs.max_auc_se):
        return "No AUC could be computed in this build."
    return (
        f"The largest Hanley–McNeil standard error of an AUC in this build is "
        f"{recs.max_auc_se:.1f} points, "
        + (
            f"within the {target:g}-point target."
            if meets
            else f"above the {target:g}-point target: too few test examples in that cell "
            "(attack more images, or the attack succeeded too rarely)."
        )
    )


def _within_sentence(recs: DetectionRecords) -> str:
    return (
        f"{recs.within} of the {recs.compared} accuracy and AUC numbers compared lie within "
        f"their tolerance of the paper's"
        + (f"; {recs.failed} could not be scored (too few adversarials)" if recs.failed else "")
        + "."
    )


def _claims_sentence(recs: DetectionRecords) -> str:
    """One sentence per claim, each also glued as ``says.<record id>``."""
    claim_sentences = []
    for (ds, a), rec in recs.claims.items():
        where = f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}"
        paper_says = "beats" if rec.paper else "does not beat"
        # the test is one-sided for "beats every baseline": its p supports "beats", the
        # opposite p "does not beat"; quote the one that supports the sentence
        beats, beaten = "{p:.2g}", "{p_opposite:.2g}"
        agree, disagree = (beats, beaten) if rec.paper else (beaten, beats)
        claim_sentences.append(
            prose.glue_say(
                rec,
                reproduced=f"{where}: as in the paper, the detector {paper_says} every "
                f"baseline (smallest margin {{value:+.1f}} points, p = {agree}).",
                differs=f"{where}: unlike the paper (where it {paper_says} every "
                "baseline), the opposite holds here (smallest margin {value:+.1f} points, "
                f"p = {disagree}).",
                not_significant=f"{where}: the paper says it {paper_says} every baseline; "
                "here the test decides neither way (smallest margin {value:+.1f} points, "
                "p = {p:.2g} and {p_opposite:.2g}).",
                failed=f"{where}: failed, so not tested ({{note}}).",
            )
        )
    return " ".join(claim_sentences)


def _ablation_sentence(study: DetectionStudy) -> str:
    s = study.settings
    abl = []
    for ds, r in study.runs.items():
        for a in ("deepfool", "cw"):
            res = ablation_test(r, a, s.n_boot, s.split_seed)
            if res is None:
                continue
            curve, logits = r.ablation["curve"][a].auc, r.ablation["logits"][a].auc
            abl.append(
                f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: loss curve alone {curve:.1f}, "
                f"logits alone {logits:.1f}, "
                + prose.direction(
                    res,
                    yes="the curve carries more of the signal (p = {p:.2g}).",
                    no="the logits alone carry more of the signal (p = {p_opposite:.2g}).",
                    unclear="no significant difference (p = {p:.2g}).",
                )
            )
    return " ".join(abl) if abl else "No attack gave enough adversarials."


def _misses_sentence(study: DetectionStudy, recs: DetectionRecords) -> str:
    """Each cell where the paper says the detector beats every baseline and this build
    finds the opposite, said plainly, with the ablation of that attack where it was run:
    which part of the features (loss curve, logits) falls short of the paper's AUC."""
    out = []
    for (ds, a), rec in recs.claims.items():
        if not (rec.paper and rec.verdict == "differs"):
            continue
        run = study.runs[ds]
        ours = run.scores["mode_connectivity"][a].auc
        best = max(BASELINES, key=lambda b: run.scores[b][a].auc)
        paper = TABLE1[ds]["mode_connectivity"][UNTARGETED.index(a)][1]
        text = (
            f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]} is a miss: the detector reaches AUC "
            f"{ours:.1f} against the paper's {paper:.1f}, and {DETECTOR_NAMES[best]} "
            f"({run.scores[best][a].auc:.1f}) beats it."
        )
        if a in run.ablation["curve"] and run.ablation["curve"][a].n_test:
            curve, logits = run.ablation["curve"][a].auc, run.ablation["logits"][a].auc
            short = [n for n, v in (("loss curve", curve), ("logits", logits)) if v < paper]
            text += (
                f" Ablated, the loss curve alone gives {curve:.1f} and the logits alone "
                f"{logits:.1f}: "
                + (
                    "both fall short of the paper's AUC, so neither block of the features "
                    "alone explains the miss."
                    if len(short) == 2
                    else f"only the {short[0]} falls short of the paper's AUC."
                    if short
                    else "each alone reaches the paper's AUC, so the miss is in combining them."
                )
            )
        out.append(text)
    return " ".join(out) if out else "No cell misses the paper's claim that the detector wins."


def _ablatable_sentence(recs: DetectionRecords) -> str:
    """The paper's "the logits can be fully ablated", per data set and attack (each also
    glued as ``says.<record id>``)."""
    out = []
    for (ds, a), rec in recs.ablation.items():
        where = f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}"
        out.append(
            prose.glue_say(
                rec,
                reproduced=f"{where}: without the logits the detector loses {{value:.1f}} "
                f"AUC points, less than {ABLATION_MARGIN:g} (p = {{p:.2g}}): they can be "
                "ablated, as the paper says.",
                differs=f"{where}: without the logits the detector loses {{value:.1f}} AUC "
                f"points, more than {ABLATION_MARGIN:g} (p = {{p_opposite:.2g}}): here they "
                "cannot be ablated.",
                not_significant=f"{where}: without the logits the detector loses {{value:.1f}} "
                f"AUC points; whether that is below {ABLATION_MARGIN:g} is not decided "
                "(p = {p:.2g} and {p_opposite:.2g}).",
                failed=f"{where}: failed, so not tested ({{note}}).",
            )
        )
    return " ".join(out)


def _why_sentence(study: DetectionStudy) -> str:
    s = study.settings
    runs = study.runs
    attacked = _attacked(study)
    widths = ", ".join(f"{w:g}" for w in sorted({r.model_width for r in runs.values()}))
    epochs = ", ".join(f"{r.model_epochs} ({DATASET_NAMES[ds]})" for ds, r in runs.items())
    smoothing = sorted({r.label_smoothing for r in runs.values()})
    return (
        "Where numbers differ, this build differs from the benchmark in: VGG-16-BN at width "
        f"{widths} trained for {epochs} epochs (the benchmark: full width, 50)"
        + (
            f", with label smoothing {', '.join(f'{x:g}' for x in smoothing)}, which caps the "
            "logits' margin that the logit-based features read"
            if any(smoothing)
            else ""
        )
        + f"; {min(attacked.values())} instead of all correctly classified test images; C&W "
        f"with {s.attacks.cw_steps} instead of 1,000 Adam steps per search step; and "
        + (
            "Mahalanobis rows kept aligned (the benchmark shuffles them, see Deviations). "
            if s.mahalanobis_rows == "aligned"
            else "Mahalanobis rows shuffled as the benchmark's. "
        )
        + "Which "
        "of these moves which cell is not tested here, beyond the ablation below."
        if s.profile != "paper"
        else "This is the paper profile: the benchmark's models and scale."
    )


def _mahalanobis_rows_sentence(study: DetectionStudy) -> str:
    """How much the benchmark's shuffled Mahalanobis rows move the AUCs (generated)."""
    table_rows = study.settings.mahalanobis_rows
    other = next(r for r in MAHALANOBIS_ROWS if r != table_rows)
    diffs = [
        (s.auc - run.scores["mahalanobis"][a].auc, ds, a)
        for ds, run in study.runs.items()
        for a, s in run.mahalanobis_other.items()
        if s.n_test and not s.constant and run.scores["mahalanobis"][a].n_test
    ]
    if not diffs:
        return "No Mahalanobis cell could be scored both ways."
    big = max(diffs, key=lambda d: abs(d[0]))
    return (
        f"With {other} rows the Mahalanobis AUC moves by {np.mean([d[0] for d in diffs]):+.1f} "
        f"points on average over the {len(diffs)} cells scored both ways (Table 1 uses "
        f"{table_rows} rows); the largest change is {big[0]:+.1f} points, on "
        f"{DATASET_NAMES[big[1]]} {ATTACK_NAMES[big[2]]}."
    )
