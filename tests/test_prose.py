"""Prose follows the numbers: wording chosen by the verdict, typed outcomes caught."""

from __future__ import annotations

import dataclasses
import json

import pytest

from connectivity import paper_values, prose, scorecard
from connectivity.paper_values import PaperValue, index
from connectivity.stats import TestResult, Tolerance

VALUES = index([PaperValue("lancione.t.pca", "PCA silhouette", 0.47, "silhouette", "§3")])


@pytest.fixture(autouse=True)
def these_paper_values(monkeypatch, tmp_build):
    monkeypatch.setattr(paper_values, "all_values", lambda: dict(VALUES))


WORDING = {
    "reproduced": "as in the paper ({paper}), the silhouette is {value:.2f}",
    "differs": "unlike the paper ({paper}), the silhouette is {value:.2f}",
    "failed": "no silhouette: {note}",
}


def test_say_picks_the_wording_of_the_verdict():
    near = scorecard.compare("lancione.t.pca", 0.48, Tolerance.stated(0.05, "x"))
    far = scorecard.compare("lancione.t.pca", 0.30, Tolerance.stated(0.05, "x"))
    failed = scorecard.fail("lancione.t.pca", "the model collapsed")
    assert prose.say(near, **WORDING) == "as in the paper (0.47), the silhouette is 0.48"
    assert prose.say(far, **WORDING) == "unlike the paper (0.47), the silhouette is 0.30"
    assert prose.say(failed, **WORDING) == "no silhouette: the model collapsed"


def test_say_needs_wording_for_every_possible_verdict():
    rec = scorecard.compare("lancione.t.pca", 0.48, Tolerance.stated(0.05, "x"))
    with pytest.raises(ValueError, match=r"no wording for verdict\(s\) \['differs'\]"):
        prose.say(rec, reproduced="yes", failed="no")


def test_direction_and_trend_words():
    assert (
        prose.direction(TestResult("t", 0.01, 0.99, 1, "e"), yes="higher", no="lower", unclear="?")
        == "higher"
    )
    assert (
        prose.direction(
            TestResult("t", 0.5, 0.5, 0, "e"), yes="a", no="b", unclear="unclear (p = {p:.1f})"
        )
        == "unclear (p = 0.5)"
    )
    assert (
        prose.trend([2, 3, 8, 32, 128, 512], [0.65, 0.875, 1, 1, 0.825, 0.575])
        == "shows no significant trend"
    )
    assert prose.trend(range(6), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) == "grows"


@pytest.mark.parametrize(
    "markdown,flagged",
    [
        ("The PCA silhouette reproduced the paper's value.", True),
        ("This does not reproduce the paper.", True),
        ("The result confirms the claim.", True),
        ("Unlike the paper, {glue:text}`says.lancione.t.pca` here.", False),
        ("We ask whether the claim can be reproduced? No: we ask whether we reproduce it.", True),
        (
            "A record is **reproduced** when it lies within the tolerance; *differs* otherwise.",
            False,
        ),
        ("## What reproduced here", False),
        ("We reproduce Table 1 with a smaller model; the reproduction uses 25 pairs.", False),
    ],
)
def test_typed_outcome_words_are_found(markdown, flagged):
    assert bool(prose.typed_outcomes(markdown)) is flagged


def _notebook(tmp_path, markdown, glue_name=None):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": markdown}]
    if glue_name:
        cells.append(
            {
                "cell_type": "code",
                "metadata": {},
                "source": "",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {"text/plain": "'x'"},
                        "metadata": {"scrapbook": {"name": glue_name, "mime_prefix": ""}},
                    }
                ],
            }
        )
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps({"cells": cells}))
    return path


def test_a_planted_contradiction_fails_the_page_check(tmp_path):
    rec = scorecard.compare("lancione.t.pca", 0.30, Tolerance.stated(0.05, "x"))  # differs
    good = _notebook(
        tmp_path, "The silhouette: {glue:text}`says.lancione.t.pca`.", "says.lancione.t.pca"
    )
    assert prose.check_notebook(good, [rec]) == []
    planted = _notebook(tmp_path, "The PCA silhouette of the paper is reproduced.")
    assert len(prose.check_notebook(planted, [rec])) == 1
    orphan = _notebook(tmp_path, "Text.", "says.lancione.t.gone")
    assert "names no record" in prose.check_notebook(orphan, [rec])[0]


def test_what_reproduced_lists_this_sessions_records_by_verdict():
    scorecard.SESSION.clear()
    scorecard.compare("lancione.t.pca", 0.30, Tolerance.stated(0.05, "seed spread"))
    scorecard.measure("models.m.acc", "accuracy", 0.9)
    html = prose.what_reproduced().to_html()
    assert (
        "PCA silhouette" in html
        and "differs" in html
        and "seed spread" in html
        and "accuracy" in html
    )


def test_what_reproduced_can_close_the_rows_without_a_verdict():
    scorecard.SESSION.clear()
    scorecard.compare("lancione.t.pca", 0.30, Tolerance.stated(0.05, "seed spread"))
    scorecard.measure("models.m.acc", "accuracy", 0.9)
    scorecard.measure("models.m.loss", "loss", 0.1)
    html = prose.what_reproduced(apart=("not comparable", "no paper value")).to_html()
    shown, closed = html.split('<details class="record-list">')
    assert "PCA silhouette" in shown and "accuracy" not in shown
    assert closed.startswith("<summary>2 more records (2 no paper value)")
    assert "accuracy" in closed and "loss" in closed and html.count("records-table") == 2
    plain = prose.what_reproduced().to_html()
    assert "record-list" not in plain and "accuracy" in plain


def test_records_table_collapses_long_texts_and_keeps_its_columns_wide():
    """A tolerance's basis and a long quote from the paper sit behind a collapsed
    <details> with a short summary (± width, the section), so no column is squeezed to a
    word a line; the table is laid out at the page's width in fixed proportions."""
    scorecard.SESSION.clear()
    basis = "2 × √(ours² + paper²) = 0.05 & more, " + "a long explanation " * 10
    rec = scorecard.compare("lancione.t.pca", 0.30, Tolerance.stated(0.05, basis))
    long_where = dataclasses.replace(rec, where="§3 ('" + "a quote from the paper " * 4 + "')")
    html = prose.records_table([long_where]).to_html()
    assert '<details class="record-more"><summary>± 0.05</summary>stated: 2 × √' in html
    assert "&amp; more" in html  # the basis escaped
    assert "<summary>§3 …</summary>§3 ('a quote" in html
    assert "table-layout: fixed" in html and "width: 47%" in html  # the claim's share
    short = prose.records_table([rec]).to_html()
    assert ">§3</td>" in short  # a short text is shown as it is


def test_glued_text_loses_emphasis_marks_that_glue_text_would_show(monkeypatch):
    import myst_nb

    from connectivity import prose

    glued = {}
    monkeypatch.setattr(
        myst_nb, "glue", lambda name, value, display=False: glued.update({name: value})
    )
    prose.glue("s", "CIFAR-10: 88.4%, **below** its target; the bypass *raises* it")
    prose.glue("n", 0.5)
    assert glued == {"s": "CIFAR-10: 88.4%, below its target; the bypass raises it", "n": 0.5}
    # asterisks that are not emphasis stay
    assert prose.plain_text("C*H*W, 2 * 3, (*S)") == "C*H*W, 2 * 3, (*S)"
