"""Prose that follows the numbers.

A sentence of a page that states an outcome (reproduced or not, higher or lower,
grows or shrinks, converged or not) is generated here from computed values and
glued into the page with myst-nb's ``{glue:text}`` role; typed prose only explains
methods. :func:`say` picks the wording of a record by its verdict,
:func:`direction` and :func:`trend` pick comparison words by a test, and
:func:`what_reproduced` is the table that ends each chapter.

:func:`typed_outcomes` is the guard: it finds outcome words typed into a page's
Markdown (outside glue), and the book runner fails on them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .scorecard import SESSION, VERDICTS, Record, plain
from .stats import ALPHA, TestResult, spearman_increasing

# the verdicts a record of each kind can get: say() needs wording for each
POSSIBLE = {
    "quantitative": ("reproduced", "differs", "failed"),
    "qualitative": ("reproduced", "differs", "not significant", "failed"),
    "check": ("check", "failed"),
    "measurement": ("no paper value", "failed"),
    "context": ("not comparable", "failed"),
}

SAYS_PREFIX = "says."


# *emphasis* and **strong** around words: {glue:text} shows text as it is, so the marks
# would appear on the page as asterisks
EMPHASIS = re.compile(r"(?<![\w*])\*{1,2}(?=\S)([^*\n]+?)(?<=\S)\*{1,2}(?![\w*])")


def plain_text(text: str) -> str:
    """``text`` without Markdown emphasis marks (``**not modes**`` -> ``not modes``).

    >>> plain_text("CIFAR-10: 88.4%, **below** its target; the bypass *raises* it")
    'CIFAR-10: 88.4%, below its target; the bypass raises it'
    """
    return EMPHASIS.sub(r"\1", text)


def glue(name: str, value: Any, display: bool = False) -> None:
    """``myst_nb.glue`` of a number or string for ``{glue:text}`name:fmt```; numpy and
    torch scalars become Python numbers first, so format specs like ``:.3f`` work, and
    strings lose Markdown emphasis marks, which ``{glue:text}`` would show as they are."""
    from myst_nb import glue as _glue

    value = plain(value)
    _glue(name, plain_text(value) if isinstance(value, str) else value, display=display)


def fields(rec: Record) -> dict[str, Any]:
    """The names a :func:`say` template may use."""
    return {
        "value": rec.reproduced,
        "paper": rec.paper,
        "tolerance": rec.tolerance,
        "basis": rec.tolerance_basis,
        "p": rec.p_value,
        "p_opposite": rec.p_opposite,
        "effect": rec.effect,
        "n": rec.n,
        "unit": rec.unit,
        "note": rec.note,
        "test": rec.test,
        "where": rec.where,
        "verdict": rec.verdict,
        "claim": rec.description,
        **rec.extra,
    }


def say(rec: Record, **wording: str) -> str:
    """The sentence for ``rec``'s verdict: ``wording[verdict]`` (verdicts with spaces
    as underscores: ``not_significant``, ``no_paper_value``) formatted with
    :func:`fields`. Wording is required for every verdict the record's kind allows,
    so a page cannot forget the case where the claim fails."""
    keys = {k.replace("_", " "): v for k, v in wording.items()}
    missing = [v for v in POSSIBLE[rec.kind] if v not in keys]
    if missing:
        raise ValueError(f"say({rec.id}): no wording for verdict(s) {missing}")
    return keys[rec.verdict].format(**fields(rec))


def glue_say(rec: Record, name: str | None = None, **wording: str) -> str:
    """:func:`say`, glued as ``says.<record id>`` (or ``name``) and returned."""
    text = say(rec, **wording)
    glue(name or SAYS_PREFIX + rec.id, text)
    return text


def direction(result: TestResult, *, yes: str, no: str, unclear: str, alpha: float = ALPHA) -> str:
    """``yes`` if the test finds its claimed direction at ``alpha``, ``no`` if the
    opposite direction is significant, else ``unclear`` (each may use ``{p}``,
    ``{p_opposite}``, ``{effect}``, ``{test}``)."""
    text = {"reproduced": yes, "differs": no, "not significant": unclear}[result.verdict(alpha)]
    return text.format(
        p=result.p_value, p_opposite=result.p_opposite, effect=result.effect, test=result.test
    )


def trend(
    x, y, *, up: str = "grows", down: str = "shrinks", flat: str = "shows no significant trend"
) -> str:
    """How ``y`` moves with ``x`` by a one-sided Spearman test (see :func:`direction`)."""
    return direction(spearman_increasing(x, y), yes=up, no=down, unclear=flat)


VERDICT_COLOURS = {
    "reproduced": "#d9f2d9",
    "differs": "#f9dede",
    "not significant": "#fdf3d0",
    "failed": "#e8c6f0",
    "check": "#e0e8f5",
    "no paper value": "#eeeeee",
    "not comparable": "#f2f2f2",
}


def format_value(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    else:
        text = str(value)
    return f"{text} {unit}".strip() if unit and unit != "fraction" else text


def records_table(records: list[Record], link: bool = False):
    """The records as a styled table: claim, where, paper, this book, tolerance and its
    basis (or the test and p), verdict. ``link`` adds a link to the computing section."""
    import pandas as pd

    rows = []
    for r in records:
        if r.kind == "qualitative":
            basis = f"{r.test}: p = {r.p_value:.2g}" if r.p_value is not None else ""
        elif r.kind == "quantitative":
            basis = (
                f"± {format_value(r.tolerance)} ({r.tolerance_basis})"
                if r.tolerance is not None
                else ""
            )
        else:
            basis = r.note
        claim = r.description
        if link:
            claim = f'<a href="{_href(r)}" title="{r.id}">{r.description}</a>'
        rows.append(
            {
                "claim": claim,
                "in the paper": r.where,
                "paper": format_value(r.paper, r.unit),
                "this book": format_value(r.reproduced, r.unit),
                "tolerance or test": basis,
                "verdict": r.verdict,
            }
        )
    df = pd.DataFrame(
        rows,
        columns=["claim", "in the paper", "paper", "this book", "tolerance or test", "verdict"],
    )
    styler = df.style.hide(axis="index").map(
        lambda v: f"background-color:{VERDICT_COLOURS.get(v, '')}", subset=["verdict"]
    )
    styler = styler.set_table_styles(
        [
            {
                "selector": "td, th",
                "props": "white-space: normal; font-size: 0.85em; vertical-align: top",
            },
            {"selector": "td:nth-child(1)", "props": "min-width: 14em"},
            {"selector": "td:nth-child(5)", "props": "max-width: 18em; font-size: 0.78em"},
        ]
    )
    return styler.set_table_attributes('class="scorecard-table"')


def _href(r: Record) -> str:
    anchor = ""
    if r.section:
        from docutils.nodes import make_id

        anchor = "#" + make_id(r.section)
    return f"{r.notebook}.html{anchor}"


def what_reproduced(records: list[Record] | None = None):
    """The table that ends a chapter: every record this notebook wrote, by verdict."""
    recs = SESSION if records is None else records
    order = {v: i for i, v in enumerate(VERDICTS)}
    return records_table(sorted(recs, key=lambda r: (order[r.verdict], r.id)))


# --- the guard against typed outcomes ---------------------------------------------------

# outcome words that only generated text may use; the verdict names themselves may be
# typed when set in markup (*reproduced*, **differs**, `failed`) to define them
OUTCOME = re.compile(
    r"(?<![*`\w])(reproduced|reproduces|(?:does|did|do) not reproduce|not reproduced|"
    r"confirm(?:s|ed)|contradict(?:s|ed))(?![*`\w])",
    re.IGNORECASE,
)
GLUE = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
ALLOWED_HEADINGS = re.compile(r"^#+\s*What reproduced here\s*$", re.MULTILINE | re.IGNORECASE)


def typed_outcomes(markdown: str) -> list[str]:
    """Outcome words typed into ``markdown`` (glue roles and the closing heading
    excepted), each with its context."""
    text = ALLOWED_HEADINGS.sub("", GLUE.sub("", markdown))
    return [
        text[max(0, m.start() - 40) : m.end() + 40].replace("\n", " ")
        for m in OUTCOME.finditer(text)
    ]


def check_notebook(path: Path, records: list[Record]) -> list[str]:
    """Problems of one executed notebook: typed outcome words, and ``says.<id>`` glue
    that names no record of this build."""
    nb = json.loads(Path(path).read_text())
    ids = {r.id for r in records}
    problems = []
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            problems += [
                f"{path.name}: typed outcome «…{c}…» (generate it from the record)"
                for c in typed_outcomes(src)
            ]
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name", "")
            if name.startswith(SAYS_PREFIX) and name[len(SAYS_PREFIX) :] not in ids:
                problems.append(f"{path.name}: glued sentence {name} names no record of this build")
    return problems
