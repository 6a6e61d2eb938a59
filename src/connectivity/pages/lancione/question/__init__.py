"""Lancione §1, the question (notebook ``lancione/01_question``): does a latent space keep
each digit in one piece? A VAE on all ten digits (the report's Fig. 1), and how many
regions each digit occupies in its 2-D latent space.

* :mod:`.settings`: :class:`QuestionSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`QuestionStudy`, everything computed);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: the
  records of ``records(study)``, by short name, and the values ``sentences`` glued);
* :mod:`.figures`: the page's figure and tables.
"""

from .figures import latent_figure, loss_table, regions_table
from .report import report
from .settings import QuestionSettings, RegionGrid
from .study import QuestionStudy, run

__all__ = [
    "QuestionSettings",
    "QuestionStudy",
    "RegionGrid",
    "latent_figure",
    "loss_table",
    "regions_table",
    "report",
    "run",
]
