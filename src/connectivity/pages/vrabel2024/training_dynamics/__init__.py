"""Vrabel et al. (2024) App. D.1 (Figs. 10–11): how the barrier between two synthetic
optimal inputs changes during training; the page
``notebooks/vrabel2024/03_training_dynamics.py``.

A CIFAR-10 network is trained once (cached) and kept after the first batches and after
each epoch; at every snapshot pairs of optimal inputs per class are optimised from noise
and the loss is measured along the straight path between them. The paper finds that the
barrier falls over the first batches and that its spread over pairs grows over the
epochs. As in the official ``appF1_barrier_evolution.py``, every pair is kept, each input
the best iterate of its synthesis; the pairs whose inputs both reached the threshold are
marked, and the claims are tested on the barrier gap (the barrier above the larger
endpoint loss) with the official barrier height beside:

* :mod:`.settings`: :class:`TrainingDynamicsSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`TrainingDynamicsStudy`, one :class:`Snapshot`
  per batch and epoch snapshot);
* :mod:`.report`: :func:`report` (study -> ``prose.PageReport`` of the page's
  :class:`TrainingDynamicsRecords` and every glued sentence, glued); here ``report`` is
  that function: import the module's others by its full name
  (``from connectivity.pages.vrabel2024.training_dynamics.report import records,
  sentences``);
* :mod:`.figures`: the page's figure (``plot_barrier_evolution``) and table
  (``snapshot_table``).

>>> from connectivity.pages.vrabel2024 import training_dynamics as page  # doctest: +SKIP
>>> study = page.run(page.TrainingDynamicsSettings.resolve("smoke"))             # doctest: +SKIP
>>> out = page.report(study)  # .records, .glued                         # doctest: +SKIP
>>> page.snapshot_table(study)                                           # doctest: +SKIP
"""

from .figures import plot_barrier_evolution, snapshot_table
from .report import TrainingDynamicsRecords, report
from .settings import TrainingDynamicsSettings
from .study import Snapshot, TrainingDynamicsStudy, primary_curves, run

__all__ = [
    "TrainingDynamicsRecords",
    "TrainingDynamicsSettings",
    "TrainingDynamicsStudy",
    "Snapshot",
    "plot_barrier_evolution",
    "primary_curves",
    "report",
    "run",
    "snapshot_table",
]
