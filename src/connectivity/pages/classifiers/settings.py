"""The classifiers page's settings (notebook ``classifiers``): the shared classifiers'
recipes (:class:`~connectivity.shared_classifiers.SharedClassifierSettings`, whose values
name the committed models) and what the page shows of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import param
from connectivity.shared_classifiers import SharedClassifierSettings

_RECIPES = SharedClassifierSettings.OVERRIDES
_FEW_EXAMPLES = {"n_examples": 4}


@dataclass(frozen=True)
class ClassifiersSettings(SharedClassifierSettings):
    """The recipes of the three shared models, and the sample images shown."""

    n_examples: int = param(16, lo=1, hi=100, doc="sample images shown per data set")

    OVERRIDES = {
        **_RECIPES,
        "smoke": {**_RECIPES["smoke"], **_FEW_EXAMPLES},
        "smoke-paper": {**_RECIPES["smoke-paper"], **_FEW_EXAMPLES},
    }
