"""The detection page's generated sentences (:func:`sentences`, glue names ``det_*`` and
``says.<record id>``): every sentence that states an outcome is worded from the computed
values and the records' verdicts; :func:`.report.report` glues them."""

from __future__ import annotations

from typing import Any

import numpy as np

from connectivity import prose
from connectivity.attacks import UNTARGETED
from connectivity.paper_values.vrabel2024_adversarial import (
    ABLATION_MARGIN,
    ATTACK_NAMES,
    BASELINES,
    DATASET_NAMES,
    DETECTOR_NAMES,
    TABLE1,
)

from .records import MODE_LOSS_THRESHOLD, NOT_LOCATED, DetectionRecords, network_name
from .settings import MAHALANOBIS_ROWS
from .study import DetectionStudy
from .tolerances import ablation_test

SE_TARGET = 3.0  # points: the largest AUC standard error the page aims for


def sentences(study: DetectionStudy, recs: DetectionRecords) -> dict[str, Any]:
    """Every value the detection page glues, by glue name, in the page's order: the
    ``det_*`` sentences and numbers, and each claim's sentence as ``says.<record id>``
    (the claims' just before ``det_claims``, the ablation claims' just before
    ``det_ablatable``, which join them); ``recs`` as :func:`.records.records` returns
    them."""
    s = study.settings
    claims = _claim_sentences(study, recs)
    ablatable = _ablatable_sentences(recs)
    return {
        "det_models": _models_sentence(study) + " " + _references_sentence(study, recs),
        "det_success": _success_sentence(study),
        "det_cw_setting": f"{s.attacks.cw_binary_search_steps} binary-search steps of at most "
        f"{s.attacks.cw_steps} Adam steps each",
        "det_pgd_steps": s.attacks.pgd_steps,
        "det_split": split_sentence(study),
        "det_se": _se_sentence(study, recs),
        "det_within": _within_sentence(recs) + " " + _protocol_sentence(study),
        **claims,
        "det_claims": " ".join(claims.values()),
        "det_margins": margins_sentence(recs),
        "det_ablation": _ablation_sentence(study),
        **ablatable,
        "det_ablatable": " ".join(ablatable.values()),
        "det_enhance": enhance_sentence(recs),
        "det_why": _why_sentence(study, recs),
        "det_misses": _misses_sentence(study, recs),
        "det_mahalanobis_rows": _mahalanobis_rows_sentence(study),
        "det_lid_batches": _lid_batches_sentence(study),
    }


def _attacked(study: DetectionStudy) -> dict[str, int]:
    """Data set -> images attacked (the same for every attack)."""
    return {ds: next(iter(r.attacks.values())).attacked for ds, r in study.runs.items()}


def _models_sentence(study: DetectionStudy) -> str:
    models = [
        f"the {DATASET_NAMES[ds]} network ({network_name(r)}) classifies "
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


def _se_sentence(study: DetectionStudy, recs: DetectionRecords) -> str:
    target = SE_TARGET
    # five folds: the SE between the folds' AUCs; one split: Hanley–McNeil's
    kind = "between-fold" if study.settings.cross_validate else "Hanley–McNeil"
    meets = recs.max_auc_se <= target
    if np.isnan(recs.max_auc_se):
        return "No AUC could be computed in this build."
    return (
        f"The largest {kind} standard error of an AUC in this build is "
        f"{recs.max_auc_se:.1f} points, "
        + (
            f"within the {target:g}-point target."
            if meets
            else f"above the {target:g}-point target: too few test examples in that cell "
            "(attack more images, or the attack succeeded too rarely)."
        )
    )


def _within_sentence(recs: DetectionRecords) -> str:
    undecided = recs.compared - recs.within - recs.differs
    text = (
        f"Measured against the paper's by the rule, {recs.within} of the {recs.compared} "
        f"accuracy and AUC numbers are within their margin, {recs.differs} outside it and "
        f"{undecided} undecided"
        + (f"; {recs.failed} could not be scored (too few adversarials)" if recs.failed else "")
        + ". They are measurements of another network and budget, not verdicts: the "
        "paper's claims on the table are judged per column in the next section."
    )
    if recs.out_of_reach:
        text += (
            f" {recs.out_of_reach} of the {recs.compared} could not be shown within their "
            "margin at this build's test split (power below 5 %): the paper's detectors sit "
            "closer together in their column than 1.645 standard errors of the difference."
        )
    return text


def margins_sentence(recs: DetectionRecords) -> str:
    """The paper's headline per column in one sentence per data set: this build's AUC
    margin of the detector over its best baseline against the paper's, each with its
    verdict; then how many columns rank the detector where the paper does."""
    by_ds: dict[str, list[str]] = {}
    for (ds, a), rec in recs.margins.items():
        if rec.verdict == "failed":
            part = f"{ATTACK_NAMES[a]} not scored"
        else:
            part = (
                f"{ATTACK_NAMES[a]} {rec.reproduced:+.1f} ± {rec.se:.1f} against "
                f"{rec.paper:+.1f} ({rec.verdict})"
            )
        by_ds.setdefault(ds, []).append(part)
    if not by_ds:
        return "No column could be scored in this build."
    per_ds = "; ".join(f"{DATASET_NAMES[ds]}: {', '.join(parts)}" for ds, parts in by_ds.items())
    ranked = [r for r in recs.ranks.values() if r.verdict != "failed"]
    same = sum(r.reproduced == r.extra["paper_rank"] for r in ranked)
    return (
        "The detector's AUC minus the best baseline's, this build against the paper (points, "
        f"± the SE of the difference) — {per_ds}. Its rank among the six detectors is the "
        f"paper's in {same} of {len(ranked)} columns."
    )


def _claim_sentences(study: DetectionStudy, recs: DetectionRecords) -> dict[str, str]:
    """One sentence per claim "the detector beats every baseline", worded by its verdict,
    then which baseline decides it (the closest here; where the paper's own table has
    the detector lose, the baselines that beat it there) and the same test with the
    other LID batches and Mahalanobis rows; returns them by glue name
    ``says.<record id>``, in the claims' order."""
    out = {}
    for (ds, a), rec in recs.claims.items():
        where = f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}"
        paper_says = "beats" if rec.paper else "does not beat"
        # the test is one-sided for "beats every baseline": its p supports "beats", the
        # opposite p "does not beat"; quote the one that supports the sentence
        beats, beaten = "{p:.2g}", "{p_opposite:.2g}"
        agree, disagree = (beats, beaten) if rec.paper else (beaten, beats)
        said = prose.say(
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
        if rec.verdict != "failed":
            said += " " + _decided_by(study, ds, a)
        out[prose.says_name(rec)] = said
    return out


def _decided_by(study: DetectionStudy, ds: str, a: str) -> str:
    """Which baseline decides the claim on ``ds`` / ``a`` here (the closest AUC), the
    baselines that beat the detector in the paper's own table, and the claim's test with
    the other LID batches and Mahalanobis rows (generated from the computed values)."""
    run = study.runs[ds]
    j = UNTARGETED.index(a)
    closest = max(BASELINES, key=lambda b: run.scores[b][a].auc)
    text = (
        f"The closest baseline here is {DETECTOR_NAMES[closest]} "
        f"(AUC {run.scores[closest][a].auc:.1f}, the detector "
        f"{run.scores['mode_connectivity'][a].auc:.1f})"
    )
    paper_mc = TABLE1[ds]["mode_connectivity"][j][1]
    above = [b for b in BASELINES if TABLE1[ds][b][j][1] >= paper_mc]
    if above:
        text += (
            "; in the paper's own table "
            + ", ".join(f"{DETECTOR_NAMES[b]} ({TABLE1[ds][b][j][1]:.1f})" for b in above)
            + f" {'beats' if len(above) == 1 else 'beat'} the detector ({paper_mc:.1f}): "
            "the paper's verdict on this column rests on "
            + ("it" if len(above) == 1 else "them")
            + ", and where its text says the detector wins, its own numbers say it loses"
        )
    other = run.claims_other.get(a)
    if other is not None:
        rows = next(r for r in MAHALANOBIS_ROWS if r != study.settings.mahalanobis_rows)
        text += (
            f". With corrected LID batches and {rows} Mahalanobis rows the smallest margin "
            f"would be {other.effect:+.1f} points (p = {other.p_value:.2g} for beating every "
            f"baseline, {other.p_opposite:.2g} against)"
        )
    return text + "."


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


def _ablatable_sentences(recs: DetectionRecords) -> dict[str, str]:
    """The paper's "the logits can be fully ablated" per data set and attack, worded by
    the record's verdict; returns them by glue name ``says.<record id>``."""
    out = {}
    for (ds, a), rec in recs.ablation.items():
        where = f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}"
        lost = f"{where}: the AUC lost without the logits is {{value:+.1f}} points"
        out[prose.says_name(rec)] = prose.say(
            rec,
            reproduced=f"{lost}, below {ABLATION_MARGIN:g} (p = {{p:.2g}}): they can be "
            "ablated, as the paper says.",
            differs=f"{lost}, above {ABLATION_MARGIN:g} (p = {{p_opposite:.2g}}): here they "
            "cannot be ablated.",
            not_significant=f"{lost}; whether that is below {ABLATION_MARGIN:g} is not "
            "decided (p = {p:.2g} and {p_opposite:.2g}).",
            failed=f"{where}: failed, so not tested ({{note}}).",
        )
    return out


def enhance_sentence(recs: DetectionRecords) -> str:
    """The paper's "the logits slightly enhance performance against simpler attacks", per
    data set: the AUC each attack gains with the logits and the record's verdict."""
    by_ds: dict[str, list[str]] = {}
    for (ds, a), rec in recs.enhance.items():
        by_ds.setdefault(ds, []).append(
            f"{ATTACK_NAMES[a]} not scored"
            if rec.verdict == "failed"
            else f"{ATTACK_NAMES[a]} {rec.reproduced:+.1f} (p = {rec.p_value:.2g}, {rec.verdict})"
        )
    if not by_ds:
        return ""
    per_ds = "; ".join(f"{DATASET_NAMES[ds]}: {', '.join(parts)}" for ds, parts in by_ds.items())
    return (
        "The paper adds that the logits slightly enhance the simpler attacks' detection; "
        f"the AUC gained with them (points, one-sided paired bootstrap) — {per_ds}."
    )


def _cell_words(rid: str) -> str:
    """A Table 1 record id in words: data set, attack, detector and metric."""
    ds, a, d, metric = rid.split(".")[-4:]
    what = "AUC" if metric == "auc" else metric
    return f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]} {DETECTOR_NAMES[d]} {what}"


def _why_sentence(study: DetectionStudy, recs: DetectionRecords) -> str:
    """The cause of each Table 1 number that differs, from what was measured: where
    scoring LID or Mahalanobis the other way moves the cell across, named per cell;
    the other cells listed as not located."""
    if study.settings.profile == "paper":
        return "This is the paper profile: the benchmark's models and scale."
    if not recs.causes:
        return "Where numbers differ: no Table 1 number differs from the paper's here."
    by_way: dict[str, list[str]] = {}
    for r, c in recs.causes.items():
        if c != NOT_LOCATED:
            way, where = c.split(" moves it across: ", 1)
            by_way.setdefault(way, []).append(f"{_cell_words(r)} ({where})")
    located = sum(len(v) for v in by_way.values())
    unlocated = [_cell_words(r) for r, c in recs.causes.items() if c == NOT_LOCATED]
    text = f"Where numbers differ ({len(recs.causes)} Table 1 numbers), "
    if located:
        text += (
            "scoring the same detector the other way moves "
            + "; ".join(
                f"{len(cells)} across with {way}: " + ", ".join(cells)
                for way, cells in by_way.items()
            )
            + ". "
        )
    if unlocated:
        text += (
            f"{'For the other ' if located else 'For all '}{len(unlocated)} ("
            + "; ".join(unlocated)
            + f") the cause is {NOT_LOCATED}: no computation of this page moves them "
            "across (the LID batches and Mahalanobis rows move only their own cells)."
        )
    return text.strip()


def _references_sentence(study: DetectionStudy, recs: DetectionRecords) -> str:
    """Each class reference's cross-entropy against the paper's threshold for a mode."""
    out = []
    for ds, run in study.runs.items():
        ce = np.asarray(run.reference_ce, float)
        if ce.size == 0:
            continue
        above = int(np.sum(ce > MODE_LOSS_THRESHOLD))
        per_class = ", ".join(f"{v:.2g}" for v in ce)
        text = (
            f"On {DATASET_NAMES[ds]} the class references' cross-entropies are "
            f"{per_class} (class 0 first); {above} of {ce.size} lie above the paper's "
            f"threshold for a mode, {MODE_LOSS_THRESHOLD:g}"
        )
        eps = run.label_smoothing
        if eps > 0:
            target = 1 - eps + eps / ce.size
            text += (
                f" (label smoothing {eps:g} trains the true class toward probability "
                f"{target:.3g}, a cross-entropy of {-np.log(target):.2g})"
            )
        out.append(text)
    if not out:
        return "No class references were computed."
    return ". ".join(out) + "."


def _protocol_sentence(study: DetectionStudy) -> str:
    rows = study.settings.mahalanobis_rows
    other = next(r for r in MAHALANOBIS_ROWS if r != rows)
    return (
        "Table 1 is compared on the benchmark's protocol: LID in the benchmark's batches "
        f"(its first batch of {study.settings.lid_batch} reused, so the paper's LID rests "
        "on 100 distinct pairs and its standard error is taken there) and Mahalanobis on "
        f"{rows} rows; LID with corrected batches and Mahalanobis on {other} rows are "
        "measured beside."
    )


def _moved(study: DetectionStudy, detector: str, other: str) -> tuple[list, tuple] | None:
    """The AUC differences (variant − Table 1's, data set, attack) of ``detector`` over
    the cells scored both ways, its variant's scores in each run's attribute ``other``,
    and the largest; None where no cell was."""
    diffs = [
        (s.auc - run.scores[detector][a].auc, ds, a)
        for ds, run in study.runs.items()
        for a, s in getattr(run, other).items()
        if s.n_test and not s.constant and run.scores[detector][a].n_test
    ]
    return (diffs, max(diffs, key=lambda d: abs(d[0]))) if diffs else None


def _moved_sentence(study: DetectionStudy, detector: str, other: str, variant: str, table: str):
    """How much ``variant`` (scores in ``other``) moves ``detector``'s AUCs (generated)."""
    moved = _moved(study, detector, other)
    name = DETECTOR_NAMES[detector]
    if moved is None:
        return f"No {name} cell could be scored both ways."
    diffs, big = moved
    return (
        f"With {variant} the {name} AUC moves by {np.mean([d[0] for d in diffs]):+.1f} "
        f"points on average over the {len(diffs)} cells scored both ways (Table 1 uses "
        f"{table}); the largest change is {big[0]:+.1f} points, on "
        f"{DATASET_NAMES[big[1]]} {ATTACK_NAMES[big[2]]}."
    )


def _lid_batches_sentence(study: DetectionStudy) -> str:
    """How much the corrected LID batches move the AUCs (generated)."""
    table = f"the benchmark's batches, whose rows repeat its first {study.settings.lid_batch} pairs"
    return _moved_sentence(study, "lid", "lid_other", "corrected batches (each image once)", table)


def _mahalanobis_rows_sentence(study: DetectionStudy) -> str:
    """How much the Mahalanobis rows Table 1 does not use move the AUCs (generated)."""
    table_rows = study.settings.mahalanobis_rows
    other = next(r for r in MAHALANOBIS_ROWS if r != table_rows)
    return _moved_sentence(
        study, "mahalanobis", "mahalanobis_other", f"{other} rows", f"{table_rows} rows"
    )
