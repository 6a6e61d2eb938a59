"""Vrabel et al. (2024) §4.1 (Figs. 1–3): barriers on the straight path between two real
modes of a class, and how the bypass removes them; the page
``notebooks/vrabel2024/01_bypass.py``.

Two test (ImageNet: validation) images of a class with a very low cross-entropy are
modes A and C. The straight path between them rises to a barrier at B; Adam moves B
within the hyperplane orthogonal to AC to B', and A → B' → C replaces the straight path,
round after round while a segment stays above the threshold. Beyond the paper, the
first pairs are also connected by NEB (the Gu & Borovykh chapter's test):

* :mod:`.settings`: :class:`BypassSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`BypassStudy`: the mode pairs, the
  bypass rounds, the barrier heights, the three lenses);
* :mod:`.report`: :func:`report` (study -> ``prose.PageReport`` of the page's
  :class:`BypassRecords` and every glued sentence, glued); here ``report`` is that
  function: import the module's others by its full name
  (``from connectivity.pages.vrabel2024.bypass.report import records, sentences``);
* :mod:`.figures`: the page's figures (``plot_*``) and tables (``*_table``).

The algorithm itself is :mod:`connectivity.bypass` (a different module: import it by
its full name).

>>> from connectivity.pages.vrabel2024 import bypass as page  # doctest: +SKIP
>>> study = page.run(page.BypassSettings.resolve("smoke"))   # doctest: +SKIP
>>> out = page.report(study)  # .records, .glued            # doctest: +SKIP
"""

from .figures import lens_table, pairs_table, plot_fig3, plot_paths
from .report import BypassRecords, report
from .settings import BypassSettings
from .study import BypassStudy, Lenses, ModePairs, draw_mode_pairs, fig3_pattern, run

__all__ = [
    "BypassRecords",
    "BypassSettings",
    "BypassStudy",
    "Lenses",
    "ModePairs",
    "draw_mode_pairs",
    "fig3_pattern",
    "lens_table",
    "pairs_table",
    "plot_fig3",
    "plot_paths",
    "report",
    "run",
]
