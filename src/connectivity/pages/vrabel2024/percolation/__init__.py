"""Vrabel et al. (2024) §5 with App. A and C: site percolation, its mean field, and
Conjecture 5.1 on random networks; the page ``notebooks/vrabel2024/04_percolation.py``.

Not to be confused with :mod:`connectivity.percolation`, the maths (lattices, the Bethe
lattice, random networks and the search), which this page imports absolutely
(``from connectivity import percolation as perc``).

The page measures the site-percolation threshold on lattices of growing dimension
(App. A, Fig. 9), compares finite lattices with the mean field of the Bethe lattice
(App. C.3) — two textbook facts, so checks of the estimator — and asks whether
ε-similar inputs of a random network are connected more often as the input dimension
grows (Conjecture 5.1):

* :mod:`.settings`: :class:`PercolationSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`PercolationStudy`, with the
  :class:`Conjecture`'s search results);
* :mod:`.report`: :func:`report` (study -> ``prose.PageReport`` of the page's
  :class:`PercolationRecords` and every glued sentence, glued); here ``report`` is that
  function: import the module's others by its full name
  (``from connectivity.pages.vrabel2024.percolation.report import records, sentences``);
* :mod:`.figures`: the page's figures (``plot_*``) and tables (``*_table``).

>>> from connectivity.pages.vrabel2024 import percolation as page  # doctest: +SKIP
>>> study = page.run(page.PercolationSettings.resolve("smoke"))    # doctest: +SKIP
>>> out = page.report(study)  # .records, .glued                   # doctest: +SKIP
>>> page.conjecture_table(study)                                   # doctest: +SKIP
"""

from .figures import (
    conjecture_table,
    pc_table,
    plot_conjecture,
    plot_fig9,
    plot_mean_field,
    plot_thresholds,
)
from .report import PercolationRecords, report
from .settings import PercolationSettings
from .study import Conjecture, PercolationStudy, run

__all__ = [
    "Conjecture",
    "PercolationRecords",
    "PercolationSettings",
    "PercolationStudy",
    "conjecture_table",
    "pc_table",
    "plot_conjecture",
    "plot_fig9",
    "plot_mean_field",
    "plot_thresholds",
    "report",
    "run",
]
