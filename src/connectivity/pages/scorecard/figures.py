"""The scorecard page's tables, drawn from a :class:`~.study.ScorecardStudy`.

The page opens with one compact table per chapter (:func:`paper_summary`: the paper's
claims and headline numbers with their verdicts, a section's many numbers counted in
one row), then every record (:func:`chapter_table`, long texts collapsed), which
:func:`verdict_filter` filters by verdict (pure HTML and CSS); ``book/records.js`` adds a
search box and sortable headers to every record table of the book.
"""

from __future__ import annotations

import html
import re
from collections import Counter

from connectivity.prose import (
    VERDICT_COLOURS,
    collapsed,
    format_value,
    full_width,
    record_href,
    records_table,
    verdict_styler,
)
from connectivity.scorecard import VERDICTS, Record
from connectivity.timings import timing_frame

from .study import ScorecardStudy

# a section with more comparisons of one kind than this is one row of the summary
MAX_LISTED = 5
COMPARED = ("quantitative", "qualitative")
SUMMARY_COLUMNS = {"claim": 52, "paper": 14, "this book": 14, "verdict": 20}


def _slug(verdict: str) -> str:
    return verdict.replace(" ", "-")


def _chips(counts: Counter) -> str:
    """Verdict counts as coloured chips, in the order of :data:`VERDICTS`."""
    return " ".join(
        f'<span class="verdict-chip" style="background-color:{VERDICT_COLOURS[v]};'
        f' padding: 0 0.3em; white-space: nowrap">{counts[v]} {v}</span>'
        for v in VERDICTS
        if counts[v]
    )


def counts_table(study: ScorecardStudy):
    """Records per verdict (rows, coloured as in the record tables) and chapter
    (columns, then all chapters): narrow enough for the page at 1280 px."""
    frame = study.counts.T
    frame.index.name = "verdict"
    return (
        frame.style.map_index(
            lambda v: f"background-color:{VERDICT_COLOURS.get(v, '')}", axis="index"
        )
        .set_table_styles(
            [
                {"selector": "", "props": "font-size: 0.85em"},
                {"selector": "th", "props": "white-space: normal"},
            ]
        )
        .set_table_attributes('class="scorecard-counts"')
    )


def _summary_rows(records: list[Record]) -> list[dict]:
    groups: dict[tuple, list[Record]] = {}
    for r in sorted(records, key=lambda r: r.notebook):
        key = (r.notebook, r.section, r.kind) if r.kind in COMPARED else ("", "", "other")
        groups.setdefault(key, []).append(r)
    rows = []
    for (_, section, kind), group in groups.items():
        if kind == "other" or len(group) > MAX_LISTED:
            what = (
                "not compared with a paper (checks, measurements, context)"
                if kind == "other"
                else f'<a href="{record_href(group[0])}">{html.escape(section)}</a>: '
                f"{len(group)} {'numbers' if kind == 'quantitative' else 'claims'} compared"
            )
            counts = Counter(r.verdict for r in group)
            rows.append({"claim": what, "paper": "", "this book": "", "verdict": _chips(counts)})
            continue
        rows += [
            {
                "claim": f'<a href="{record_href(r)}" title="{r.id}">{r.description}</a>',
                "paper": format_value(r.paper, r.unit),
                "this book": format_value(r.reproduced, r.unit),
                "verdict": r.verdict,
            }
            for r in group
        ]
    others = [row for row in rows if row["claim"].startswith("not compared")]
    return [row for row in rows if row not in others] + others


def paper_summary(study: ScorecardStudy, chapter: str):
    """One screen for ``chapter``: each claim compared with the paper and its numbers
    (paper, this book, verdict), linked to the section that computes it; a section with
    more than :data:`MAX_LISTED` comparisons of one kind is one row counting their
    verdicts, and so are the records not compared with a paper (last row)."""
    import pandas as pd

    frame = pd.DataFrame(_summary_rows(study.chapters[chapter]), columns=list(SUMMARY_COLUMNS))
    styler = verdict_styler(frame)
    cells = {"selector": "td, th", "props": "white-space: normal; vertical-align: top"}
    text = {"selector": "td.col0, td.col3", "props": "text-align: left"}
    styler = styler.set_table_styles([*full_width(SUMMARY_COLUMNS, "0.85em", 1.35), cells, text])
    return styler.set_table_attributes('class="scorecard-table scorecard-summary"')


class VerdictFilter:
    """Tick boxes, one per verdict of the build, that show or hide the rows of every
    record table on the page (``table.records-table``) by their verdict cell's class:
    a ``<style>`` of ``:has()`` rules, no script. Shown in HTML only."""

    def __init__(self, counts: Counter):
        self.counts = counts

    def __repr__(self) -> str:
        return "Show: " + ", ".join(f"{v} ({n})" for v, n in self.counts.items())

    def _repr_html_(self) -> str:
        boxes, rules = [], []
        for v in VERDICTS:
            if not self.counts[v]:
                continue
            box = f"show-verdict-{_slug(v)}"
            boxes.append(
                f'<label style="background-color:{VERDICT_COLOURS[v]}; padding: 0.1em 0.4em;'
                f' margin-right: 0.4em; white-space: nowrap"><input type="checkbox" id="{box}"'
                f" checked> {v} ({self.counts[v]})</label>"
            )
            rules.append(
                f"article:has(#{box}:not(:checked)) table.records-table"
                f" tr:has(td.verdict-{_slug(v)}) {{ display: none; }}"
            )
        return (
            f"<style>{' '.join(rules)}</style>"
            f'<div class="verdict-filter"><b>Show:</b> {" ".join(boxes)}</div>'
        )


def verdict_filter(study: ScorecardStudy) -> VerdictFilter:
    """The page's filter of the record tables by verdict (see :class:`VerdictFilter`)."""
    return VerdictFilter(Counter(r.verdict for r in study.records))


class ClosedTable:
    """A long record table behind a closed ``<details>`` whose summary counts its rows by
    verdict: the page's headline tables stay in view, every record a click away. The
    styler's attributes (``data``, ``to_html``) pass through."""

    def __init__(self, styler, records: list[Record], what: str):
        self.styler = styler
        self.summary = f"{len(records)} {what} {_chips(Counter(r.verdict for r in records))}"

    def __getattr__(self, name: str):
        return getattr(self.styler, name)

    def _repr_html_(self) -> str:
        return (
            f'<details class="record-list"><summary>{self.summary} — open to list '
            f"them</summary>{self.styler.to_html()}</details>"
        )


def chapter_table(study: ScorecardStudy, chapter: str) -> ClosedTable:
    """The records of ``chapter`` (as :data:`connectivity.scorecard.CHAPTERS` names it),
    each claim linked to the section that computes it, long texts collapsed; the table
    closed behind its counts (:class:`ClosedTable`)."""
    records = study.chapters[chapter]
    return ClosedTable(records_table(records, link=True), records, "records")


def readers_table(study: ScorecardStudy):
    """One row per reader's classifier of this build (a page's ``checkpoint``): its file,
    sha256 (shortened, whole in the tooltip), architecture, test accuracy measured here,
    the notebooks that ran it and their records; "none" where no reader's ran."""
    import pandas as pd

    columns = ["classifier", "sha256", "architecture", "test accuracy", "notebooks", "records"]
    rows: dict[tuple, dict] = {}
    for r in study.readers:
        who = r.reader
        row = rows.setdefault(
            (who.get("sha256"), who.get("architecture")),
            {
                "classifier": html.escape(str(who.get("file", ""))),
                "sha256": f'<span title="{who.get("sha256", "")}">'
                f"{str(who.get('sha256', ''))[:12]}…</span>",
                "architecture": html.escape(str(who.get("architecture", ""))),
                "test accuracy": format_value(who.get("test_accuracy")),
                "notebooks": set(),
                "records": 0,
            },
        )
        row["notebooks"].add(r.notebook)
        row["records"] += 1
    for row in rows.values():
        row["notebooks"] = ", ".join(sorted(row["notebooks"]))
    frame = pd.DataFrame(list(rows.values()), columns=columns)
    if frame.empty:
        frame = pd.DataFrame([["none in this build", "", "", "", "", 0]], columns=columns)
    return frame.style.hide(axis="index").set_table_attributes('class="scorecard-table"')


def reader_records_table(study: ScorecardStudy):
    """The records of readers' classifiers, each claim linked to the section that
    computes it: measurements and the paper's values beside them, no verdict; closed
    behind its counts (:class:`ClosedTable`)."""
    records = study.readers
    return ClosedTable(
        records_table(records, link=True), records, "records of readers' classifiers"
    )


def _short_commit(commits: str) -> str:
    """Each commit of a cell as its first 10 hex digits (``+dirty`` kept), the full
    hashes in the cell's tooltip."""
    short = ", ".join(
        re.sub(r"\b([0-9a-f]{10})[0-9a-f]{30}\b", r"\1", c) for c in commits.split(", ")
    )
    return f'<span title="{html.escape(commits)}">{html.escape(short)}</span>'


def _data_cell(data: str) -> str:
    """The data sources collapsed behind the names of the splits' data sets."""
    names = sorted({part.split("/")[0].strip() for part in data.split(";") if ":" in part})
    return collapsed(data, summary=", ".join(names)) if names else html.escape(data)


def provenance_table(study: ScorecardStudy):
    """What computed each notebook's records: profile, commit, device, kernels, data; at
    the page's width, each commit shortened (the full hash in its tooltip) and the data
    folders collapsed behind the data sets' names, so no column is a word a line."""
    frame = study.provenance.copy()
    frame["commit"] = frame["commit"].map(_short_commit)
    frame["data"] = frame["data"].map(_data_cell)
    shares = [27, 10, 17, 9, 13, 24]  # notebook, profile, commit, device, kernels, data
    return frame.style.set_table_styles(
        [
            {"selector": "", "props": "table-layout: fixed; width: 100%; font-size: 0.8em"},
            {"selector": "th", "props": "white-space: normal"},
            {"selector": "td", "props": "white-space: normal; overflow-wrap: anywhere"},
            *[
                {"selector": f"thead tr:first-child th:nth-child({i})", "props": f"width: {w}%"}
                for i, w in enumerate(shares, start=1)
            ],
        ]
    )


def changes_table(study: ScorecardStudy):
    """The verdicts that differ from the reference build's (``None`` when there are none
    or this build is not of the ci profile: the sentence above says which)."""
    if study.changes is None or study.changes.empty:
        return None
    return study.changes.style.hide(axis="index")


def timing_table(study: ScorecardStudy):
    """Wall time of each notebook in the last full run, then ``--only`` reruns apart: a
    styled table whose labels wrap (the run's start time is long), so it fits the page."""
    return (
        timing_frame(study.timings)
        .style.format(precision=1)
        .set_table_styles(
            [
                {"selector": "", "props": "font-size: 0.85em"},
                {"selector": "th", "props": "white-space: normal"},
            ]
        )
    )
