"""Lancione §3, results (notebook ``lancione/03_results``): silhouettes over many
trainings, how much a latent layout depends on the seed (the report's Figs. 3-4), and
the survey of all 45 digit pairs.

* :mod:`.settings`: :class:`ResultsSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`ResultsStudy`, everything computed);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: the
  records of ``records(study)``, by short name, and the values ``sentences`` glued);
* :mod:`.figures`: the page's figures and tables.
"""

from .figures import (
    collapsed_table,
    layouts_figure,
    layouts_table,
    saturation_figure,
    silhouette_figure,
    silhouette_table,
    survey_figure,
    survey_table,
)
from .report import report
from .settings import ResultsSettings
from .study import LayoutPair, ResultsStudy, run

__all__ = [
    "LayoutPair",
    "ResultsSettings",
    "ResultsStudy",
    "collapsed_table",
    "layouts_figure",
    "layouts_table",
    "report",
    "run",
    "saturation_figure",
    "silhouette_figure",
    "silhouette_table",
    "survey_figure",
    "survey_table",
]
