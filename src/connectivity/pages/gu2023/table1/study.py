"""What the Table 1 page computes: every pair draw in every space, and the depth sweep.

:func:`run` is four steps: the shared classifier (:func:`.connect.load_classifier`),
:func:`connect_spaces` (every draw of ``settings.pair_seeds`` in the spaces of
``settings.spaces``: the straight path, then NEB where it fails; cached by
:func:`..connect.connect_in_layer`), :func:`depth_sweep` (the first draw at every
stage of ``settings.depth_layers``) and :func:`latent_shapes`; :func:`neb_outcomes`
tabulates what NEB did. No records, sentences or figures here (``report``, ``figures``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from connectivity.data import Dataset, load_dataset
from connectivity.models import model_device, split_model
from connectivity.training import TrainedModel

from ..connect import LayerRun, connect, load_classifier
from .settings import Table1Settings

KINDS = ("linear", "nonlinear", "none")
KIND_LABELS = {
    "linear": "linear path exists",
    "nonlinear": "nonlinear path exists",
    "none": "no path exists",
}
SPACE_LABELS = {
    "original": "original space",
    "intermediate": "first hidden layer",
    "last": "last layer",
    "last_stage": "last residual stage",
}
NEB_COLUMNS = [
    "space",
    "draw",
    "pair",
    "outcome",
    "iterations",
    "L∞ departure",
    "relative L2 departure",
    "L∞ in Adam steps",
]


@dataclass
class Table1Study:
    """Every run of the page: ``runs[space]`` one :class:`LayerRun` per pair draw (in
    ``settings.pair_seeds`` order), ``depth`` one per ``settings.depth_layers`` (first
    draw), ``shapes`` the latent shape per space and depth layer, ``neb`` one row per
    pair NEB ran on (:func:`neb_outcomes`)."""

    settings: Table1Settings
    runs: dict[str, list[LayerRun]]
    depth: list[LayerRun]
    shapes: dict[str, tuple[int, ...]]
    classes: list[str]
    test_accuracy: float
    model_name: str
    neb: pd.DataFrame

    def counts(self, space: str) -> np.ndarray:
        """(draws, 3) counts of linear / nonlinear / none per pair draw."""
        return np.array([[run.count(k) for k in KINDS] for run in self.runs[space]])

    def depth_counts(self) -> np.ndarray:
        """(stages, 3) counts of linear / nonlinear / none per stage of the depth sweep."""
        return np.array([[run.count(k) for k in KINDS] for run in self.depth])

    def linear(self, space: str) -> np.ndarray:
        """(draws x pairs,) bool: pair linearly connected (same pair order in every space)."""
        return np.concatenate(
            [[c == "linear" for c in r.connection.category] for r in self.runs[space]]
        )


def run(settings: Table1Settings) -> Table1Study:
    """Every pair draw in every space, and the depth sweep (cached runs)."""
    trained = load_classifier(settings)
    test = load_dataset("cifar10", "test")
    runs = connect_spaces(settings, trained, test)
    depth = depth_sweep(settings, trained, test)
    shapes = latent_shapes(settings, trained.model, test.x[:1])
    return Table1Study(
        settings,
        runs,
        depth,
        shapes,
        test.classes,
        trained.test_accuracy,
        trained.config.arch,
        neb_outcomes(settings, runs),
    )


def connect_spaces(
    settings: Table1Settings, trained: TrainedModel, test: Dataset
) -> dict[str, list[LayerRun]]:
    """Every pair draw (``settings.pair_seeds``) in every space of ``settings.spaces``."""
    return {
        s: [connect(settings, trained, test, layer, seed) for seed in settings.pair_seeds]
        for s, layer in settings.spaces.as_dict().items()
    }


def depth_sweep(settings: Table1Settings, trained: TrainedModel, test: Dataset) -> list[LayerRun]:
    """The first pair draw at every stage of ``settings.depth_layers``."""
    seed = settings.pair_seeds[0]
    return [connect(settings, trained, test, layer, seed) for layer in settings.depth_layers]


def latent_shape(model: torch.nn.Module, layer: str, x: torch.Tensor) -> tuple[int, ...]:
    """Shape of one point of the space after ``layer`` for inputs like ``x`` (1, C, H, W)."""
    head, _ = split_model(model, layer)
    with torch.no_grad():
        return tuple(head(x.to(model_device(model))).shape[1:])


def latent_shapes(
    settings: Table1Settings, model: torch.nn.Module, x: torch.Tensor
) -> dict[str, tuple[int, ...]]:
    """The shape of one point per space (by space name) and per depth layer (by layer)."""
    spaces = settings.spaces.as_dict()
    return {
        **{s: latent_shape(model, layer, x) for s, layer in spaces.items()},
        **{layer: latent_shape(model, layer, x) for layer in settings.depth_layers},
    }


def neb_outcomes(settings: Table1Settings, runs: dict[str, list[LayerRun]]) -> pd.DataFrame:
    """One row per pair NEB ran on: space, draw, outcome, iterations, departure from
    the segment (L∞ in the space's units, relative L2) and the L∞ departure in units of
    Adam's per-coordinate step, lr x mean |z2 - z1| (NaN with SGD)."""
    lr = settings.neb.lr if settings.neb.optimizer == "adam" else float("nan")
    rows = []
    for space, space_runs in runs.items():
        for run_ in space_runs:
            c = run_.connection
            for j, p in enumerate(c.neb_index.tolist()):
                band = c.bands[j]
                step = lr * float((band[-1] - band[0]).abs().mean())
                rows.append(
                    {
                        "space": SPACE_LABELS[space],
                        "draw": run_.pair_seed,
                        "pair": p,
                        "outcome": c.category[p],
                        "iterations": int(c.iterations[p]),
                        "L∞ departure": float(c.departure_linf[j]),
                        "relative L2 departure": float(c.departure_rel_l2[j]),
                        "L∞ in Adam steps": float(c.departure_linf[j]) / step,
                    }
                )
    return pd.DataFrame(rows, columns=NEB_COLUMNS)
