"""Prose that follows the numbers.

A sentence of a page that states an outcome (reproduced or not, higher or lower,
grows or shrinks, converged or not) is generated here from computed values and
glued into the page with myst-nb's ``{glue:text}`` role; typed prose only explains
methods. :func:`say` picks the wording of a record by its verdict,
:func:`direction` and :func:`trend` pick comparison words by a test, and
:func:`what_reproduced` is the table that ends each chapter. Every page's ``report``
ends in :func:`publish`, which glues what its ``sentences`` built and returns a
:class:`PageReport` (CONTRIBUTING.md: one report style).

:func:`typed_outcomes` is the guard: it finds outcome words typed into a page's
Markdown (outside glue), and the book runner fails on them.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from .scorecard import SESSION, VERDICTS, Record, plain, reader_outcome
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


def says_name(rec: Record) -> str:
    """The glue name of the sentence that words ``rec`` (``says.<record id>``): where a
    page quotes one record's outcome, and what :func:`check_notebook` matches to it."""
    return SAYS_PREFIX + rec.id


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


R = TypeVar("R")


@dataclass(frozen=True)
class PageReport(Generic[R]):
    """What every page's ``report(study)`` returns (one style, ``CONTRIBUTING.md``):
    ``records``, the page's scorecard records as its ``records(study)`` built them (the
    page's typed ``<Page>Records``, or its records by short name), and ``glued``, every
    value its ``sentences(study, records)`` built for the page's prose, by glue name."""

    records: R
    glued: dict[str, Any]


def publish(records: R, glued: dict[str, Any]) -> PageReport[R]:
    """Glue each of ``glued`` (:func:`glue`) and return the page's :class:`PageReport`:
    the last step of every page's ``report``."""
    for name, value in glued.items():
        glue(name, value)
    return PageReport(records, dict(glued))


def fields(rec: Record) -> dict[str, Any]:
    """The names a :func:`say` template may use."""
    return {
        "value": rec.reproduced,
        "paper": rec.paper,
        "tolerance": rec.tolerance,
        "basis": rec.tolerance_basis,
        "se": rec.se,
        "power": rec.power,
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
    so a page cannot forget the case where the claim fails. A reader's classifier's
    record (no verdict) is worded by what its test found on that classifier
    (:func:`connectivity.scorecard.reader_outcome`)."""
    keys = {k.replace("_", " "): v for k, v in wording.items()}
    if rec.reader:  # a reader's classifier's record: worded by what its test found there
        outcome = reader_outcome(rec)
        if outcome not in keys:
            raise ValueError(f"say({rec.id}): no wording for {outcome!r} (a reader's record)")
        return keys[outcome].format(**fields(rec))
    missing = [v for v in POSSIBLE[rec.kind] if v not in keys]
    if missing:
        raise ValueError(f"say({rec.id}): no wording for verdict(s) {missing}")
    return keys[rec.verdict].format(**fields(rec))


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


# Columns of a records table, with their share of its width: the table is laid out at a
# fixed width (the page's), so a long text wraps in its own column instead of squeezing
# another into one word a line; long texts (a quote from the paper, a tolerance's basis)
# sit in a collapsed <details> whose summary is short.
RECORD_COLUMNS = {
    "claim": 47,
    "in the paper": 11,
    "paper": 8,
    "this book": 9,
    "margin or test": 12,
    "verdict": 13,
}
SHORT = 16  # characters shown before a long text collapses


def collapsed(text: str, summary: str | None = None, limit: int = SHORT) -> str:
    """``text`` as HTML: as it is when at most ``limit`` characters and no ``summary``
    is given, else a collapsed ``<details>`` showing ``summary`` (default: the text up
    to its first parenthesis or semicolon, cut at a word within ``limit``, and "…").

    >>> collapsed("Table 1")
    'Table 1'
    >>> collapsed("§4.2.1 ('it can be fully ablated for attacks like deepfool')")[:56]
    '<details class="record-more"><summary>§4.2.1 …</summary>'
    """
    body = html.escape(text, quote=False)
    if summary is None:
        if len(text) <= limit:
            return body
        head = re.split(r"\s[(;]|;", text, maxsplit=1)[0]
        if len(head) > limit:
            head = head[:limit].rsplit(" ", 1)[0]
        summary = html.escape(head.rstrip(" ,:"), quote=False) + " …"
    return f'<details class="record-more"><summary>{summary}</summary>{body}</details>'


def _tolerance_cell(r: Record) -> str:
    if r.kind == "qualitative":
        if r.p_value is None:
            return html.escape(r.test, quote=False)
        return collapsed(r.test, summary=f"p = {r.p_value:.2g}")
    if r.kind == "quantitative":
        if r.tolerance is None:
            return ""
        summary = f"± {format_value(r.tolerance)}"
        if r.se:
            summary += f", SE {format_value(r.se)}"
        body = r.tolerance_basis
        if r.power is not None and r.se:
            body += f". Power (chance of reproduced if the paper's number is exact): {r.power:.0%}"
        return collapsed(body, summary=summary)
    return collapsed(r.note, summary=None if len(r.note) <= SHORT else "note")


def records_frame(records: list[Record], link: bool = False):
    """The rows of :func:`records_table` as a DataFrame of HTML cells (one per record)."""
    import pandas as pd

    rows = []
    for r in records:
        claim = r.description
        if link:
            claim = f'<a href="{record_href(r)}" title="{r.id}">{r.description}</a>'
        rows.append(
            {
                "claim": claim,
                "in the paper": collapsed(r.where),
                "paper": format_value(r.paper, r.unit),
                "this book": format_value(r.reproduced, r.unit),
                "margin or test": _tolerance_cell(r),
                "verdict": r.verdict,
            }
        )
    return pd.DataFrame(rows, columns=list(RECORD_COLUMNS))


def verdict_styler(frame):
    """``frame`` styled without its index, each verdict cell coloured by its verdict."""
    return frame.style.hide(axis="index").map(
        lambda v: f"background-color:{VERDICT_COLOURS.get(v, '')}", subset=["verdict"]
    )


def full_width(columns: dict[str, float], font: str, line: float) -> list[dict]:
    """Table styles: the page's width, fixed column widths in the percentages of
    ``columns``, the font size ``font`` and line height ``line``."""
    widths = [
        {"selector": f"th:nth-child({i})", "props": f"width: {w}%"}
        for i, w in enumerate(columns.values(), start=1)
    ]
    whole = {
        "selector": "",
        "props": f"table-layout: fixed; width: 100%; font-size: {font}; line-height: {line}",
    }
    return [whole, *widths]


def records_table(records: list[Record], link: bool = False):
    """The records as a styled table: claim, where, paper, this book, tolerance (its
    basis collapsed) or test (its name collapsed, p shown), verdict. ``link`` links each
    claim to the computing section. Laid out at the page's width, columns in the
    proportions of :data:`RECORD_COLUMNS` (``book/custom.css`` styles
    ``table.scorecard-table``); each verdict cell has the class ``verdict-<verdict>``."""
    df = records_frame(records, link)
    styler = verdict_styler(df)
    classes = df.copy().astype(str)
    classes.loc[:, :] = ""
    classes["verdict"] = ["verdict-" + v.replace(" ", "-") for v in df["verdict"]]
    styler = styler.set_td_classes(classes)
    cells = {
        "selector": "td, th",
        "props": "white-space: normal; vertical-align: top; overflow-wrap: break-word;"
        " padding: 0.15em 0.4em",
    }
    text = {"selector": "td.col0, td.col1, td.col4, td.col5", "props": "text-align: left"}
    verdict = {"selector": "td.col5", "props": "overflow-wrap: normal"}  # never "reproduce d"
    styler = styler.set_table_styles(
        [*full_width(RECORD_COLUMNS, "0.8em", 1.3), cells, text, verdict]
    )
    return styler.set_table_attributes('class="scorecard-table records-table"')


def record_href(r: Record) -> str:
    """The link to the section of the book that computes ``r`` (its notebook's page)."""
    anchor = ""
    if r.section:
        from docutils.nodes import make_id

        anchor = "#" + make_id(r.section)
    return f"{r.notebook}.html{anchor}"


class RecordsApart:
    """Two record tables: the verdicts in view, then the rows of ``apart`` verdicts behind
    a closed ``<details>`` whose summary counts them (a page with many rows without a
    verdict stays short). ``to_html`` gives both."""

    def __init__(self, shown: list[Record], apart: list[Record]):
        self.shown, self.apart = shown, apart

    def to_html(self) -> str:
        counts = ", ".join(f"{n} {v}" for v, n in Counter(r.verdict for r in self.apart).items())
        closed = (
            f'<details class="record-list"><summary>{len(self.apart)} more records ({counts}) '
            f"— open to list them</summary>{records_table(self.apart).to_html()}</details>"
            if self.apart
            else ""
        )
        return records_table(self.shown).to_html() + closed

    def _repr_html_(self) -> str:
        return self.to_html()


def what_reproduced(records: list[Record] | None = None, apart: tuple[str, ...] = ()):
    """The table that ends a chapter: every record this notebook wrote, by verdict; the
    records whose verdict is in ``apart`` (e.g. ``"not comparable"``) behind a closed
    ``<details>`` after it (:class:`RecordsApart`)."""
    recs = SESSION if records is None else records
    order = {v: i for i, v in enumerate(VERDICTS)}
    ordered = sorted(recs, key=lambda r: (order[r.verdict], r.id))
    if not apart:
        return records_table(ordered)
    return RecordsApart(
        [r for r in ordered if r.verdict not in apart], [r for r in ordered if r.verdict in apart]
    )


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
