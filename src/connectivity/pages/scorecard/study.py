"""What the scorecard page gathers: every record of this build and the notebooks' times.

:func:`run` collects the records the book's notebooks wrote
(:func:`connectivity.scorecard.collect`, which also writes ``_build/scorecard.json``),
groups them by chapter, counts them per chapter and verdict, and reads the runner's
timing table. No sentences or tables here (``report``, ``figures``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from connectivity import scorecard
from connectivity.locations import repo_root
from connectivity.scorecard import Record
from connectivity.timings import load_timings
from connectivity.verdict_guard import EXPECTED_VERDICTS, load_expected, verdict_differences

from .settings import ScorecardSettings


@dataclass
class ScorecardStudy:
    """The build's records (sorted by id), the same by chapter (in book order), their
    counts per chapter and verdict (:func:`connectivity.scorecard.verdict_counts`), and
    the runner's timings (:func:`connectivity.timings.load_timings`)."""

    settings: ScorecardSettings
    records: list[Record]
    chapters: dict[str, list[Record]]
    counts: pd.DataFrame
    timings: dict
    # per notebook: the profile, commit, device, kernels and data its records carry
    provenance: pd.DataFrame
    # each verdict that differs from the reference ci build's (book/expected_verdicts.yml),
    # with what computed it; None when this build is not of the ci profile
    changes: pd.DataFrame | None
    # the records of readers' classifiers (a page's ``checkpoint``): listed apart, in none
    # of the counts above (connectivity.scorecard.reader_classifier)
    readers: list[Record] = field(default_factory=list)


PROVENANCE_FIELDS = ("profile", "commit", "device", "kernels", "data")
CHANGE_COLUMNS = ["record", "notebook", "reference build", "this build", "device", "kernels"]


def provenance_frame(records: list[Record], order: list[str] | None = None) -> pd.DataFrame:
    """One row per notebook (in ``order``, the book's): each provenance field's values
    over its records."""
    rows = {}
    for rec in records:
        row = rows.setdefault(rec.notebook, {f: set() for f in PROVENANCE_FIELDS})
        for f in PROVENANCE_FIELDS:
            value = rec.provenance.get(f, "not recorded")
            if f == "data":
                value = "; ".join(f"{k}: {v}" for k, v in value.items()) if value else "none"
            row[f].add(str(value))
    frame = pd.DataFrame(
        [
            {"notebook": nb, **{f: ", ".join(sorted(v)) for f, v in r.items()}}
            for nb, r in rows.items()
        ],
        columns=["notebook", *PROVENANCE_FIELDS],
    )
    rank = {nb: i for i, nb in enumerate(order or [])}
    frame = frame.sort_values("notebook", key=lambda s: s.map(lambda nb: rank.get(nb, len(rank))))
    return frame.set_index("notebook")


def verdict_changes(records: list[Record], expected: dict) -> pd.DataFrame:
    """The records whose verdict differs from the reference build's (new and missing
    records included, :func:`connectivity.verdict_guard.verdict_differences`), with the
    device and kernels that computed them."""
    notebooks = sorted({r.notebook for r in records} | set(expected))
    rows = []
    for d in verdict_differences(records, expected, notebooks):
        rec = d.record
        rows.append(
            [
                d.id,
                d.notebook,
                d.expected or "(no such record)",
                rec.verdict if rec else "(not written)",
                rec.provenance.get("device", "not recorded") if rec else "",
                rec.provenance.get("kernels", "not recorded") if rec else "",
            ]
        )
    return pd.DataFrame(rows, columns=CHANGE_COLUMNS)


def run(settings: ScorecardSettings) -> ScorecardStudy:
    """Every record of this build, grouped and counted, the notebooks' times, what
    computed the records, and how their verdicts compare with the reference build's; the
    records of readers' classifiers apart (:func:`connectivity.scorecard.reader_records`)."""
    every = scorecard.collect()
    records = scorecard.book_records(every)
    chapters = scorecard.by_chapter(records)
    counts = scorecard.verdict_counts(records)
    changes = None
    if settings.profile == "ci":  # the reference verdicts are the ci profile's
        expected = load_expected(repo_root() / EXPECTED_VERDICTS)
        changes = verdict_changes(every, expected)
    return ScorecardStudy(
        settings,
        records,
        chapters,
        counts,
        load_timings(),
        provenance_frame(every, scorecard.book_notebooks()),
        changes,
        scorecard.reader_records(every),
    )
