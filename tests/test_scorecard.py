"""Scorecard verdicts are computed from the numbers; records round-trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from connectivity import scorecard


@pytest.mark.parametrize("reproduced,paper,tol,expected", [
    (0.47, 0.47, 0.05, "reproduced"),
    (0.52, 0.47, 0.05, "reproduced"),
    (0.53, 0.47, 0.05, "differs"),
    (19, 19, 0, "reproduced"),
    (18, 19, 0, "differs"),
    (0.3, None, None, "no paper value"),
    (True, True, None, "reproduced"),
    (False, True, None, "differs"),
    (float("nan"), 1.0, 0.1, "differs"),
    (np.float32(1.0), 1, 0.0, "reproduced"),
])
def test_verdict(reproduced, paper, tol, expected):
    assert scorecard.verdict(reproduced, paper, tol) == expected


def test_numeric_paper_value_needs_a_tolerance():
    with pytest.raises(ValueError):
        scorecard.verdict(1.0, 1.0, None)
    with pytest.raises(ValueError):
        scorecard.verdict(1.0, 1.0, -1)


def test_record_collect_round_trip(tmp_build, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "lancione/silhouettes")
    scorecard.record("lancione.silhouette.pca", "PCA silhouette", np.float64(0.45), paper=0.47, tolerance=0.05,
                     sd=0.01)
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "other")
    scorecard.record("gu2023.table1.last.linear", "linear pairs", 25, paper=25, tolerance=0)
    scorecard.record("models.x.accuracy", "acc", 0.7)
    recs = scorecard.collect()
    assert [r["id"] for r in recs] == ["gu2023.table1.last.linear", "lancione.silhouette.pca", "models.x.accuracy"]
    on_disk = json.loads((tmp_build / "scorecard.json").read_text())
    assert on_disk == recs
    pca = recs[1]
    assert pca["chapter"] == "Lancione" and pca["verdict"] == "reproduced" and pca["sd"] == 0.01
    assert {"id", "chapter", "description", "paper", "reproduced", "tolerance", "verdict"} <= set(pca)
    assert recs[2]["verdict"] == "no paper value"
    scorecard.clear("lancione/silhouettes")
    assert [r["id"] for r in scorecard.collect()] == ["gu2023.table1.last.linear", "models.x.accuracy"]


def test_bad_ids_are_rejected(tmp_build):
    with pytest.raises(ValueError):
        scorecard.record("a/b", "x", 1)
