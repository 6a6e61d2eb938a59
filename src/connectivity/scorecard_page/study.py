"""What the scorecard page gathers: every record of this build and the notebooks' times.

:func:`run` collects the records the book's notebooks wrote
(:func:`connectivity.scorecard.collect`, which also writes ``_build/scorecard.json``),
groups them by chapter, counts them per chapter and verdict, and reads the runner's
timing table. No sentences or tables here (``report``, ``figures``).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from connectivity import scorecard
from connectivity.runner import load_timings
from connectivity.scorecard import Record

from .settings import ScorecardPageSettings


@dataclass
class ScorecardStudy:
    """The build's records (sorted by id), the same by chapter (in book order), their
    counts per chapter and verdict (:func:`connectivity.scorecard.verdict_counts`), and
    the runner's timings (:func:`connectivity.runner.load_timings`)."""

    settings: ScorecardPageSettings
    records: list[Record]
    chapters: dict[str, list[Record]]
    counts: pd.DataFrame
    timings: dict


def run(settings: ScorecardPageSettings) -> ScorecardStudy:
    """Every record of this build, grouped and counted, and the notebooks' times."""
    records = scorecard.collect()
    chapters = scorecard.by_chapter(records)
    counts = scorecard.verdict_counts(records)
    return ScorecardStudy(settings, records, chapters, counts, load_timings())
