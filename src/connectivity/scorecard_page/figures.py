"""The scorecard page's tables, drawn from a :class:`~.study.ScorecardStudy`."""

from __future__ import annotations

from connectivity.prose import records_table
from connectivity.runner import timing_frame

from .study import ScorecardStudy


def counts_table(study: ScorecardStudy):
    """Records per chapter and verdict, with a row for all chapters."""
    return study.counts


def chapter_table(study: ScorecardStudy, chapter: str):
    """The records of ``chapter`` (as :data:`connectivity.scorecard.CHAPTERS` names it),
    each claim linked to the section that computes it."""
    return records_table(study.chapters[chapter], link=True)


def timing_table(study: ScorecardStudy):
    """Wall time of each notebook in the last full run, then ``--only`` reruns apart."""
    return timing_frame(study.timings)
