"""Lancione §5, the proposed future work, done (notebook ``lancione/04_future_work``):
the wrong-reconstruction metric over all digit pairs (and with it the report's hard pairs
and its two conclusions of no difference, tested), and the silhouette across latent
dimensions.

* :mod:`.settings`: :class:`FutureWorkSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`FutureWorkStudy`, everything computed);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: the
  records of ``records(study)``, by short name, and the values ``sentences`` glued);
* :mod:`.figures`: the page's figures and tables.
"""

from .figures import failure_table, sweep_figure, sweep_table, wrong_figure, wrong_table
from .report import report
from .settings import FutureWorkSettings
from .study import FirstAttempt, FutureWorkStudy, SweepRow, run

__all__ = [
    "FirstAttempt",
    "FutureWorkSettings",
    "FutureWorkStudy",
    "SweepRow",
    "failure_table",
    "report",
    "run",
    "sweep_figure",
    "sweep_table",
    "wrong_figure",
    "wrong_table",
]
