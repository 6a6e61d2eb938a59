"""The App. D.1 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.TrainingDynamicsStudy` (:func:`records`:
the two claims by one-sided Spearman tests over every pair, each at the best iterate of
its synthesis as in the official script, on the barrier gap: the barrier above the pair's
larger endpoint loss) and glues the page's sentences (:func:`sentences`, names ``dyn_*``
and each claim's ``says.<id>``), among them what was measured behind each verdict
(:func:`cause_sentence`: pairs that reached the threshold, the synthesis's final losses,
the official metric, the test's reach).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_modes import EVOLUTION_FALLS, EVOLUTION_SPREAD
from connectivity.stats import ALPHA, TestResult, spearman_increasing

from .study import Snapshot, TrainingDynamicsStudy

SECTION_BATCHES = "The first batches (Fig. 10)"
SECTION_EPOCHS = "The epochs (Fig. 11)"


@dataclass(frozen=True)
class TrainingDynamicsRecords:
    """The page's records: the barrier falls over the first batches (``falls``) and its
    spread over pairs grows over the epochs (``spread``)."""

    falls: scorecard.Record
    spread: scorecard.Record


def report(study: TrainingDynamicsStudy) -> prose.PageReport[TrainingDynamicsRecords]:
    """The page's report: its scorecard records (:func:`records`) and the sentences that
    state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def pooled(snaps: list[Snapshot], metric: str = "gaps", modes_only: bool = False):
    """(step, value, |value − snapshot median|) over every pair of ``snaps`` (or only the
    pairs that are modes): ``metric`` is ``"gaps"`` (the barrier above the endpoints) or
    ``"barriers"`` (the barrier height, the official metric)."""
    steps, values, dev = [], [], []
    for s in snaps:
        v = getattr(s, metric)
        if modes_only:
            v = v[s.modes]
        steps += [s.step] * len(v)
        values += list(v)
        dev += list(np.abs(v - np.median(v))) if len(v) else []
    return np.array(steps), np.array(values), np.array(dev)


def trend_test(snaps: list[Snapshot], kind: str, metric: str = "gaps", modes_only=False):
    """The one-sided Spearman test of the claim on ``kind`` snapshots (``batch``: the
    ``metric`` falls with the batches; ``epoch``: its absolute deviation from the
    snapshot's median grows with the epochs), or None where fewer than three snapshots
    have the pairs it needs (one; two for a spread)."""
    need = 1 if kind == "batch" else 2
    steps, values, dev = pooled(
        [s for s in snaps if (s.modes.sum() if modes_only else len(s.modes)) >= need],
        metric,
        modes_only,
    )
    if len(set(steps.tolist())) < 3:
        return None
    return spearman_increasing(steps, -values if kind == "batch" else dev)


def smallest_p(steps) -> float:
    """The smallest one-sided p the Spearman test can give at these ``steps`` (one per
    pair, ties where pairs share a snapshot): values in perfect order with the steps."""
    steps = np.sort(np.asarray(steps, float))
    return spearman_increasing(steps, np.arange(len(steps), dtype=float)).p_value


def records(study: TrainingDynamicsStudy) -> TrainingDynamicsRecords:
    """Write the page's scorecard records: the two claims of App. D.1 by one-sided
    Spearman tests of the barrier gap over every pair, ``failed`` with fewer than three
    snapshots; returns them as a :class:`TrainingDynamicsRecords`."""
    return TrainingDynamicsRecords(
        falls=_trend_record(study, "batch", EVOLUTION_FALLS, SECTION_BATCHES),
        spread=_trend_record(study, "epoch", EVOLUTION_SPREAD, SECTION_EPOCHS),
    )


def _trend_record(
    study: TrainingDynamicsStudy, kind: str, id_: str, section: str
) -> scorecard.Record:
    """The claim on the ``kind`` snapshots (``batch``: the barrier gap falls; ``epoch``:
    its spread over pairs grows), a one-sided Spearman test over every pair."""
    snaps = study.of(kind)
    result = trend_test(snaps, kind)
    if result is None:
        need = "a pair" if kind == "batch" else "two pairs"
        return scorecard.fail(
            id_,
            f"only {len(snaps)} {kind} snapshot(s) with {need} each; a trend needs three",
            section=section,
        )
    steps, _, _ = pooled(snaps)
    modes = sum(int(s.modes.sum()) for s in snaps)
    reach = smallest_p(steps)
    return scorecard.test(
        id_,
        result,
        reproduced=round(-result.effect if kind == "batch" else result.effect, 3),
        note=f"{study.arch}; every pair kept at its best iterate, {modes} of {len(steps)} "
        f"reached cross-entropy {study.settings.synthesis.threshold:g}; Spearman ρ of the "
        + ("barrier gap vs batches" if kind == "batch" else "gap's spread vs epochs")
        + (
            f"; this design cannot reach p < {ALPHA:g} (smallest possible p {reach:.2g})"
            if reach >= ALPHA
            else ""
        ),
        section=section,
    )


def sentences(study: TrainingDynamicsStudy, recs: TrainingDynamicsRecords) -> dict[str, Any]:
    """Every value the page glues, by glue name: ``dyn_setup``, ``dyn_batch``,
    ``dyn_epoch``, ``dyn_batch_why``, ``dyn_epoch_why`` and each claim's ``says.<id>``;
    ``recs`` as :func:`records` returns them."""
    return {
        "dyn_setup": _setup_sentence(study),
        "dyn_batch": _snapshots_sentence(study, "batch"),
        "dyn_epoch": _snapshots_sentence(study, "epoch"),
        "dyn_batch_why": cause_sentence(study, "batch", recs.falls),
        "dyn_epoch_why": cause_sentence(study, "epoch", recs.spread),
        prose.says_name(recs.falls): prose.say(
            recs.falls,
            reproduced="Over the first batches the barrier gap falls, as in the paper "
            "(Spearman ρ = {value:+.2f} between gap and batches; p = {p:.2g}).",
            differs="Over the first batches the barrier gap *rises* here, unlike the paper "
            "(Spearman ρ = {value:+.2f}; p = {p_opposite:.2g}).",
            not_significant="Over the first batches the barrier gap shows no significant "
            "trend (Spearman ρ = {value:+.2f}; p = {p:.2g}).",
            failed="Failed, so the claim is not tested: {note}.",
        ),
        prose.says_name(recs.spread): prose.say(
            recs.spread,
            reproduced="Over the epochs the spread of the barrier gap over pairs grows, as in "
            "the paper (Spearman ρ = {value:+.2f}; p = {p:.2g}).",
            differs="Over the epochs the spread of the barrier gap over pairs *shrinks* here, "
            "unlike the paper (Spearman ρ = {value:+.2f}; p = {p_opposite:.2g}).",
            not_significant="Over the epochs the spread of the barrier gap over pairs shows no "
            "significant trend (Spearman ρ = {value:+.2f}; p = {p:.2g}).",
            failed="Failed, so the claim is not tested: {note}.",
        ),
    }


def _setup_sentence(study: TrainingDynamicsStudy) -> str:
    """The network, its training, the snapshots and the pairs of this build."""
    s = study.settings
    return (
        f"In this build the network is a {study.arch} ({s.model.size_words()}), "
        f"trained for {s.model.epochs} epoch(s) of {s.training_images:,} CIFAR-10 training "
        "images, with "
        f"snapshots after batches {', '.join(map(str, s.batches))} and epochs "
        f"{', '.join(map(str, s.epochs))}, and {s.pairs_per_class} pair(s) for each of "
        f"{s.classes} classes; the "
        f"whole study took {study.seconds:.0f} s."
    )


def _snapshots_sentence(study: TrainingDynamicsStudy, kind: str) -> str:
    """How many pairs of the ``kind`` snapshots reached the threshold, snapshot by
    snapshot, and the mean barrier height and gap at the first and the last."""
    snaps = study.of(kind)
    modes = sum(int(s.modes.sum()) for s in snaps)
    total = sum(len(s.modes) for s in snaps)
    each = ", ".join(f"{int(s.modes.sum())}/{len(s.modes)} after {s.label}" for s in snaps)
    first, last = snaps[0], snaps[-1]
    return (
        f"At the {kind} snapshots {modes} of {total} pairs have both inputs below "
        f"cross-entropy {study.settings.synthesis.threshold:g} ({each}); every pair is kept "
        "at its best iterate, as in the official script. Over all pairs the mean barrier "
        f"height is {first.barriers.mean():.3g} after {first.label} and "
        f"{last.barriers.mean():.3g} after {last.label}; the mean barrier gap (above the "
        f"larger endpoint loss) is {first.gaps.mean():.3g} and {last.gaps.mean():.3g}."
    )


def _say_test(result: TestResult | None, what: str, falls: bool) -> str:
    if result is None:
        return f"{what} is not tested (fewer than three snapshots with such pairs)"
    rho = result.effect
    return prose.direction(
        result,
        yes=f"{what} {'falls' if falls else 'grows'} (ρ = {rho:+.2f}, p = {{p:.2g}})",
        no=f"{what} {'rises' if falls else 'shrinks'} (ρ = {rho:+.2f}, p = {{p_opposite:.2g}})",
        unclear=f"{what} shows no significant trend (ρ = {rho:+.2f}, p = {{p:.2g}})",
    )


def cause_sentence(study: TrainingDynamicsStudy, kind: str, rec: scorecard.Record) -> str:
    """What was measured behind the ``kind`` record ``rec``: the synthesis's final
    cross-entropies against the threshold, the same test on the official metric (the
    barrier height) and on the pairs of modes alone, how far the barrier height follows
    the endpoint losses, and (where it cannot reach 5 %) the test's reach."""
    snaps = study.of(kind)
    thr = study.settings.synthesis.threshold
    final = np.concatenate([s.endpoint_loss.ravel() for s in snaps])
    worst = [float(np.median(s.endpoint_loss.max(1))) for s in snaps]
    spread = kind == "epoch"
    name = "the spread of the barrier height" if spread else "the barrier height"
    text = (
        f"Behind this: the synthesis ({study.settings.synthesis.iterations:,} iterations) "
        f"left its inputs at a median cross-entropy of {np.median(final):.3g} (largest "
        f"{final.max():.3g}; threshold {thr:g}); the median of each pair's larger one is "
        + ", ".join(f"{w:.3g}" for w in worst)
        + f" at {', '.join(s.label for s in snaps)}. On the official metric "
        + _say_test(trend_test(snaps, kind, "barriers"), name, not spread)
        + "; on the pairs of modes alone, "
        + _say_test(
            trend_test(snaps, kind, "barriers", modes_only=True),
            "the spread" if spread else "it",
            not spread,
        )
        + "."
    )
    steps, barrier, _ = pooled(snaps, "barriers")
    ends = np.concatenate([s.endpoint_loss.max(1) for s in snaps])
    if len(barrier) >= 3 and np.ptp(barrier) > 0 and np.ptp(ends) > 0:
        from scipy.stats import spearmanr

        text += (
            " Over these pairs the barrier height and the larger endpoint loss have "
            f"Spearman ρ = {spearmanr(barrier, ends).statistic:+.2f}."
        )
    if rec.verdict != "failed" and len(steps) >= 3:
        reach = smallest_p(steps)
        if reach >= ALPHA:
            text += (
                f" With {len(steps)} pairs at {len(snaps)} snapshots the test cannot reach "
                f"p < {ALPHA:g} even with the values in perfect order (smallest p "
                f"{reach:.2g}), so no verdict but `not significant` is possible."
            )
    return text
