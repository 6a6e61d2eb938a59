"""The classifiers chapter's targets (check records that fail when missed) and the
table that puts each model beside the papers' models."""

from __future__ import annotations

import pytest

from connectivity import prose, scorecard
from connectivity.pages import classifiers
from connectivity.pages.classifiers import REFERENCE_MODELS, ClassifiersSettings, ClassifiersStudy
from connectivity.paper_values import ReferenceModel
from connectivity.shared_classifiers import (
    ACCURACY_TARGETS,
    CONFIDENT_TARGETS,
    LABELS,
    MODEL_KEYS,
    STRETCH_TARGETS,
    classifier_config,
)
from connectivity.training import History, TrainedModel


def _trained(key: str, accuracy: float, confident: float) -> TrainedModel:
    """A stand-in for a trained model: the records read only its numbers."""
    return TrainedModel(
        model=None,
        config=classifier_config("ci", key),
        history=History(),
        test_accuracy=accuracy,
        path="",
        confident_fraction=confident,
    )


def _study(trained: dict[str, TrainedModel]) -> ClassifiersStudy:
    """A stand-in for the page's study: the records and the tables read only the models'
    numbers."""
    settings = ClassifiersSettings.resolve("ci")
    return ClassifiersStudy(settings, trained, {k: 0.0 for k in trained}, None, None, None)


def _verdicts(records) -> dict[str, str]:
    return {r.id: r.verdict for r in records}


@pytest.mark.parametrize("margin, verdict", [(0.001, "check"), (-0.001, "failed")])
def test_each_target_is_a_check_that_fails_when_missed(tmp_build, monkeypatch, margin, verdict):
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "classifiers")
    trained = {
        "cifar10_resnet": _trained(
            "cifar10_resnet",
            ACCURACY_TARGETS["cifar10_resnet"] + margin,
            CONFIDENT_TARGETS["cifar10_resnet"] + margin,
        ),
        "cifar10_vgg": _trained("cifar10_vgg", ACCURACY_TARGETS["cifar10_vgg"] + margin, 0.0),
        "cifar100_vgg": _trained("cifar100_vgg", STRETCH_TARGETS["cifar100_vgg"] + margin, 0.0),
    }
    sentences = {}
    monkeypatch.setattr(prose, "glue", sentences.__setitem__)
    report = classifiers.report(_study(trained))
    records = report.records
    got = _verdicts(scorecard.collect(["classifiers"]))
    assert got == {f"models.{name}": r.verdict for name, r in records.items()}
    assert got == {
        "models.cifar10_resnet.accuracy": verdict,
        "models.cifar10_resnet.confident_share": verdict,
        "models.cifar10_vgg.accuracy": verdict,
        "models.cifar100_vgg.accuracy": "check",  # the stretch is above the target
        "models.cifar100_vgg.accuracy_stretch": verdict,
    }
    assert sentences == report.glued  # publish glued every sentence
    assert set(sentences) == {f"{k}_says" for k in MODEL_KEYS}
    word = "meets" if verdict == "check" else "misses"
    assert f"{word} the stretch target of 70%" in sentences["cifar100_vgg_says"]
    assert ("**below**" in sentences["cifar10_resnet_says"]) == (verdict == "failed")


def test_every_model_stands_beside_a_paper_model():
    trained = {k: _trained(k, 0.5, 0.1) for k in MODEL_KEYS}
    table = classifiers.reference_table(_study(trained)).data
    assert set(REFERENCE_MODELS) == set(MODEL_KEYS)
    assert len(table) == sum(len(v) for v in REFERENCE_MODELS.values())
    assert set(table["book model"]) == {f"{LABELS[k]}: 50.00 %" for k in MODEL_KEYS}
    # a paper's accuracy is a number only where somebody reports it, with its source
    for refs in REFERENCE_MODELS.values():
        for ref in refs:
            assert (ref.accuracy is None) == (ref.accuracy_source == "not reported")
    cells = " | ".join(table["its accuracy"])
    assert "not reported" in cells and "92.64 %" in cells and "72.93 %" in cells


def test_a_reference_model_refuses_an_accuracy_out_of_range_or_without_source():
    fields = dict(paper="p", used_in="§1", architecture="a", data="d", training="t")
    with pytest.raises(ValueError, match="in %"):
        ReferenceModel(**fields, accuracy=0.9264 * 1000, accuracy_source="x")
    with pytest.raises(ValueError, match="not reported"):
        ReferenceModel(**fields, accuracy=None, accuracy_source="somebody")
