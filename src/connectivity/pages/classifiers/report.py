"""The classifiers page's scorecard records and the sentences that state their outcomes.

Every record is a ``check`` against one of the book's own targets
(:data:`~connectivity.shared_classifiers.ACCURACY_TARGETS`, ``STRETCH_TARGETS``,
``CONFIDENT_TARGETS``), ``failed`` when missed: the papers report no test accuracy for
their models. :func:`records` writes them, :func:`sentences` words one sentence per
model (``<key>_says``) and :func:`report` glues them.
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

SECTION = "Training"
NOTE = (
    "plain network in float32, evaluated in this build; the papers report no test "
    "accuracy for their models"
)


def report(study: ClassifiersStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its ``check`` records by short name (:func:`records`) and one
    sentence per model (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


# ------------------------------------------------------------------ records


def records(study: ClassifiersStudy) -> dict[str, scorecard.Record]:
    """Write the ``check`` records of each model against its targets (``failed`` when
    missed): accuracy, the stretch accuracy where there is one, and the share of
    confident modes where the later chapters need one; returns them by short name, the
    record id without ``models.`` (``cifar10_resnet.accuracy``,
    ``cifar100_vgg.accuracy_stretch``, ``cifar10_resnet.confident_share``, ...)."""
    recs: dict[str, scorecard.Record] = {}
    for key, trained in study.trained.items():
        recs.update(_model_records(key, trained, study.settings.profile))
    return recs


def _target_check(id, description, value, target, reason, note) -> scorecard.Record:
    """A ``check`` record of ``value`` >= ``target`` (``failed`` when missed)."""
    return scorecard.check(
        id,
        description,
        round(value, 4),
        holds=value >= target,
        reason=reason,
        section=SECTION,
        note=note,
        target=target,
    )


def _model_records(key: str, t: TrainedModel, profile: str) -> dict[str, scorecard.Record]:
    """The records of model ``key`` (accuracy, then its stretch and confident-share
    targets where it has them), by short name."""
    label, target, acc = LABELS[key], ACCURACY_TARGETS[key], t.test_accuracy
    recs = [
        _target_check(
            f"models.{key}.accuracy",
            f"{label} test accuracy ≥ {target:.0%} ({profile} profile)",
            acc,
            target,
            f"the book's target ({target:.0%}; trained once by make models)",
            NOTE,
        )
    ]
    stretch = STRETCH_TARGETS.get(key)
    if stretch is not None:
        recs.append(
            _target_check(
                f"models.{key}.accuracy_stretch",
                f"{label} test accuracy ≥ {stretch:.0%}, the stretch target ({profile} profile)",
                acc,
                stretch,
                f"the book's stretch target ({stretch:.0%})",
                NOTE,
            )
        )
    confident = CONFIDENT_TARGETS.get(key)
    if confident is not None:
        recs.append(
            _target_check(
                f"models.{key}.confident_share",
                f"{label}: share of test images classified with cross-entropy < "
                f"{CONFIDENT_CE} ≥ {confident:.0%} ({profile} profile)",
                t.confident_fraction,
                confident,
                f"the book's target ({confident:.0%}): Vrabel et al. §4.1 connects test "
                f"images of loss below {CONFIDENT_CE}",
                "evaluated in float32 in this build",
            )
        )
    return {rec.id.removeprefix("models."): rec for rec in recs}


# ------------------------------------------------------------------ sentences


def sentences(study: ClassifiersStudy, recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """One sentence per model, by glue name ``<key>_says``: its accuracy against its
    targets, worded by each record's verdict; ``recs`` as :func:`records` returns them."""
    return {f"{key}_says": _model_sentence(key, t, recs) for key, t in study.trained.items()}


def _model_sentence(key: str, t: TrainedModel, recs: dict[str, scorecard.Record]) -> str:
    """Model ``key``'s accuracy, stretch and confident share against their targets, one
    clause per record of the model, joined by commas."""
    label, target, acc = LABELS[key], ACCURACY_TARGETS[key], t.test_accuracy
    clauses = [
        say(
            recs[f"{key}.accuracy"],
            check=f"{label}: {acc:.1%}, at or above its target of {target:.0%}",
            failed=f"{label}: {acc:.1%}, **below** its target of {target:.0%}",
        )
    ]
    if f"{key}.accuracy_stretch" in recs:
        stretch = STRETCH_TARGETS[key]
        clauses.append(
            say(
                recs[f"{key}.accuracy_stretch"],
                check=f"and meets the stretch target of {stretch:.0%}",
                failed=f"and misses the stretch target of {stretch:.0%}",
            )
        )
    if f"{key}.confident_share" in recs:
        confident = CONFIDENT_TARGETS[key]
        share = f"{t.confident_fraction:.0%} of the test images have cross-entropy < {CONFIDENT_CE}"
        clauses.append(
            say(
                recs[f"{key}.confident_share"],
                check=f"and {share} (target {confident:.0%})",
                failed=f"but only {share}, **below** the target of {confident:.0%}",
            )
        )
    return ", ".join(clauses)
