"""The book's pages: each notebook's name and the settings class it resolves its
parameters with (``settings = <class>.from_notebook(globals())``), in one place.

The tests read it (every notebook's parameters cell declares exactly its class's
fields, every page runs at toy size), and a test keeps it equal to ``_toc.yml`` and to
the notebooks' own import lines, so a page cannot be added, renamed or moved without it.

>>> settings_class("gu2023/01_table1").__name__
'Table1Settings'
"""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

# where the runner writes the executed notebooks, as _toc.yml names them
EXECUTED = "book/executed/"

# notebook (under notebooks/, without .py) -> "module:SettingsClass"
PAGES: dict[str, str] = {
    "classifiers": "connectivity.pages.classifiers:ClassifiersSettings",
    "lancione/01_question": "connectivity.pages.lancione.question:QuestionSettings",
    "lancione/02_methods": "connectivity.pages.lancione.methods:MethodsSettings",
    "lancione/03_results": "connectivity.pages.lancione.results:ResultsSettings",
    "lancione/04_future_work": "connectivity.pages.lancione.future_work:FutureWorkSettings",
    "gu2023/01_table1": "connectivity.pages.gu2023.table1:Table1Settings",
    "gu2023/02_decoders_and_paths": (
        "connectivity.pages.gu2023.decoders_and_paths:DecodersAndPathsSettings"
    ),
    "vrabel2024/01_bypass": "connectivity.pages.vrabel2024.bypass:BypassSettings",
    "vrabel2024/02_synthetic_untrained": (
        "connectivity.pages.vrabel2024.synthetic_untrained:SyntheticUntrainedSettings"
    ),
    "vrabel2024/03_training_dynamics": (
        "connectivity.pages.vrabel2024.training_dynamics:TrainingDynamicsSettings"
    ),
    "vrabel2024/04_percolation": "connectivity.pages.vrabel2024.percolation:PercolationSettings",
    "vrabel2024/05_adversarial_barriers": (
        "connectivity.pages.vrabel2024.adversarial_barriers:AdversarialBarriersSettings"
    ),
    "vrabel2024/06_detection": "connectivity.pages.vrabel2024.detection:DetectionSettings",
    "your_classifier": "connectivity.pages.your_classifier:YourClassifierSettings",
    "scorecard": "connectivity.pages.scorecard:ScorecardSettings",
    "performance": "connectivity.pages.performance:PerformanceSettings",
}


def settings_class(notebook: str):
    """The settings class of ``notebook`` (a key of :data:`PAGES`)."""
    try:
        module, name = PAGES[notebook].split(":")
    except KeyError:
        raise LookupError(f"{notebook!r} is not a page of the book: {', '.join(PAGES)}") from None
    return getattr(importlib.import_module(module), name)


def toc_notebooks(root: Path) -> list[str]:
    """Names (``gu2023/table1``) of the executed notebooks listed in ``_toc.yml``, in order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    out: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            f = node.get("file") or node.get("root")
            if isinstance(f, str) and f.startswith(EXECUTED):
                out.append(f[len(EXECUTED) :].removesuffix(".ipynb"))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc)
    return out
