"""Lancione §1, the question (notebook ``lancione/01_question``): does a latent space keep
each digit in one piece? A VAE on all ten digits and the report's Fig. 1 rebuilt: a grid
of images decoded from its 2-D latent space, read by the chapter's digit judge, and the
connected regions of each digit there; beyond the report, the regions each digit's
encoded test images occupy.

* :mod:`.settings`: :class:`QuestionSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`QuestionStudy`, everything computed);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: the
  records of ``records(study)``, by short name, and the values ``sentences`` glued);
* :mod:`.figures`: the page's figures and tables.
"""

from .figures import decoded_figure, decoded_regions_table, latent_figure, loss_table, regions_table
from .report import report
from .settings import QuestionSettings, RegionGrid
from .study import DecodedGrid, QuestionStudy, run

__all__ = [
    "DecodedGrid",
    "QuestionSettings",
    "QuestionStudy",
    "RegionGrid",
    "decoded_figure",
    "decoded_regions_table",
    "latent_figure",
    "loss_table",
    "regions_table",
    "report",
    "run",
]
