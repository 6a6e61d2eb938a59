"""The Performance page (``notebooks/performance.py``) and ``make bench``
(``python -m connectivity.pages.performance``): the book's hot paths timed against targets.

Every row is a ratio measured in one run on the machine that builds the book (the two
sides minutes apart on the same cores): the batched barrier bypass against a per-pair
loop, an NEB iteration and the straight loss curves against the bare passes they make,
a training step against a matmul, the book's notebook times, and the detectors'
feature costs. No paper value: the page writes no scorecard record.

* :mod:`.settings`: :class:`PerformanceSettings`;
* :mod:`.timing`: :class:`Row` and how a row is timed;
* :mod:`.study`: :func:`run` (settings -> :class:`PerformanceStudy`, every row);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: no
  records, the page's texts, glued); here ``report`` is that function: import the
  module's others by its full name
  (``from connectivity.pages.performance.report import records, sentences``);
* :mod:`.figures`: :func:`rows_table` (the page's table) and :func:`text_table`
  (``make bench``'s);
* ``__main__``: the command, which writes ``_build/bench.json``.

>>> from connectivity.pages import performance as page           # doctest: +SKIP
>>> study = page.run(page.PerformanceSettings.resolve("smoke"))  # doctest: +SKIP
>>> report = page.report(study)                                  # doctest: +SKIP
"""

from .figures import rows_table, text_table
from .report import report, summary
from .settings import PerformanceSettings
from .study import (
    PerformanceStudy,
    bench_bypass,
    bench_detectors,
    bench_loss_curves,
    bench_neb,
    bench_training,
    book_rows,
    run,
)
from .timing import Row, interleaved_median_times, machine, matmul_flops, median_time

__all__ = [
    "PerformanceSettings",
    "PerformanceStudy",
    "Row",
    "bench_bypass",
    "bench_detectors",
    "bench_loss_curves",
    "bench_neb",
    "bench_training",
    "book_rows",
    "interleaved_median_times",
    "machine",
    "matmul_flops",
    "median_time",
    "report",
    "rows_table",
    "run",
    "summary",
    "text_table",
]
