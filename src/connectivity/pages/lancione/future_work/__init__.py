"""Lancione §5, the proposed future work, done (notebook ``lancione/04_future_work``):
the wrong-reconstruction metric over all digit pairs, and the silhouette across latent
dimensions.

* :mod:`.settings`: :class:`FutureWorkSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`FutureWorkStudy`, everything computed);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: the
  records of ``records(study)``, by short name, and the values ``sentences`` glued);
* :mod:`.figures`: the page's figures and tables.
"""

from .figures import sweep_figure, sweep_table, wrong_figure, wrong_table
from .report import report
from .settings import FutureWorkSettings
from .study import FutureWorkStudy, SweepRow, run

__all__ = [
    "FutureWorkSettings",
    "FutureWorkStudy",
    "SweepRow",
    "report",
    "run",
    "sweep_figure",
    "sweep_table",
    "wrong_figure",
    "wrong_table",
]
