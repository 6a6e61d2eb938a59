"""Vrabel et al. (2024) §4.2 (Figs. 4–6): barriers between real images, and between a
real image and an adversarial example of its class; the page
``notebooks/vrabel2024/05_adversarial_barriers.py``.

For every class, pairs of its images form the real–real branch; in the real–adversarial
branch the first image of each pair is paired with an adversarial made from an image of
another class by a targeted attack towards the pair's class. The page compares the
barriers on the straight paths of the two branches (Fig. 6) and takes a few pairs of
each through repeated bypass rounds (Fig. 5):

* :mod:`.settings`: :class:`AdversarialBarriersSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`AdversarialBarriersStudy`: the pairs, the cached
  attack, the barrier statistics per branch, the bypass rounds);
* :mod:`.report`: :func:`report` (study -> ``prose.PageReport`` of the records,
  :func:`~.report.records` -> :class:`AdversarialBarriersRecords`, and the sentences,
  :func:`~.report.sentences`, glued);
  here ``report`` is that function: import the module's others by its full name
  (``from connectivity.pages.vrabel2024.adversarial_barriers.report import records``);
* :mod:`.figures`: the page's figures (``plot_*``) and table (``summary_table``).

The network and images are :mod:`..networks`' (shared with the §4.1 page).

>>> from connectivity.pages.vrabel2024 import adversarial_barriers as page  # doctest: +SKIP
>>> study = page.run(page.AdversarialBarriersSettings.resolve("smoke"))             # doctest: +SKIP
>>> page.report(study).records.higher["max"].verdict                            # doctest: +SKIP
"""

from .figures import plot_bypass, plot_example, plot_statistics, summary_table
from .report import AdversarialBarriersRecords, comparable_scale, report
from .settings import AdversarialBarriersSettings
from .study import (
    BRANCHES,
    AdversarialBarriersStudy,
    BypassRun,
    Pairs,
    draw_pairs,
    drop_unbalanced,
    run,
    straight_path_statistics,
)

__all__ = [
    "BRANCHES",
    "AdversarialBarriersSettings",
    "AdversarialBarriersRecords",
    "AdversarialBarriersStudy",
    "BypassRun",
    "Pairs",
    "comparable_scale",
    "draw_pairs",
    "drop_unbalanced",
    "plot_bypass",
    "plot_example",
    "plot_statistics",
    "report",
    "run",
    "straight_path_statistics",
    "summary_table",
]
