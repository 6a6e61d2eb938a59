"""Gu & Borovykh (2023) §4 and App. A: the decoders and the paths of Figs. 2-3; the page
``notebooks/gu2023/02_decoders_and_paths.py``.

A path in a latent space cannot be looked at, so the paper trains decoders that map
latents back to images (App. A, Tables 2-4) and shows, for pairs that are only
nonlinearly connected, the images and the softmax along the straight path and along
the NEB path. The page uses the Table 1 page's first pair draw (the same cached runs):

* :mod:`.settings`: :class:`DecodersAndPathsSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`DecodersAndPathsStudy`: the decoders, decoded
  examples and the strips of Figs. 2-3);
* :mod:`.report`: :func:`report` (study -> the scorecard records by short name, with
  the page's sentences glued);
  here ``report`` is that function: import the module's others by its full name
  (``from connectivity.pages.gu2023.decoders_and_paths.report import records, sentences``);
* :mod:`.figures`: the page's figures (``plot_*``).

>>> from connectivity.pages.gu2023 import decoders_and_paths as page  # doctest: +SKIP
>>> study = page.run(page.DecodersAndPathsSettings.resolve("smoke"))              # doctest: +SKIP
>>> records = page.report(study)                                       # doctest: +SKIP
"""

from .figures import plot_examples, plot_strips
from .report import report
from .settings import DecodersAndPathsSettings
from .study import DecodersAndPathsStudy, Strip, run

__all__ = [
    "DecodersAndPathsSettings",
    "DecodersAndPathsStudy",
    "Strip",
    "plot_examples",
    "plot_strips",
    "report",
    "run",
]
