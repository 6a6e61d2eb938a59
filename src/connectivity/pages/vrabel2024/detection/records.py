"""The detection page's scorecard records (:func:`records`, a :class:`DetectionRecords`),
written from a :class:`~.study.DetectionStudy`; :func:`.sentences.sentences` words their
outcomes and :func:`.report.report` does both. Tolerances and tests (:mod:`.tolerances`):

* the paper's headline per column (§4.2.1: the detector "outperformed baselines for more
  advanced attacks ... but underperformed on simpler"): its AUC margin over the best
  baseline against the paper's (quantitative, :func:`.tolerances.detector_margin`), and
  its rank among the six (measured, the paper's beside);
* every Table 1 number beside the paper's (context: another network and budget, the
  claims on it judged above), with its tolerance by the one rule (margin half the
  distance to the nearest other detector in the paper's column, SE from both sides'
  uncertainty, :func:`cell_tolerances`) and what the rule would say of it;
* the paper's claim per column, "the mode-connectivity detector's AUC exceeds every
  baseline's": the paired bootstrap of the study (``DatasetRun.claims``);
* attack success rates and the ablation (loss curve or logits alone): measurements;
  the sentence on the ablation quotes a paired bootstrap of its own
  (:func:`ablation_test`);
* Table 1 is compared on the benchmark's protocol: LID in its batches (the first batch
  reused, so only ``BENCHMARK_LID_BATCH`` pairs are distinct: the paper's standard error
  at that effective n, :func:`.tolerances.paper_pairs`) and Mahalanobis on its shuffled
  rows (``mahalanobis_rows``); the corrected LID and the other Mahalanobis rows are
  measurements beside, and every ``differs`` cell gets a ``cause`` (:func:`differs_cause`);
* per data set, a check that every class reference is a mode by the paper's threshold
  (``MODE_LOSS_THRESHOLD``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from connectivity import scorecard
from connectivity.attacks import UNTARGETED
from connectivity.paper_values.vrabel2024_adversarial import (
    ATTACK_NAMES,
    DATASET_NAMES,
    DETECTOR_NAMES,
    DETECTORS,
    LOGITS_ABLATABLE,
    LOGITS_ENHANCE,
    TABLE1,
    ablation_id,
    best_baseline,
    cell_id,
    claim_id,
    enhance_id,
    margin_id,
    paper_rank,
    rank_id,
)

from .settings import MAHALANOBIS_ROWS, DetectionSettings
from .study import DatasetRun, DetectionStudy
from .tolerances import (
    cell_margins,
    cell_tolerances,
    detector_margin,
    logits_ablatable_test,
    logits_enhance_test,
    paper_pairs,
)

# §4.1: "low-loss examples ... which have cross-entropy loss in the order of 1e-4 or lower"
# are the paper's real-image modes (the bypass page's mode threshold too)
MODE_LOSS_THRESHOLD = 1e-4
NOT_LOCATED = "not located"

SECTION_TABLE = "Table 1, side by side"
SECTION_REFERENCES = "Class references"
SECTION_LID = "LID batches: the benchmark's or corrected"
SECTION_CLAIMS = "The paper's claims, tested"
SECTION_ABLATION = "Ablation: loss curve or logits?"
SECTION_MAHALANOBIS = "Mahalanobis rows: aligned or shuffled"


@dataclass
class DetectionRecords:
    """What :func:`records` wrote: the Table 1 comparisons, the claims, the
    measurements, and counts of the comparisons."""

    cells: list[scorecard.Record]  # every Table 1 number, in the table's order
    claims: dict[tuple[str, str], scorecard.Record]  # (data set, attack): beats baselines
    # Table 1 numbers are shown beside the paper's (another network and budget), each with
    # what the one rule would say of it (extra "by_the_rule"), counted here
    within: int  # Table 1 numbers shown within their margin of the paper's
    compared: int  # Table 1 numbers scored (not failed)
    failed: int  # Table 1 numbers that could not be scored
    max_auc_se: float  # the largest standard error of a compared AUC (nan: none)
    # (data set, attack) -> "the logits can be fully ablated" (DeepFool and C&W)
    ablation: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    # (data set, attack) -> the attack's success rate (measured)
    success: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    # (data set, "curve" / "logits") -> the detector's AUC with that part alone (measured)
    parts: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    # (data set, attack) -> Mahalanobis AUC with the rows Table 1 does not use (measured)
    mahalanobis_other: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    differs: int = 0  # Table 1 numbers shown to differ from the paper's
    out_of_reach: int = 0  # Table 1 numbers whose margin no sample here can show (power < 5 %)
    # (data set, attack) -> LID AUC with corrected batches (measured; Table 1: the benchmark's)
    lid_other: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    # data set -> the check that every class reference is a mode (cross-entropy threshold)
    references: dict[str, scorecard.Record] = field(default_factory=dict)
    # Table 1 record id -> why it differs (only the cells that differ; NOT_LOCATED if unknown)
    causes: dict[str, str] = field(default_factory=dict)
    # (data set, attack) -> the detector's AUC margin over the best baseline (the headline)
    margins: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    # (data set, attack) -> the detector's rank by AUC among the six (measured)
    ranks: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)
    # (data set, attack) -> "the logits enhance the detection" (FGSM, BIM, PGD)
    enhance: dict[tuple[str, str], scorecard.Record] = field(default_factory=dict)


def network_name(run: DatasetRun) -> str:
    """The network a data set's run tested: the book's VGG or the reader's file."""
    if run.reader:
        return f"a reader's classifier, {run.reader['file']} ({run.reader['architecture']})"
    return f"VGG-16-BN width {run.model_width:g}"


def records(study: DetectionStudy) -> DetectionRecords:
    """Write the page's scorecard records; returns them as a :class:`DetectionRecords`:
    every Table 1 number by the one rule (:func:`cell_tolerances`), the
    per-column claim that the mode-connectivity detector beats every baseline (paired
    bootstrap), the claim that the logits can be ablated, attack success rates, the
    ablation and the other Mahalanobis rows (measurements)."""
    cells, claims, success, parts, ablation, other = [], {}, {}, {}, {}, {}
    lid_other, references, causes, margins, ranks, enhance = {}, {}, {}, {}, {}, {}
    for ds, run in study.runs.items():
        references[ds] = _reference_check(ds, run)
        for a, (margin, rank) in _headline_records(ds, run, study.settings).items():
            margins[(ds, a)], ranks[(ds, a)] = margin, rank
        ds_cells, ds_causes = _table1_records(ds, run, study.settings)
        cells += ds_cells
        causes.update(ds_causes)
        lid_other.update({(ds, a): r for a, r in _lid_batches_records(ds, run).items()})
        for a, (claim, rate) in _claim_records(ds, run).items():
            claims[(ds, a)], success[(ds, a)] = claim, rate
        parts.update({(ds, p): r for p, r in _ablation_records(ds, run).items()})
        ablation.update(_ablation_claims(ds, run, study.settings))
        enhance.update(_enhance_claims(ds, run, study.settings))
        rows = _mahalanobis_rows_records(ds, run, study.settings.mahalanobis_rows)
        other.update({(ds, a): r for a, r in rows.items()})
    compared = [c for c in cells if c.verdict != "failed"]
    rule = [c.extra.get("by_the_rule") for c in compared]
    se = [c.extra.get("auc_se", 0.0) for c in compared if c.id.endswith(".auc")]
    return DetectionRecords(
        cells,
        claims,
        within=rule.count("reproduced"),
        compared=len(compared),
        failed=sum(c.verdict == "failed" for c in cells),
        max_auc_se=float(max(se)) if se else float("nan"),
        ablation=ablation,
        success=success,
        parts=parts,
        mahalanobis_other=other,
        differs=rule.count("differs"),
        out_of_reach=sum(c.power is not None and c.power < 0.05 for c in compared),
        lid_other=lid_other,
        references=references,
        causes=causes,
        margins=margins,
        ranks=ranks,
        enhance=enhance,
    )


def _headline_records(
    ds: str, run: DatasetRun, settings: DetectionSettings
) -> dict[str, tuple[scorecard.Record, scorecard.Record]]:
    """Per attack on data set ``ds``: the detector's AUC margin over this build's best
    baseline against the paper's (:func:`detector_margin`; failed where a detector was
    not scored) and its rank among the six (a measurement, the paper's in the note)."""
    out = {}
    for a in UNTARGETED:
        found = detector_margin(run, ds, a, settings.n_boot, settings.split_seed)
        if found is None:
            reason = "a detector could not be scored on this attack (see its Table 1 cells)"
            out[a] = (
                scorecard.fail(margin_id(ds, a), reason, section=SECTION_CLAIMS),
                scorecard.fail(rank_id(ds, a), reason, section=SECTION_CLAIMS),
            )
            continue
        value, best, tol = found
        aucs = {d: run.scores[d][a].auc for d in DETECTORS}
        rank = 1 + sum(aucs[b] > aucs["mode_connectivity"] for b in DETECTORS[:-1])
        paper_best = DETECTOR_NAMES[best_baseline(ds, a)]
        margin = scorecard.compare(
            margin_id(ds, a),
            round(value, 2),
            tol,
            n=run.scores["mode_connectivity"][a].n_test,
            note=f"best baseline here {DETECTOR_NAMES[best]} (AUC {aucs[best]:.1f}), in the "
            f"paper {paper_best}; {network_name(run)}",
            section=SECTION_CLAIMS,
            best_baseline=best,
        )
        ranked = scorecard.measure(
            rank_id(ds, a),
            f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: the mode-connectivity detector's rank "
            "by AUC among the six detectors",
            rank,
            section=SECTION_CLAIMS,
            note=f"the paper's rank: {paper_rank(ds, a)} (Table 1)",
            paper_rank=paper_rank(ds, a),
        )
        out[a] = (margin, ranked)
    return out


def _reference_check(ds: str, run: DatasetRun) -> scorecard.Record:
    """The check that every class reference of data set ``ds`` is a mode: its
    cross-entropy against its own class at most ``MODE_LOSS_THRESHOLD``."""
    ce = np.asarray(run.reference_ce, float)
    rid = f"vrabel2024.detection.{ds}.reference_loss"
    if ce.size == 0:
        return scorecard.fail(rid, "no class references computed", section=SECTION_REFERENCES)
    above = int(np.sum(ce > MODE_LOSS_THRESHOLD))
    return scorecard.check(
        rid,
        f"{DATASET_NAMES[ds]}: every class reference is a mode (cross-entropy at most "
        f"{MODE_LOSS_THRESHOLD:g})",
        float(f"{ce.max():.4g}"),
        above == 0,
        "§4.1 takes a real image as a mode when its cross-entropy is in the order of "
        f"{MODE_LOSS_THRESHOLD:g} or lower; each reference is the lowest-loss image of its "
        "class in the pool searched, taken without a check",
        note=f"largest {ce.max():.3g}, median {np.median(ce):.3g}, smallest {ce.min():.3g}; "
        f"{above} of {ce.size} classes above the threshold",
        section=SECTION_REFERENCES,
        per_class=[float(f"{v:.4g}") for v in ce],
        threshold=MODE_LOSS_THRESHOLD,
    )


def _lid_batches_records(ds: str, run: DatasetRun) -> dict[str, scorecard.Record]:
    """LID scored with corrected batches (each image once; Table 1 uses the benchmark's),
    measurements by attack (only the attacks scored)."""
    out = {}
    for a, s in run.lid_other.items():
        if s.n_test == 0 or s.constant:
            continue
        used = run.scores["lid"][a]
        out[a] = scorecard.measure(
            f"vrabel2024.detection.{ds}.{a}.lid_corrected.auc",
            f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: LID AUC with corrected batches (each "
            "image once)",
            round(s.auc, 2),
            unit="%",
            section=SECTION_LID,
            note=f"Table 1 uses the benchmark's batches (its first batch reused): AUC "
            f"{used.auc:.1f}; corrected accuracy {s.accuracy:.1f}",
            accuracy=round(s.accuracy, 2),
            auc_se=round(s.auc_se, 3),
        )
    return out


def _alternative(ds: str, run: DatasetRun, detector: str, attack: str, settings):
    """(the score the other way, its words) for the detectors Table 1 scores on the
    benchmark's protocol where the book also scores another way; None elsewhere."""
    if detector == "lid":
        alt = run.lid_other.get(attack)
        words = "LID with corrected batches (each image once)"
    elif detector == "mahalanobis":
        alt = run.mahalanobis_other.get(attack)
        other = next(r for r in MAHALANOBIS_ROWS if r != settings.mahalanobis_rows)
        words = f"Mahalanobis with {other} rows"
    else:
        return None
    if alt is None or alt.n_test == 0 or alt.constant:
        return None
    return alt, words


def differs_cause(verdict: str, alternative_value, alternative_verdict, words: str) -> str:
    """Why a Table 1 number differs, from what was measured: "" where it does not
    differ; where the same detector scored the other way (``words``: how) leaves
    *differs*, that way named with its value and verdict; else ``NOT_LOCATED``.

    >>> differs_cause("differs", 90.0, "not significant", "LID corrected")
    'LID corrected moves it across: 90.0 there, not significant'
    >>> differs_cause("differs", 90.0, "differs", "LID corrected")
    'not located'
    >>> differs_cause("reproduced", 90.0, "differs", "LID corrected")
    ''
    """
    if verdict != "differs":
        return ""
    if alternative_value is None or alternative_verdict == "differs":
        return NOT_LOCATED
    return f"{words} moves it across: {alternative_value:.1f} there, {alternative_verdict}"


def _table1_records(
    ds: str, run: DatasetRun, settings: DetectionSettings
) -> tuple[list[scorecard.Record], dict[str, str]]:
    """The accuracy and AUC of every detector and attack on data set ``ds`` against the
    paper's Table 1 (failed where the cell could not be scored), and the cause of each
    that differs (record id -> :func:`differs_cause`)."""
    cells, causes = [], {}
    note = f"{network_name(run)}, test accuracy {100 * run.model_accuracy:.1f} %"
    why = cell_why(run, settings)
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
            margins = cell_margins(ds, d, j)
            pairs = paper_pairs(ds, d)
            tols = cell_tolerances(s, paper_acc, paper_auc, ds, margins, pairs)
            alt = _alternative(ds, run, d, a, settings)
            # the corrected LID's paper side stays the paper's (its rows repeat)
            alt_tols = (
                cell_tolerances(alt[0], paper_acc, paper_auc, ds, margins, pairs) if alt else None
            )
            for k, metric in enumerate(("accuracy", "auc")):
                rid, value = cell_id(ds, a, d, metric), getattr(s, metric)
                paper = (paper_acc, paper_auc)[k]
                alt_value = getattr(alt[0], metric) if alt else None
                cause = differs_cause(
                    tols[k].verdict(round(value, 2) - paper),
                    alt_value,
                    alt_tols[k].verdict(round(alt_value, 2) - paper) if alt else "",
                    alt[1] if alt else "",
                )
                if cause:
                    causes[rid] = cause
                extra = (
                    {
                        "auc_se": round(s.auc_se, 3),
                        "benchmark_split_auc": round(one.auc, 2),
                        "benchmark_split_auc_se": round(one.auc_se, 3),
                    }
                    if metric == "auc"
                    else {}
                )
                if alt:
                    extra[f"other_way_{metric}"] = round(alt_value, 2)
                if cause:
                    extra["cause"] = cause
                se_note = f"SE of this AUC {s.auc_se:.2f}; " if metric == "auc" else ""
                cells.append(
                    scorecard.beside(
                        rid,
                        round(value, 2),
                        why,
                        tolerance=tols[k],
                        n=s.n_test,
                        note=f"{s.classifier}; {se_note}{note}{split_note}",
                        section=SECTION_TABLE,
                        **extra,
                    )
                )
    return cells, causes


def cell_why(run: DatasetRun, settings: DetectionSettings) -> str:
    """Why a Table 1 number is shown beside the paper's without a verdict: another
    network and budget; the paper's claims on the table are judged in their own rows."""
    return (
        f"a raw Table 1 number of another network ({network_name(run)}) and budget (C&W at "
        f"{settings.attacks.cw_steps} of the benchmark's 1,000 steps): shown with its "
        "tolerance, not judged; the paper's claims on the table, the detector's margin over "
        "the best baseline and whether it beats every baseline, are judged per column"
    )


def _claim_records(
    ds: str, run: DatasetRun
) -> dict[str, tuple[scorecard.Record, scorecard.Record]]:
    """Per attack on data set ``ds``: the claim that the detector beats every baseline
    (failed where too few adversarials) and the attack's success rate (a measurement,
    written after its claim; also where the claim failed, where it matters most);
    returns attack -> (claim, success rate)."""
    out = {}
    for a in UNTARGETED:
        cid = claim_id(ds, a)
        if a not in run.claims:
            claim = scorecard.fail(cid, "too few adversarials", section=SECTION_CLAIMS)
        else:
            claim = scorecard.test(
                cid,
                run.claims[a],
                reproduced=round(run.claims[a].effect, 2),
                section=SECTION_CLAIMS,
            )
        s = run.attacks[a]
        out[a] = (
            claim,
            scorecard.measure(
                f"vrabel2024.detection.{ds}.{a}.success_rate",
                f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: attack success rate",
                round(s.success_rate, 4),
                unit="fraction",
                section="Attacks",
                note=f"{s.attacked} correctly classified test images attacked",
            ),
        )
    return out


def _ablation_records(ds: str, run: DatasetRun) -> dict[str, scorecard.Record]:
    """The mean AUC on DeepFool and C&W of the detector with the loss curve only and with
    the sorted logits only (measurements; the note gives both together); returns them by
    part ("curve", "logits")."""
    both = float(np.mean([run.ablation["both"][a].auc for a in ("deepfool", "cw")]))
    out = {}
    for part in ("curve", "logits"):
        aucs = [run.ablation[part][a].auc for a in ("deepfool", "cw")]
        rid = f"vrabel2024.detection.{ds}.ablation.{part}"
        if np.isnan(aucs).any():  # an attack with too few adversarials: no score, no number
            out[part] = scorecard.fail(
                rid, "too few DeepFool or C&W adversarials to score", section=SECTION_ABLATION
            )
            continue
        out[part] = scorecard.measure(
            rid,
            f"{DATASET_NAMES[ds]}: mode-connectivity detector with the "
            f"{'loss curve' if part == 'curve' else 'sorted logits'} only, mean AUC "
            "on DeepFool and C&W",
            round(float(np.mean(aucs)), 2),
            unit="%",
            section=SECTION_ABLATION,
            note=f"with both: {both:.1f}",
        )
    return out


def _ablation_claims(
    ds: str, run: DatasetRun, settings: DetectionSettings
) -> dict[tuple[str, str], scorecard.Record]:
    """The paper's "the logits can be fully ablated" on DeepFool and C&W, tested."""
    return _part_claims(
        ds, run, settings, LOGITS_ABLATABLE, ablation_id, logits_ablatable_test, logits=True
    )


def _enhance_claims(
    ds: str, run: DatasetRun, settings: DetectionSettings
) -> dict[tuple[str, str], scorecard.Record]:
    """The paper's "the logits slightly enhance" the detection of FGSM, BIM and PGD."""
    return _part_claims(ds, run, settings, LOGITS_ENHANCE, enhance_id, logits_enhance_test)


def _part_claims(ds, run, settings, attacks, record_id, test_of, logits: bool = False):
    """One claim of the paper on the detector's parts per attack of ``attacks``:
    ``test_of(run, attack, n_boot, seed)`` decides it (failed where it returns None);
    shown as the AUC with both parts minus the loss curve only's, the parts' AUCs in the
    note (the logits alone's too with ``logits``)."""
    out = {}
    for a in attacks:
        result = test_of(run, a, settings.n_boot, settings.split_seed)
        rid = record_id(ds, a)
        if result is None:
            out[(ds, a)] = scorecard.fail(
                rid,
                "too few adversarials to score the ablation, or a part without spread",
                section=SECTION_ABLATION,
            )
            continue
        both, curve = run.ablation["both"][a].auc, run.ablation["curve"][a].auc
        alone = f", logits only {run.ablation['logits'][a].auc:.1f}" if logits else ""
        out[(ds, a)] = scorecard.test(
            rid,
            result,
            reproduced=round(both - curve, 2),
            section=SECTION_ABLATION,
            note=f"AUC with both {both:.1f}, loss curve only {curve:.1f}{alone}",
        )
    return out


def _mahalanobis_rows_records(
    ds: str, run: DatasetRun, table_rows: str
) -> dict[str, scorecard.Record]:
    """Mahalanobis scored with the rows Table 1 does not use (measurements); returns
    them by attack (only the attacks scored)."""
    other = next(r for r in MAHALANOBIS_ROWS if r != table_rows)
    out = {}
    for a, s in run.mahalanobis_other.items():
        if s.n_test == 0 or s.constant:
            continue  # the Table 1 cell says why it could not be scored
        used = run.scores["mahalanobis"][a]
        out[a] = scorecard.measure(
            f"vrabel2024.detection.{ds}.{a}.mahalanobis_{other}.auc",
            f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: Mahalanobis AUC with {other} rows",
            round(s.auc, 2),
            unit="%",
            section=SECTION_MAHALANOBIS,
            note=f"Table 1 uses {table_rows} rows: AUC {used.auc:.1f}",
        )
    return out
