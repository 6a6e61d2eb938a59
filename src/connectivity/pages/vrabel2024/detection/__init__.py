"""Vrabel et al. (2024) §4.2.1, Table 1: the mode-connectivity adversarial detector on
the benchmark of Harder et al. (2021); the page ``notebooks/vrabel2024/06_detection.py``.

Correctly classified test images of CIFAR-10 and CIFAR-100 are attacked with the
benchmark's five attacks (FGSM, BIM, PGD, DeepFool, C&W) on the classifiers chapter's
VGG-16-BN. For each image the mode-connectivity detector reads the loss curve of the
straight path to a low-loss reference image of its predicted class and the sorted
logits (a KNN); five baselines (LID, Mahalanobis, InputMFS, LayerMFS, LayerPFS) read the
input or the ReLU outputs. Each is scored as the benchmark does (accuracy and AUC on its
20 % test split; with ``cross_validate``, on five such folds that test every pair once)
and laid beside the paper's Table 1:

* :mod:`.settings`: :class:`DetectionSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`DetectionStudy`: per data set the
  attacks, every detector's scores, the ablation and the paired tests of the claims);
* :mod:`.report`: :func:`report` (study -> ``prose.PageReport`` of the scorecard records
  of :mod:`.records`, a :class:`~.records.DetectionRecords`, and the sentences of
  :mod:`.sentences`, glued);
  the tolerances and tests are in :mod:`.tolerances`;
* :mod:`.figures`: the page's figures (``plot_*``) and tables (``*_table``).

The detectors themselves are the top-level package :mod:`connectivity.detection`.

>>> from connectivity.pages.vrabel2024 import detection as page    # doctest: +SKIP
>>> study = page.run(page.DetectionSettings.resolve("smoke"))       # doctest: +SKIP
>>> report = page.report(study)                                     # doctest: +SKIP
>>> page.table1_table(study, "cifar10")                             # doctest: +SKIP
"""

from .figures import (
    ablation_table,
    attack_table,
    cost_table,
    mahalanobis_rows_table,
    plot_examples,
    plot_loss_curves,
    plot_roc,
    table1_table,
)
from .records import DetectionRecords, cell_tolerances
from .report import report
from .settings import DetectionSettings
from .study import AttackSummary, DatasetRun, DetectionStudy, run

__all__ = [
    "AttackSummary",
    "DatasetRun",
    "DetectionRecords",
    "DetectionSettings",
    "DetectionStudy",
    "ablation_table",
    "attack_table",
    "cell_tolerances",
    "cost_table",
    "mahalanobis_rows_table",
    "plot_examples",
    "plot_loss_curves",
    "plot_roc",
    "report",
    "run",
    "table1_table",
]
