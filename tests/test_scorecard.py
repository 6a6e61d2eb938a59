"""Scorecard: verdicts computed by kind, records scoped by run, the verdict guard."""

from __future__ import annotations

import json

import numpy as np
import pytest

from connectivity import paper_values, scorecard, verdict_guard
from connectivity.paper_values import PaperValue, index
from connectivity.stats import TestResult, Tolerance

VALUES = index(
    [
        PaperValue(
            "gu2023.t.linear", "linearly connected pairs", 19, "count of 25 pairs", "Table 1"
        ),
        PaperValue(
            "lancione.t.pca", "PCA silhouette", 0.47, "silhouette of the 2-D PCA latents", "§3"
        ),
        PaperValue(
            "vrabel2024.t.higher",
            "adversarial barriers are higher",
            True,
            "barrier max",
            "Fig. 6",
            kind="qualitative",
        ),
        PaperValue(
            "vrabel2024.t.broken",
            "the advanced-attack claim on CIFAR-100 DeepFool",
            False,
            "AUC",
            "Table 1",
            kind="qualitative",
        ),
    ]
)


@pytest.fixture(autouse=True)
def these_paper_values(monkeypatch, tmp_build):
    monkeypatch.setattr(paper_values, "all_values", lambda: dict(VALUES))
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "chapter/nb")


@pytest.mark.parametrize(
    "value,tol,verdict",
    [
        (19, 0.0, "reproduced"),
        (21, 2.0, "reproduced"),
        (22, 2.0, "differs"),
        (np.int64(19), 0.0, "reproduced"),
        (float("nan"), 5.0, "differs"),
        (float("inf"), 5.0, "differs"),
        (None, 5.0, "differs"),
    ],
)
def test_compare_within_the_tolerance(value, tol, verdict):
    rec = scorecard.compare("gu2023.t.linear", value, Tolerance.stated(tol, "test"))
    assert rec.verdict == verdict and rec.kind == "quantitative" and rec.paper == 19
    assert rec.tolerance_basis == "stated: test" and rec.description == "linearly connected pairs"


def test_compare_needs_a_tolerance_with_a_basis_and_a_paper_value():
    with pytest.raises(TypeError):
        scorecard.compare("gu2023.t.linear", 19, 2.0)
    with pytest.raises(ValueError):
        Tolerance(1.0, " ")
    with pytest.raises(KeyError, match="no paper value"):
        scorecard.compare("gu2023.t.nonlinear", 6, Tolerance.stated(1, "x"))
    with pytest.raises(ValueError, match="is qualitative"):
        scorecard.compare("vrabel2024.t.higher", 1.0, Tolerance.stated(1, "x"))


@pytest.mark.parametrize(
    "p,p_opp,verdict",
    [(0.01, 0.99, "reproduced"), (0.2, 0.8, "not significant"), (0.99, 0.01, "differs")],
)
def test_qualitative_claims_need_direction_and_significance(p, p_opp, verdict):
    result = TestResult("one-sided test", p, p_opp, 0.1, "effect", "30 vs 30")
    rec = scorecard.test("vrabel2024.t.higher", result)
    assert rec.verdict == verdict and rec.p_value == p and rec.test == "one-sided test"


def test_a_claim_the_paper_itself_breaks_is_reproduced_by_breaking_it():
    broken = TestResult("paired bootstrap", 0.99, 0.01, -0.02, "AUC difference")
    assert scorecard.test("vrabel2024.t.broken", broken).verdict == "reproduced"
    holds = TestResult("paired bootstrap", 0.01, 0.99, 0.02, "AUC difference")
    assert scorecard.test("vrabel2024.t.broken", holds).verdict == "differs"


def test_checks_measurements_and_failures_are_not_reproductions():
    ok = scorecard.check(
        "vrabel2024.t.orth",
        "|cos| of the bypass step",
        1e-9,
        holds=True,
        reason="projected by construction",
    )
    bad = scorecard.check("vrabel2024.t.orth2", "|cos|", 0.3, holds=False, reason="projected")
    m = scorecard.measure("models.x.acc", "accuracy", np.float32(0.75))
    f = scorecard.fail("lancione.t.pca", "the autoencoder collapsed (latent variance 0)")
    assert (ok.verdict, bad.verdict, m.verdict, f.verdict) == (
        "check",
        "failed",
        "no paper value",
        "failed",
    )
    assert not ok.counts_as_reproduction and f.reproduced is None and f.paper == 0.47
    assert m.reproduced == pytest.approx(0.75) and isinstance(m.reproduced, float)


def test_a_number_beside_another_models_paper_value_gets_no_verdict():
    # near the paper's value or far from it, the value is shown, never judged
    for id, value, paper in (("gu2023.t.linear", 19, 19), ("lancione.t.pca", 47.0, 0.47)):
        rec = scorecard.beside(id, value, "another network's scale")
        assert (rec.kind, rec.verdict, rec.paper) == ("context", "not comparable", paper)
        assert not rec.counts_as_reproduction and rec.note == "another network's scale"
    with pytest.raises(ValueError, match="qualitative"):
        scorecard.beside("vrabel2024.t.higher", 1.0, "x")  # a claim is tested, not shown
    counts = scorecard.verdict_counts(scorecard.collect(["chapter/nb"]))
    assert counts.loc["all chapters", "not comparable"] == 2


def test_a_number_beside_the_paper_keeps_its_tolerance_and_the_rules_reading():
    """Known answers: 19 against the paper's 19 with margin 1 and SE 0.1 is within it
    (two one-sided tests), 22 is outside; either way the row has no verdict."""
    tol = Tolerance.equivalence(1.0, "m", se=0.1, se_basis="s")
    near = scorecard.beside("gu2023.t.linear", 19, "another network", tolerance=tol)
    far = scorecard.beside("gu2023.t.linear", 22, "another network", tolerance=tol)
    for rec in (near, far):
        assert (rec.kind, rec.verdict) == ("context", "not comparable")
        assert rec.tolerance == 1.0 and rec.se == pytest.approx(0.1) and rec.power > 0.99
        assert not rec.counts_as_reproduction
    assert near.extra["by_the_rule"] == "reproduced" and near.p_value < 1e-6
    assert far.extra["by_the_rule"] == "differs" and far.p_opposite < 1e-6
    plain = scorecard.beside("gu2023.t.linear", 19, "another network")
    assert plain.tolerance is None and "by_the_rule" not in plain.extra


def test_records_are_scoped_by_run(monkeypatch, tmp_build):
    scorecard.compare("gu2023.t.linear", 19, Tolerance.stated(0, "x"))
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "other/nb")
    scorecard.measure("models.y.acc", "accuracy", 0.5)
    monkeypatch.delenv("CONNECTIVITY_NOTEBOOK")
    scorecard.measure(
        "models.z.acc", "an interactive experiment", 0.1
    )  # never on the book's scorecard
    recs = scorecard.collect(["chapter/nb", "other/nb"])
    assert [r.id for r in recs] == ["gu2023.t.linear", "models.y.acc"]
    on_disk = json.loads((tmp_build / "scorecard.json").read_text())
    assert [r["id"] for r in on_disk] == ["gu2023.t.linear", "models.y.acc"]
    assert {"kind", "tolerance_basis", "p_value", "verdict"} <= set(on_disk[0])
    scorecard.clear("chapter/nb")
    assert [r.id for r in scorecard.collect(["chapter/nb", "other/nb"])] == ["models.y.acc"]
    assert [r.id for r in scorecard.load(["interactive"])] == []  # the book never reads it


def test_bad_ids_are_rejected():
    for bad in ("a/b", "has space", "unknownchapter.x", ""):
        with pytest.raises(ValueError):
            scorecard.measure(bad, "x", 1)


def test_a_flipped_verdict_is_reported(tmp_path):
    path = tmp_path / "expected.yml"
    scorecard.compare("gu2023.t.linear", 19, Tolerance.stated(0, "x"))
    scorecard.measure("models.y.acc", "accuracy", 0.5)
    records = scorecard.load(["chapter/nb"])
    verdict_guard.write_expected(path, records, ["chapter/nb"])
    assert (
        verdict_guard.verdict_changes(records, verdict_guard.load_expected(path), ["chapter/nb"])
        == []
    )
    scorecard.compare("gu2023.t.linear", 23, Tolerance.stated(0, "x"))  # perturb one record
    scorecard.measure("models.w.acc", "a new record", 0.5)
    (scorecard.records_dir() / "models.y.acc.json").unlink()
    changes = verdict_guard.verdict_changes(
        scorecard.load(["chapter/nb"]), verdict_guard.load_expected(path), ["chapter/nb"]
    )
    assert changes == [
        "chapter/nb: verdict of gu2023.t.linear changed from reproduced to differs "
        "(this book 23, paper 19)",
        "chapter/nb: new record models.w.acc (no paper value)",
        "chapter/nb: record models.y.acc (expected no paper value) was not written",
    ]
