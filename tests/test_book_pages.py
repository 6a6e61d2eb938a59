"""The book's own pages run at toy size (``smoke`` profile): the classifiers page (three
small networks after one epoch on 256 images), the Performance page (every row timed on
those networks) and the scorecard page (the records of a build gathered); what each
``Study`` holds is what its page relies on: one trained model per key with accuracies
in [0, 1], predictions of the ResNet's test split, every benchmark row in its order
with the targets it states, every record counted once."""

from __future__ import annotations

import dataclasses
import json
import math
import types

import matplotlib.pyplot as plt
import pytest
from conftest import needs_data

from connectivity import paper_values, prose, scorecard, shared_classifiers, training
from connectivity.pages import classifiers, performance
from connectivity.pages import scorecard as scorecard_page
from connectivity.pages.performance.__main__ import main as bench_main
from connectivity.paper_values import PaperValue, index
from connectivity.stats import Tolerance

RESNET_RECORDS = {"cifar10_resnet.accuracy", "cifar10_resnet.confident_share"}
VGG_RECORDS = {"cifar10_vgg.accuracy", "cifar100_vgg.accuracy", "cifar100_vgg.accuracy_stretch"}
PAIR_ROWS = [
    "barrier bypass: batched vs per-pair loop",
    "NEB iteration vs forward+backward of its batch",
    "loss curves vs raw inference",
]
DETECTORS = ["lid", "mahalanobis", "inputmfs", "layermfs"]


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_classifiers_page_at_toy_size(private_cache, tmp_build, monkeypatch):
    s = classifiers.ClassifiersSettings.resolve("smoke")
    study = classifiers.run(s)
    assert list(study.trained) == list(shared_classifiers.MODEL_KEYS)
    for key, t in study.trained.items():
        assert t.config == getattr(s, key)  # the page's recipe, unchanged
        for share in (t.test_accuracy, t.tta_accuracy, t.confident_fraction):
            assert 0 <= share <= 1
        assert t.confident_fraction <= t.test_accuracy  # confident modes are correct ones
        assert len(t.history.seconds) == t.config.epochs
        assert study.gradient_ms[key] > 0
    assert len(study.cifar10_test) == 10_000
    n = s.cifar10_resnet.test_subset
    assert len(study.resnet_test) == n and study.resnet_predicted.shape == (n,)
    assert 0 <= study.resnet_predicted.min() and study.resnet_predicted.max() < 10
    correct = (study.resnet_predicted == study.resnet_test.y).float().mean().item()
    assert correct == pytest.approx(study.trained["cifar10_resnet"].test_accuracy, abs=1 / n)

    labels = list(shared_classifiers.LABELS.values())
    config = classifiers.config_table(study)
    assert list(config.columns) == labels and (config.loc["epochs"] == "1").all()
    assert (config.loc["fine_tune"] == "none").all()  # one training stage each
    tuned = dataclasses.replace(
        s,
        cifar10_vgg=dataclasses.replace(
            s.cifar10_vgg, fine_tune=training.FineTune(epochs=3, lr=0.02)
        ),
    )
    row = classifiers.config_table(types.SimpleNamespace(settings=tuned)).loc["fine_tune"]
    assert row[shared_classifiers.LABELS["cifar10_vgg"]] == (
        "3 epochs, lr 0.02, cosine, smoothing 0"
    )
    summary = classifiers.summary_table(study)
    assert list(summary.index) == labels
    assert list(summary["target"]) == [
        shared_classifiers.ACCURACY_TARGETS[k] for k in study.trained
    ]
    assert list(classifiers.provenance_table(study).index) == labels
    references = classifiers.reference_table(study).data
    assert len(references) == sum(len(v) for v in classifiers.REFERENCE_MODELS.values())
    data = classifiers.data_table()
    assert list(data.index) == ["cifar10", "cifar100"] and list(data["test"]) == [10_000] * 2
    for plot in (
        classifiers.plot_examples,
        classifiers.plot_accuracy_vs_time,
        classifiers.plot_confusion,
        classifiers.plot_misclassified,
    ):
        plt.close(plot(study))

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    report = classifiers.report(study)
    records = report.records
    assert set(records) == RESNET_RECORDS | VGG_RECORDS
    for name, record in records.items():
        key = name.split(".")[0]
        assert record.id == f"models.{name}" and record.kind == "check"
        # one epoch of four SGD steps leaves every model near chance: far below its target
        assert record.verdict == "failed" and record.reproduced < record.extra["target"]
        if name.endswith((".accuracy", ".accuracy_stretch")):
            assert record.reproduced == round(study.trained[key].test_accuracy, 4)
    # four steps on 256 images (batch 64) leave a CIFAR-10 net near chance (0.1), not 0
    for name in ("cifar10_resnet.accuracy", "cifar10_vgg.accuracy"):
        assert 0.03 < records[name].reproduced < 0.25
    # 2.56 training images per class of CIFAR-100: near its chance of 0.01
    assert records["cifar100_vgg.accuracy"].reproduced < 0.05
    # near chance the cross-entropy is about ln 10 = 2.3: no image below 0.01
    assert records["cifar10_resnet.confident_share"].reproduced < 0.01
    assert glued == report.glued  # publish glued every sentence
    assert set(report.glued) == {f"{k}_says" for k in shared_classifiers.MODEL_KEYS}
    for key, label in shared_classifiers.LABELS.items():
        says = report.glued[f"{key}_says"]
        accuracy = study.trained[key].test_accuracy
        target = shared_classifiers.ACCURACY_TARGETS[key]
        assert says.startswith(f"{label}: {accuracy:.1%}, **below** its target of {target:.0%}")
    assert "misses the stretch target of 70%" in report.glued["cifar100_vgg_says"]
    assert "but only 0% of the test images" in report.glued["cifar10_resnet_says"]


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_performance_page_at_toy_size(private_cache, tmp_build, monkeypatch):
    s = performance.PerformanceSettings.resolve("smoke")
    study = performance.run(s)
    names = [r.name for r in study.rows]
    # no timing table in a fresh build folder: no "book" rows
    assert len(names) == len(PAIR_ROWS) + 2 + len(DETECTORS)
    assert names[:3] == PAIR_ROWS
    assert all(n.startswith("training step (cifar10 ") for n in names[3:5])
    assert names[5:] == [f"detector cost: mode connectivity / {k}" for k in DETECTORS]
    for row in study.rows:
        assert math.isfinite(row.measured)
        assert row.holds in (True, False, None) and (row.holds is None) == (row.target is None)
        assert (row.target is None) == row.name.startswith("detector cost")
    assert study.rows[0].measured > 0 and study.rows[0].extra["batched_s"] > 0
    for row in study.rows[3:5]:
        assert 0 < row.measured and row.extra["matmul_flops"] > 0

    result = study.as_dict()
    assert list(result) == ["machine", "when", "profile", "gpu_rows", "rows"]
    assert result["profile"] == "smoke" and result["rows"] == [r.as_dict() for r in study.rows]
    json.dumps(result)  # what make bench writes to _build/bench.json
    table = performance.rows_table(study).data
    assert table.shape == (len(names), 7)
    assert set(table["holds"].dropna()) <= {"yes", "no"}
    assert len(performance.text_table(result).splitlines()) == 1 + len(names)

    # a small conv net's training step is bound by per-operator overhead: its FLOP/s stay
    # below those of a 2048² matmul of the same precision (the fastest kernel there is)
    for row in study.rows[3:5]:
        assert 0 < row.measured < 100

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    report = performance.report(study)
    assert report.records == {}  # no paper value: the page writes no record
    keys = ["machine", "bypass", "neb", "curves", "training", "missed"]
    assert list(report.glued) == [f"perf_{k}" for k in keys]
    assert glued == report.glued  # publish glued every text
    assert report.glued["perf_bypass"] == f"{study.rows[0].measured:.1f}"
    assert report.glued["perf_training"].count(" %") == 2  # one share per training row
    missed = [r.name for r in study.rows if r.holds is False]
    assert report.glued["perf_missed"] == (", ".join(missed) or "none")


def test_the_benchmark_command_refuses_zero_repeats(capsys):
    with pytest.raises(SystemExit) as stop:
        bench_main(["--repeats", "0"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert (
        "--repeats must be at least 1" in err and "python -m connectivity.pages.performance" in err
    )


def test_scorecard_page_counts_every_record_once(tmp_build, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "classifiers")
    scorecard.measure("models.t.a", "a measurement", 1.0)
    scorecard.check("models.t.b", "a check", 2.0, holds=True, reason="by construction")
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "not_in_the_book")
    scorecard.measure("models.t.c", "a record of no page of the book", 3.0)

    study = scorecard_page.run(scorecard_page.ScorecardSettings.resolve("smoke"))
    assert [r.id for r in study.records] == ["models.t.a", "models.t.b"]
    assert list(study.chapters) == list(scorecard.CHAPTERS.values())
    assert [r.id for r in study.chapters["The classifiers"]] == ["models.t.a", "models.t.b"]
    counts = scorecard_page.counts_table(study).data  # verdicts by row, chapters by column
    assert counts["all chapters"].sum() == 2
    assert counts.loc["no paper value", "The classifiers"] == 1
    assert counts.loc["check", "The classifiers"] == 1
    assert (tmp_build / "scorecard.json").exists()  # collect() writes the build's records

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    report = scorecard_page.report(study)
    assert report.records == {}  # the page gathers the others' records, writes none
    assert glued == report.glued  # publish glued every number and the sentence
    # two records of a book notebook (the third's notebook is not in the book), neither
    # compared with a paper value (a measurement and a check)
    headline = {"n_records": 2, "n_reproduced": 0, "n_compared": 0}
    assert {k: report.glued[k] for k in headline} == headline
    assert list(report.glued) == [*headline, "reference_sentence", "rule_sentence"]
    assert report.glued["rule_sentence"] == "This build compares nothing with a paper."
    # a smoke build has no reference verdicts (those are the ci profile's)
    assert report.glued["reference_sentence"].startswith("This build is of the smoke profile")
    assert report.glued["reference_sentence"].endswith("so none is compared.")
    assert len(scorecard_page.chapter_table(study, "The classifiers").data) == 2
    assert scorecard_page.timing_table(study).data.empty  # no timing table in a fresh build


def test_scorecard_page_lists_the_verdicts_that_differ_from_the_reference(
    tmp_build, tmp_path, monkeypatch
):
    """A reader's ci build on another device: each verdict that differs from the pinned
    ones is listed with the device and kernels that computed it; CI's --strict fails."""
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "expected_verdicts.yml").write_text(
        "classifiers:\n  models.t.a: no paper value\n  models.t.b: check\n  models.t.gone: check\n"
    )
    monkeypatch.setenv("CONNECTIVITY_ROOT", str(tmp_path))
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "classifiers")
    monkeypatch.setenv("CONNECTIVITY_DEVICE", "cuda")  # as a GPU build would record it
    scorecard.measure("models.t.a", "a measurement", 1.0)
    scorecard.check("models.t.b", "a check", 2.0, holds=False, reason="by construction")
    study = scorecard_page.run(scorecard_page.ScorecardSettings.resolve("ci"))
    changes = study.changes.set_index("record")
    assert list(changes.index) == ["models.t.b", "models.t.gone"]
    assert changes.loc["models.t.b", "reference build"] == "check"
    assert changes.loc["models.t.b", "this build"] == "failed"
    assert changes.loc["models.t.b", "device"] == "cuda"
    assert changes.loc["models.t.gone", "this build"] == "(not written)"
    assert study.provenance.loc["classifiers", "device"] == "cuda"
    sentence = scorecard_page.reference_sentence(study)
    assert sentence.startswith("2 verdict(s) of this build (computed on cuda with")
    monkeypatch.setenv("CONNECTIVITY_DEVICE", "cpu")
    scorecard.check("models.t.b", "a check", 2.0, holds=True, reason="by construction")
    study = scorecard_page.run(scorecard_page.ScorecardSettings.resolve("ci"))
    assert list(study.changes.record) == ["models.t.gone"]
    assert scorecard_page.changes_table(study) is not None


def test_scorecard_page_summarises_each_chapter_in_one_screen(tmp_build, monkeypatch):
    """A chapter's summary lists a few claims one by one, counts a section's many numbers
    in one row, and the records not compared with a paper in a last row; the filter
    has a tick box per verdict of the build."""
    values = [
        PaperValue(f"lancione.t.n{i}", f"number {i}", 0.5, "a number", "§3") for i in range(7)
    ]
    values.append(PaperValue("lancione.t.pca", "PCA silhouette", 0.47, "silhouette", "§3"))
    monkeypatch.setattr(paper_values, "all_values", lambda: dict(index(values)))
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "lancione/03_results")
    for i in range(7):  # a table of the paper: more than MAX_LISTED numbers in a section
        tolerance = Tolerance.stated(0.015, "seed spread")
        scorecard.compare(f"lancione.t.n{i}", 0.47 + i / 100, tolerance, section="Silhouettes")
    scorecard.compare("lancione.t.pca", 0.30, Tolerance.stated(0.05, "seed spread"))
    scorecard.measure("lancione.t.m", "a measurement", 1.0)
    study = scorecard_page.run(scorecard_page.ScorecardSettings.resolve("smoke"))
    rows = scorecard_page.paper_summary(study, "Lancione").data
    assert len(rows) == 3 and "Silhouettes" in rows.claim[0] and "7 numbers" in rows.claim[0]
    assert "3 reproduced" in rows.verdict[0] and "4 differs" in rows.verdict[0]
    assert "PCA silhouette" in rows.claim[1] and rows.verdict[1] == "differs"
    assert rows.claim[2].startswith("not compared") and "1 no paper value" in rows.verdict[2]
    html = scorecard_page.verdict_filter(study)._repr_html_()
    assert html.count('type="checkbox"') == 3  # reproduced, differs, no paper value
    assert "tr:has(td.verdict-no-paper-value)" in html
    table = scorecard_page.chapter_table(study, "Lancione").to_html()
    assert 'verdict-differs" >differs</td>' in table  # the class the filter hides


@pytest.mark.timeout(60)
def test_the_rule_sentence_counts_false_alarms_and_numbers_out_of_reach():
    """40 comparisons at 5 % expect 2 differs by chance; of three numbers, one has a margin
    below 1.645 SE (power 0) and one reaches reproduced half the time or so."""
    from connectivity.pages.scorecard.report import rule_sentence

    def rec(i, kind, verdict, power=None):
        return scorecard.Record(
            id=f"models.t.{i}",
            kind=kind,
            verdict=verdict,
            description="",
            reproduced=1,
            power=power,
        )

    recs = [rec(i, "qualitative", "differs" if i < 3 else "reproduced") for i in range(37)]
    recs += [rec(37, "quantitative", "not significant", 0.0)]
    recs += [
        rec(38, "quantitative", "reproduced", 0.5),
        rec(39, "quantitative", "reproduced", 0.95),
    ]
    recs += [rec(40, "measurement", "no paper value")]
    text = rule_sentence(recs)
    assert "Each of the 40 comparisons" in text and "about 2 would still" in text
    assert "this build has 3." in text
    assert "Of the 3 numbers, 1 cannot reach" in text and "and 1 reach it less than 80 %" in text
