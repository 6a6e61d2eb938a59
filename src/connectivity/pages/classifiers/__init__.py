"""The classifiers page (``notebooks/classifiers.py``): the shared classifiers presented.

Every later page asks its questions of one of three trained networks: a CIFAR-10 ResNet
(Gu & Borovykh; Vrabel et al. §4.1-4.2) and a CIFAR-10 and a CIFAR-100 VGG-16-BN (the
detection benchmark of Harder et al. 2021). They are trained once (``make models``) and
committed with the book; every page gets them through
:func:`connectivity.shared_classifiers.shared_classifier`, a library below the pages. The
page shows the data, each model's recipe, where its weights come from, its accuracy
against the book's targets, and where the ResNet errs:

* :mod:`.settings`: :class:`ClassifiersSettings` (the shared recipes, whose values name
  the committed models, and the sample images shown);
* :mod:`.study`: :func:`run` (settings -> :class:`ClassifiersStudy`: the models
  evaluated and timed in this build, the ResNet's predictions);
* :mod:`.report`: :func:`report` (study -> :class:`~connectivity.prose.PageReport`:
  the ``check`` records by short name (:func:`records`) and one sentence per model
  (:func:`sentences`), glued); here ``report`` is that function: import the module's
  others by its full name
  (``from connectivity.pages.classifiers.report import records, sentences``);
* :mod:`.figures`: the page's figures (``plot_*``) and tables (``*_table``).

>>> from connectivity.pages import classifiers as page         # doctest: +SKIP
>>> study = page.run(page.ClassifiersSettings.resolve("smoke"))  # doctest: +SKIP
>>> report = page.report(study)                                  # doctest: +SKIP
"""

from .figures import (
    REFERENCE_MODELS,
    config_table,
    data_table,
    plot_accuracy_vs_time,
    plot_confusion,
    plot_examples,
    plot_misclassified,
    provenance_table,
    reference_table,
    summary_table,
)
from .report import report
from .settings import ClassifiersSettings
from .study import ClassifiersStudy, input_gradient_ms, run, train_all

__all__ = [
    "ClassifiersSettings",
    "ClassifiersStudy",
    "REFERENCE_MODELS",
    "config_table",
    "data_table",
    "input_gradient_ms",
    "plot_accuracy_vs_time",
    "plot_confusion",
    "plot_examples",
    "plot_misclassified",
    "provenance_table",
    "reference_table",
    "report",
    "run",
    "summary_table",
    "train_all",
]
