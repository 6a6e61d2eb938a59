"""The App. D.1 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.TrainingDynamicsStudy` (:func:`records`:
the two claims by one-sided Spearman tests over the pairs that are modes) and glues the
page's sentences (:func:`sentences`, names ``dyn_*`` and each claim's ``says.<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_modes import EVOLUTION_FALLS, EVOLUTION_SPREAD
from connectivity.stats import spearman_increasing
from connectivity.synthesis import SynthesisConfig

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


def _pooled(snaps: list[Snapshot]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, barrier, |barrier − snapshot median|) over every pair that is a mode."""
    steps, values, dev = [], [], []
    for s in snaps:
        b = s.barriers
        steps += [s.step] * len(b)
        values += list(b)
        dev += list(np.abs(b - np.median(b))) if len(b) else []
    return np.array(steps), np.array(values), np.array(dev)


def records(study: TrainingDynamicsStudy) -> TrainingDynamicsRecords:
    """Write the page's scorecard records: the two claims of App. D.1 by one-sided
    Spearman tests over the pairs that are modes, ``failed`` with fewer than three
    snapshots that have such pairs; returns them as a :class:`TrainingDynamicsRecords`."""
    return TrainingDynamicsRecords(
        falls=_trend_record(study, "batch", EVOLUTION_FALLS, SECTION_BATCHES),
        spread=_trend_record(study, "epoch", EVOLUTION_SPREAD, SECTION_EPOCHS),
    )


def _trend_record(
    study: TrainingDynamicsStudy, kind: str, id_: str, section: str
) -> scorecard.Record:
    """The claim on the ``kind`` snapshots (``batch``: the barrier falls; ``epoch``: its
    spread over pairs grows), a one-sided Spearman test over the pairs that are modes."""
    snaps = study.of(kind)
    need = 1 if kind == "batch" else 2  # a spread needs two pairs
    usable = [s for s in snaps if s.modes.sum() >= need]
    steps, values, dev = _pooled(snaps)
    if len(usable) < 3 or len(set(steps)) < 3:
        pairs = "a pair" if need == 1 else f"at least {need} pairs"
        return scorecard.fail(
            id_,
            f"only {len(usable)} of the {len(snaps)} {kind} snapshots have {pairs} "
            f"whose inputs both reached cross-entropy "
            f"{study.settings.synthesis.threshold:g} within "
            f"{study.settings.synthesis.iterations:,} Adam iterations (the paper's "
            f"budget: up to {SynthesisConfig().iterations:,}; three are needed for a "
            "trend)",
            section=section,
        )
    if kind == "batch":  # the barrier falls: increasing in −barrier
        result = spearman_increasing(steps, -values)
    else:  # the spread grows: increasing absolute deviation from the snapshot median
        result = spearman_increasing(steps, dev)
    modes = sum(int(s.modes.sum()) for s in snaps)
    total = sum(len(s.modes) for s in snaps)
    return scorecard.test(
        id_,
        result,
        reproduced=round(-result.effect if kind == "batch" else result.effect, 3),
        note=f"{study.arch}; {modes} of {total} pairs are modes; Spearman ρ shown "
        "(barrier vs batches)"
        if kind == "batch"
        else f"{study.arch}; {modes} of "
        f"{total} pairs are modes; Spearman ρ of the spread vs epochs",
        section=section,
    )


def sentences(study: TrainingDynamicsStudy, recs: TrainingDynamicsRecords) -> dict[str, Any]:
    """Every value the page glues, by glue name: ``dyn_setup``, ``dyn_batch``,
    ``dyn_epoch`` and each claim's ``says.<id>``; ``recs`` as :func:`records` returns
    them."""
    return {
        "dyn_setup": _setup_sentence(study),
        "dyn_batch": _snapshots_sentence(study, "batch"),
        "dyn_epoch": _snapshots_sentence(study, "epoch"),
        prose.says_name(recs.falls): prose.say(
            recs.falls,
            reproduced="Over the first batches the barrier falls, as in the paper (Spearman "
            "ρ = {value:+.2f} between barrier and batches; p = {p:.2g}).",
            differs="Over the first batches the barrier *rises* here, unlike the paper "
            "(Spearman ρ = {value:+.2f}; p = {p_opposite:.2g}).",
            not_significant="Over the first batches the barrier shows no significant trend "
            "(Spearman ρ = {value:+.2f}; p = {p:.2g}).",
            failed="Failed, so the claim is not tested: {note}.",
        ),
        prose.says_name(recs.spread): prose.say(
            recs.spread,
            reproduced="Over the epochs the spread of the barrier over pairs grows, as in the "
            "paper (Spearman ρ = {value:+.2f}; p = {p:.2g}).",
            differs="Over the epochs the spread of the barrier over pairs *shrinks* here, "
            "unlike the paper (Spearman ρ = {value:+.2f}; p = {p_opposite:.2g}).",
            not_significant="Over the epochs the spread of the barrier over pairs shows no "
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
    """How many pairs of the ``kind`` snapshots are modes, and their mean barrier at the
    first and the last snapshot that has any."""
    snaps = study.of(kind)
    modes = sum(int(s.modes.sum()) for s in snaps)
    total = sum(len(s.modes) for s in snaps)
    missing = [s.label for s in snaps if not s.modes.any()]
    first = next((s for s in snaps if s.modes.any()), None)
    last = next((s for s in reversed(snaps) if s.modes.any()), None)
    text = (
        f"At the {kind} snapshots {modes} of {total} pairs have both inputs below "
        f"cross-entropy {study.settings.synthesis.threshold:g}"
        + (f"; none at {', '.join(missing)}, left out" if missing else "")
        + "."
    )
    if first is not None and last is not None:
        text += (
            f" Their mean barrier height is {first.barriers.mean():.3g} after "
            f"{first.label} and {last.barriers.mean():.3g} after {last.label}."
        )
    return text
