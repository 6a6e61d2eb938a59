"""Lancione §2, methods (notebook ``lancione/02_methods``): the data, the three models
(PCA as a linear autoencoder, the autoencoder, the denoising autoencoder), the linear
autoencoder against PCA, tanh against ReLU, and the denoising autoencoder's
reconstructions (the report's Fig. 2).

* :mod:`.settings`: :class:`MethodsSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`MethodsStudy`, everything computed);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`: the
  records of ``records(study)``, by short name, and the values ``sentences`` glued);
* :mod:`.figures`: the page's figures and tables.
"""

from .figures import (
    activation_figure,
    activation_table,
    angles_table,
    curves_figure,
    pixel_table,
    reconstructions_figure,
    subsets_table,
)
from .report import report
from .settings import MethodsSettings
from .study import ActivationRun, LinearVsPCA, MethodsStudy, PixelSilhouettes, run

__all__ = [
    "ActivationRun",
    "LinearVsPCA",
    "MethodsSettings",
    "MethodsStudy",
    "PixelSilhouettes",
    "activation_figure",
    "activation_table",
    "angles_table",
    "curves_figure",
    "pixel_table",
    "reconstructions_figure",
    "report",
    "run",
    "subsets_table",
]
