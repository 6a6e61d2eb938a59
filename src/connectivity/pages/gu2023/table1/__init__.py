"""Gu & Borovykh (2023) §3-4, Table 1: linear, nonlinear or no same-class path, per
space; the page ``notebooks/gu2023/01_table1.py``.

Two test images of the same class, both classified correctly, are linearly connected
in a space if every point of the straight segment between them is classified as their
class; if not, NEB searches a path that is. The page counts both outcomes for several
draws of pairs in the original space, the first hidden layer, the last layer and
(beyond the paper) the last residual stage, and at every stage of the network:

* :mod:`.settings`: :class:`Table1Settings`;
* :mod:`.study`: :func:`run` (settings -> :class:`Table1Study`, every cached run);
* :mod:`.report`: :func:`report` (study -> the scorecard records by short name, with
  the page's sentences glued);
  here ``report`` is that function: import the module's others by its full name
  (``from connectivity.pages.gu2023.table1.report import records, sentences``);
* :mod:`.figures`: the page's figures (``plot_*``) and tables (``*_table``).

>>> from connectivity.pages.gu2023 import table1 as page   # doctest: +SKIP
>>> study = page.run(page.Table1Settings.resolve("smoke"))  # doctest: +SKIP
>>> records = page.report(study)                            # doctest: +SKIP
"""

from .figures import (
    count_table,
    depth_table,
    neb_summary_table,
    plot_depth,
    plot_linear_loss,
    plot_neb,
    shape_table,
)
from .report import report, sign_test
from .settings import Table1Settings
from .study import Table1Study, run

__all__ = [
    "Table1Settings",
    "Table1Study",
    "count_table",
    "depth_table",
    "neb_summary_table",
    "plot_depth",
    "plot_linear_loss",
    "plot_neb",
    "report",
    "run",
    "shape_table",
    "sign_test",
]
