"""The "Your classifier" page (``notebooks/your_classifier.py``): how a reader runs a
page of the book on their own classifier. The profile's shared CIFAR-10 ResNet (the
committed one in ``ci``) is saved to a file as a reader saves theirs, and Gu & Borovykh's
Table 1 runs on that file through its ``checkpoint`` parameter, for one pair draw.

* :mod:`.settings`: :class:`YourClassifierSettings`;
* :mod:`.study`: :func:`run` (settings -> :class:`YourClassifierStudy`: the saved file,
  the checks' output and Table 1's study on it);
* :mod:`.report`: :func:`report` (study -> Table 1's records, a reader's, and the page's
  sentences, glued);
* :mod:`.figures`: the parameter as a table, the checks as text.

>>> from connectivity.pages import your_classifier as page                 # doctest: +SKIP
>>> study = page.run(page.YourClassifierSettings.resolve("smoke"))        # doctest: +SKIP
>>> records = page.report(study)                                          # doctest: +SKIP
"""

from .figures import checkpoint_table, checks_text
from .report import report
from .settings import YourClassifierSettings
from .study import YourClassifierStudy, run

__all__ = [
    "YourClassifierSettings",
    "YourClassifierStudy",
    "checkpoint_table",
    "checks_text",
    "report",
    "run",
]
