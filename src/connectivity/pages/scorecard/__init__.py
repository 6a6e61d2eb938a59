"""The reproduction scorecard page (``notebooks/scorecard.py``): every record the book's
notebooks wrote in this build, counted per chapter and verdict and listed per chapter,
and the time each notebook took. The records themselves are written and read through
:mod:`connectivity.scorecard`; this page only gathers them.

* :mod:`.settings`: :class:`ScorecardSettings` (no parameters);
* :mod:`.study`: :func:`run` (settings -> :class:`ScorecardStudy`: the records, by
  chapter and counted, and the timings);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: no
  records of its own, the headline numbers and the reference sentence, glued); here
  ``report`` is that function: import the module's others by its full name
  (``from connectivity.pages.scorecard.report import records, sentences``);
* :mod:`.figures`: the page's tables (``*_table``; :func:`paper_summary`, one screen per
  chapter) and :func:`verdict_filter` (tick boxes that filter the record tables).

>>> from connectivity.pages import scorecard as page               # doctest: +SKIP
>>> study = page.run(page.ScorecardSettings.resolve("smoke"))    # doctest: +SKIP
>>> report = page.report(study)                                      # doctest: +SKIP
"""

from .figures import (
    changes_table,
    chapter_table,
    counts_table,
    paper_summary,
    provenance_table,
    reader_records_table,
    readers_table,
    timing_table,
    verdict_filter,
)
from .report import reference_sentence, report
from .settings import ScorecardSettings
from .study import ScorecardStudy, run

__all__ = [
    "ScorecardSettings",
    "ScorecardStudy",
    "changes_table",
    "chapter_table",
    "counts_table",
    "paper_summary",
    "provenance_table",
    "reader_records_table",
    "readers_table",
    "reference_sentence",
    "report",
    "run",
    "timing_table",
    "verdict_filter",
]
