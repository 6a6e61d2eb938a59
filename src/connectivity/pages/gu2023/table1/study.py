"""What the Table 1 page computes: every pair draw in every space, and the depth sweep.

:func:`run` is four steps: the shared classifier (:func:`.connect.load_classifier`), or
a reader's (``settings.checkpoint``: :func:`.connect.load_reader`, checked before any
work),
:func:`connect_spaces` (every draw of ``settings.pair_seeds`` in the spaces of
``settings.spaces``: the straight path, then NEB where it fails; cached by
:func:`..connect.connect_in_layer`), :func:`depth_sweep` (the first draw at every
stage of ``settings.depth_layers``) and :func:`latent_shapes`; :func:`neb_outcomes`
tabulates what NEB did. No records, sentences or figures here (``report``, ``figures``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

from connectivity.caching import cached
from connectivity.data import Dataset, load_dataset
from connectivity.models import model_device, split_model
from connectivity.neb import connect_pairs
from connectivity.training import TrainedModel

from ..connect import LayerRun, ReaderModel, connect, load_classifier, load_reader, stage
from .settings import Table1Settings

KINDS = ("linear", "nonlinear", "none")
COMPARED = ("original", "intermediate")  # spaces whose counts and claims meet the paper's
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
class Rerun:
    """The pairs of one draw (``draw``: its seed) in one space that NEB left unconnected
    at the profile's budget ``first_budget`` (pivots, iterations), run again at
    ``budget``: ``index`` their numbers in the draw, ``classes`` their classes,
    ``connected`` whether the rerun joined each, ``iterations`` when (-1: never, so it
    ran all ``budget[1]``). ``ran`` is False where ``budget`` is the profile's own (the
    first run already had it): then nothing is rerun and nothing connected."""

    space: str
    draw: int
    index: list[int]
    classes: list[int]
    first_budget: tuple[int, int]
    budget: tuple[int, int]
    connected: list[bool]
    iterations: list[int]
    ran: bool

    @property
    def unconnected(self) -> list[tuple[int, int, int]]:
        """(draw, pair, class) of the pairs still unconnected after the rerun."""
        return [
            (self.draw, i, c)
            for i, c, ok in zip(self.index, self.classes, self.connected)
            if not ok
        ]


@dataclass
class Table1Study:
    """Every run of the page: ``runs[space]`` one :class:`LayerRun` per pair draw (in
    ``settings.pair_seeds`` order), ``depth`` one per ``settings.depth_layers`` (first
    draw), ``shapes`` the latent shape per space and depth layer, ``neb`` one row per
    pair NEB ran on (:func:`neb_outcomes`), ``reruns[space]`` one :class:`Rerun` per draw
    of each compared space (:data:`COMPARED`)."""

    settings: Table1Settings
    runs: dict[str, list[LayerRun]]
    depth: list[LayerRun]
    shapes: dict[str, tuple[int, ...]]
    classes: list[str]
    test_accuracy: float
    model_name: str
    neb: pd.DataFrame
    reruns: dict[str, list[Rerun]] = field(default_factory=dict)
    # whose classifier, where a reader's checkpoint ran (ReaderModel.who): file, sha256,
    # architecture, data set, test accuracy measured here; None for the book's own
    reader: dict | None = None

    def unconnected(self, space: str) -> list[tuple[int, int, int]]:
        """(draw, pair, class) of every pair of a compared space joined by neither path
        after the rerun at ``settings.rerun_budget``."""
        return [u for r in self.reruns[space] for u in r.unconnected]

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
    """Every pair draw in every space, and the depth sweep (cached runs), with the
    book's shared classifier or, given ``settings.checkpoint``, the reader's."""
    if settings.checkpoint is None:
        trained: TrainedModel | ReaderModel = load_classifier(settings)
        test = load_dataset("cifar10", "test")
        accuracy, name, reader = trained.test_accuracy, trained.config.arch, None
    else:
        layers = [*settings.spaces.as_dict().values(), *settings.depth_layers]
        trained, test = load_reader(settings, layers)
        reader = trained.who()
        accuracy, name = trained.test_accuracy, trained.reader.architecture
    runs = connect_spaces(settings, trained, test)
    reruns = {
        s: [rerun_unconnected(settings, trained, test, s, r) for r in runs[s]] for s in COMPARED
    }
    depth = depth_sweep(settings, trained, test)
    shapes = latent_shapes(settings, trained, test.x[:1])
    return Table1Study(
        settings,
        runs,
        depth,
        shapes,
        test.classes,
        accuracy,
        name,
        neb_outcomes(settings, runs),
        reruns,
        reader,
    )


def connect_spaces(
    settings: Table1Settings, trained: TrainedModel | ReaderModel, test: Dataset
) -> dict[str, list[LayerRun]]:
    """Every pair draw (``settings.pair_seeds``) in every space of ``settings.spaces``."""
    return {
        s: [connect(settings, trained, test, layer, seed) for seed in settings.pair_seeds]
        for s, layer in settings.spaces.as_dict().items()
    }


def rerun_unconnected(
    settings: Table1Settings,
    trained: TrainedModel | ReaderModel,
    test: Dataset,
    space: str,
    run: LayerRun,
) -> Rerun:
    """The pairs of ``run`` that NEB left unconnected (outcome ``none``), run again from
    the straight segment with ``settings.rerun_budget`` pivots and iterations (the rest of
    ``settings.neb`` kept); cached by every setting. Free where there is no such pair, and
    not rerun where the budget is the profile's own."""
    neb = settings.neb
    first, budget = (neb.n_pivots, neb.steps), tuple(settings.rerun_budget)
    index = [i for i, c in enumerate(run.connection.category) if c == "none"]
    classes = [int(run.target[i]) for i in index]
    ran = bool(index) and budget != first
    outcome = {"connected": [False] * len(index), "iterations": [-1] * len(index)}
    if ran:
        again = dataclasses.replace(neb, n_pivots=budget[0], steps=budget[1])
        model = trained.model
        pairs = run.pairs[index]

        def compute():
            head, tail = split_model(model, run.layer)
            device = model_device(model)
            with torch.no_grad():
                z1 = head(test.x[pairs[:, 0]].to(device))
                z2 = head(test.x[pairs[:, 1]].to(device))
            conn = connect_pairs(
                tail,
                z1,
                z2,
                run.target[index],
                settings.n_linear,
                again,
                settings.check_every,
                desc=f"NEB rerun {run.layer}",
            )
            return {
                "connected": [c != "none" for c in conn.category],
                "iterations": [int(k) for k in conn.iterations.tolist()],
            }

        params = {
            "model": trained.path,
            "data": [test.name, test.split, len(test)],
            "layer": run.layer,
            "pair_seed": run.pair_seed,
            "pairs": pairs.tolist(),
            "n_linear": settings.n_linear,
            "neb": dataclasses.asdict(again),
            "check_every": settings.check_every,
            "version": 1,
        }
        outcome = cached("gu2023-rerun", params, compute)
    return Rerun(
        space,
        run.pair_seed,
        index,
        classes,
        first,
        budget,
        outcome["connected"],
        outcome["iterations"],
        ran,
    )


def depth_sweep(
    settings: Table1Settings, trained: TrainedModel | ReaderModel, test: Dataset
) -> list[LayerRun]:
    """The first pair draw at every stage of ``settings.depth_layers``."""
    seed = settings.pair_seeds[0]
    return [connect(settings, trained, test, layer, seed) for layer in settings.depth_layers]


def latent_shape(model: torch.nn.Module, layer: str, x: torch.Tensor) -> tuple[int, ...]:
    """Shape of one point of the space after ``layer`` for inputs like ``x`` (1, C, H, W)."""
    head, _ = split_model(model, layer)
    with torch.no_grad():
        return tuple(head(x.to(model_device(model))).shape[1:])


def latent_shapes(
    settings: Table1Settings, trained: TrainedModel | ReaderModel, x: torch.Tensor
) -> dict[str, tuple[int, ...]]:
    """The shape of one point per space (by space name) and per depth layer (by layer)."""
    spaces, model = settings.spaces.as_dict(), trained.model
    return {
        **{s: latent_shape(model, stage(trained, layer), x) for s, layer in spaces.items()},
        **{layer: latent_shape(model, stage(trained, layer), x) for layer in settings.depth_layers},
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
