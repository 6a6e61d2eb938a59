"""Settings shared by the two pages of the Gu & Borovykh chapter: the pairs, the straight
paths and NEB (:class:`ConnectSettings`), and the spaces (:class:`Spaces`). Each page's
own class (:class:`~connectivity.pages.gu2023.table1.Table1Settings`,
:class:`~connectivity.pages.gu2023.decoders_and_paths.DecodersAndPathsSettings`) extends
:class:`ConnectSettings`, so the second page reuses the first page's cached runs.

The paper's values are the defaults (``paper`` profile), smaller scales are named
overrides. Where the paper does not state a value (pivot count, NEB optimiser and
steps, points on the straight path), the default is this book's choice for the
paper's scale and the field's doc says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.neb import NEBConfig
from connectivity.settings import Settings, param


@dataclass(frozen=True)
class Spaces:
    """Where the paths are drawn: names of the model's stages (``"input"``: pixels); for
    a reader's checkpoint (Table 1's ``checkpoint``), module paths of its network, the
    space being that module's output.

    Defaults are torchvision ResNet50's (the paper's model): ``layer1`` is the first
    residual stage (the paper's "first hidden layer", 256 x 56 x 56 at 224 x 224
    inputs), ``flatten`` the pooled 2,048-d features (its "last layer").
    ``last_stage`` is beyond the paper: the last residual stage before pooling, where
    the class regions need not be convex."""

    original: str = "input"
    intermediate: str = "layer1"
    last: str = "flatten"
    last_stage: str = "layer4"

    def as_dict(self) -> dict[str, str]:
        return {
            "original": self.original,
            "intermediate": self.intermediate,
            "last": self.last,
            "last_stage": self.last_stage,
        }


# the ci model is the small CIFAR ResNet of the classifiers chapter (named stages)
_CI_SPACES = {"original": "input", "intermediate": "stage1", "last": "pool", "last_stage": "stage4"}
_CI_NEB = {"n_pivots": 12, "steps": 100}
_SMOKE_NEB = {"n_pivots": 4, "steps": 4}


@dataclass(frozen=True)
class ConnectSettings(Settings):
    """Pairs, straight paths and NEB: shared by both pages of the chapter."""

    classifier_changes: dict = param(
        {}, doc="changes to the shared CIFAR-10 ResNet's training settings (TrainConfig fields)"
    )
    n_pairs: int = param(25, lo=2, hi=10_000, doc="same-class test pairs per draw (Table 1: 25)")
    n_linear: int = param(
        1000,
        lo=2,
        hi=100_000,
        doc="points checked on the straight path, and at least as many on a NEB band "
        "(not in the paper)",
    )
    spaces: Spaces = param(
        Spaces(),
        doc="the model's stages that define the spaces (a reader's checkpoint: module paths)",
    )
    neb: NEBConfig = param(
        NEBConfig(n_pivots=20, steps=500, lr=0.01, spring=1.0, optimizer="adam", climbing=False),
        doc="NEB: pivots, iterations, step, spring, optimiser, climbing image (not in the paper)",
    )
    check_every: int = param(1, lo=1, doc="NEB iterations between checks of the band's class")

    OVERRIDES = {
        "ci": {"n_linear": 200, "spaces": _CI_SPACES, "neb": _CI_NEB},
        "smoke": {"n_pairs": 4, "n_linear": 20, "neb": _SMOKE_NEB},
        "smoke-paper": {"n_pairs": 3, "n_linear": 12, "neb": _SMOKE_NEB},
    }
