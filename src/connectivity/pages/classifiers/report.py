"""The classifiers page's scorecard records and the sentences that state their outcomes.

Every record is a ``check`` against one of the book's own targets
(:data:`~.settings.ACCURACY_TARGETS`, :data:`~.settings.STRETCH_TARGETS`,
:data:`~.settings.CONFIDENT_TARGETS`), ``failed`` when missed: the papers report no
test accuracy for their models. :func:`report` writes them (:func:`record_accuracies`)
and glues one sentence per model (``<key>_says``).
"""

from __future__ import annotations

from connectivity import prose, scorecard
from connectivity.prose import say
from connectivity.shared_classifiers import (
    ACCURACY_TARGETS,
    CONFIDENT_TARGETS,
    LABELS,
    STRETCH_TARGETS,
)
from connectivity.training import CONFIDENT_CE, TrainedModel

from .study import ClassifiersStudy


def report(study: ClassifiersStudy) -> dict[str, scorecard.Record]:
    """The page's records by short name (the record id without ``models.``), written;
    the sentence of each model glued as ``<key>_says``."""
    records, sentences = record_accuracies(study.trained, study.settings.profile)
    for name, sentence in sentences.items():
        prose.glue(name, sentence)
    return records


def _target_check(
    id, description, value, target, reason, note, *, check, failed
) -> tuple[scorecard.Record, str]:
    """A ``check`` record of ``value`` >= ``target`` (``failed`` when missed) and the
    words for its verdict."""
    rec = scorecard.check(
        id,
        description,
        round(value, 4),
        holds=value >= target,
        reason=reason,
        section="Training",
        note=note,
        target=target,
    )
    return rec, say(rec, check=check, failed=failed)


def record_accuracies(
    trained: dict[str, TrainedModel], profile: str
) -> tuple[dict[str, scorecard.Record], dict[str, str]]:
    """``check`` records of each model against its targets (``failed`` when missed):
    accuracy, the stretch accuracy where there is one, and the share of confident modes
    where the later chapters need one; returns the records by short name and
    {glue name: sentence}, one per model."""
    note = (
        "plain network in float32, evaluated in this build; the papers report no test "
        "accuracy for their models"
    )
    records, sentences = {}, {}
    for key, t in trained.items():
        label, target, acc = LABELS[key], ACCURACY_TARGETS[key], t.test_accuracy
        checks = [
            _target_check(
                f"models.{key}.accuracy",
                f"{label} test accuracy ≥ {target:.0%} ({profile} profile)",
                acc,
                target,
                f"the book's target ({target:.0%}; trained once by make models)",
                note,
                check=f"{label}: {acc:.1%}, at or above its target of {target:.0%}",
                failed=f"{label}: {acc:.1%}, **below** its target of {target:.0%}",
            )
        ]
        stretch = STRETCH_TARGETS.get(key)
        if stretch is not None:
            checks.append(
                _target_check(
                    f"models.{key}.accuracy_stretch",
                    f"{label} test accuracy ≥ {stretch:.0%}, the stretch target "
                    f"({profile} profile)",
                    acc,
                    stretch,
                    f"the book's stretch target ({stretch:.0%})",
                    note,
                    check=f"and meets the stretch target of {stretch:.0%}",
                    failed=f"and misses the stretch target of {stretch:.0%}",
                )
            )
        confident = CONFIDENT_TARGETS.get(key)
        if confident is not None:
            share = (
                f"{t.confident_fraction:.0%} of the test images have cross-entropy < {CONFIDENT_CE}"
            )
            checks.append(
                _target_check(
                    f"models.{key}.confident_share",
                    f"{label}: share of test images classified with cross-entropy < "
                    f"{CONFIDENT_CE} ≥ {confident:.0%} ({profile} profile)",
                    t.confident_fraction,
                    confident,
                    f"the book's target ({confident:.0%}): Vrabel et al. §4.1 connects test "
                    f"images of loss below {CONFIDENT_CE}",
                    "evaluated in float32 in this build",
                    check=f"and {share} (target {confident:.0%})",
                    failed=f"but only {share}, **below** the target of {confident:.0%}",
                )
            )
        records.update({rec.id.removeprefix("models."): rec for rec, _ in checks})
        sentences[f"{key}_says"] = ", ".join(words for _, words in checks)
    return records, sentences
