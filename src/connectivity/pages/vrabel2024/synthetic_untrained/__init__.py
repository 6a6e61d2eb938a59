"""Vrabel et al. (2024) §4.3 (Fig. 7: synthetic modes of a trained network) and §4.4
(Fig. 8: modes of an untrained network); the page
``notebooks/vrabel2024/02_synthetic_untrained.py``.

§4.3: per class, pairs of a natural-looking and a high-frequency class-optimal input of
the trained network, optimised from noise and joined by the bypass of §4.1; the paper
finds them connected after one round. §4.4: pairs of optimal inputs of a randomly
initialised network, joined by rounds of free barrier optimisation; the paper finds them
connected after two rounds. Both claims are about the barriers left once a primary one
is bypassed: each is tested on the pairs whose inputs are modes and whose straight path
has a barrier above the path threshold (pairs connected at round 0 are counted, not
tested), and fails when fewer are than the test needs:

* :mod:`.settings`: :class:`SyntheticUntrainedSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`SyntheticUntrainedStudy`, which holds the two
  studies: :func:`run_synthetic` -> :class:`SyntheticStudy`, then :func:`run_untrained`
  -> :class:`UntrainedStudy`);
* :mod:`.report`: :func:`report` (study -> ``prose.PageReport`` of the page's
  :class:`SyntheticUntrainedRecords` and every glued sentence, glued); here ``report`` is
  that function: import the module's others by its full name
  (``from connectivity.pages.vrabel2024.synthetic_untrained.report import records,
  sentences``);
* :mod:`.figures`: the page's figures (``plot_*``) and table (``untrained_table``).

>>> from connectivity.pages.vrabel2024 import synthetic_untrained as page  # doctest: +SKIP
>>> study = page.run(page.SyntheticUntrainedSettings.resolve("smoke"))   # doctest: +SKIP
>>> out = page.report(study)  # .records, .glued                           # doctest: +SKIP
>>> fig = page.plot_synthetic_modes(study.synthetic)                       # doctest: +SKIP
"""

from .figures import (
    plot_synthetic_modes,
    plot_synthetic_paths,
    plot_untrained_paths,
    untrained_table,
)
from .report import SyntheticUntrainedRecords, report
from .settings import SyntheticUntrainedSettings
from .study import (
    SyntheticStudy,
    SyntheticUntrainedStudy,
    UntrainedStudy,
    run,
    run_synthetic,
    run_untrained,
    untrained_network,
)

__all__ = [
    "SyntheticUntrainedRecords",
    "SyntheticUntrainedSettings",
    "SyntheticUntrainedStudy",
    "SyntheticStudy",
    "UntrainedStudy",
    "plot_synthetic_modes",
    "plot_synthetic_paths",
    "plot_untrained_paths",
    "report",
    "run",
    "run_synthetic",
    "run_untrained",
    "untrained_network",
    "untrained_table",
]
