"""Settings of the Gu & Borovykh chapter: one class per notebook, the paper's values as
defaults (``paper`` profile), smaller scales as named overrides.

Where the paper does not state a value (pivot count, NEB optimiser and steps, points
on the straight path), the default is this book's choice for the paper's scale and
the field's doc says so. Both notebooks share the pair and path settings
(:class:`ConnectSettings`), so the second page reuses the first page's cached runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.decoders import IntermediateDecoderConfig, LastDecoderConfig
from connectivity.neb import NEBConfig
from connectivity.settings import ParameterError, Settings, param


@dataclass(frozen=True)
class Spaces:
    """Where the paths are drawn: names of the model's stages (``"input"``: pixels).

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
    spaces: Spaces = param(Spaces(), doc="the model's stages that define the spaces")
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


@dataclass(frozen=True)
class Table1Settings(ConnectSettings):
    """§3-4, Table 1: linear, nonlinear or no same-class path, per space."""

    pair_seeds: list[int] = param(
        [0, 1, 2],
        lo=0,
        doc="seeds of the pair draws (the paper draws one set; several measure the spread)",
    )
    depth_layers: list[str] = param(
        ["input", "maxpool", "layer1", "layer2", "layer3", "layer4", "flatten"],
        doc="every stage of the depth sweep (beyond the paper; first pair draw)",
    )

    OVERRIDES = {
        "ci": {
            **ConnectSettings.OVERRIDES["ci"],
            "depth_layers": ["input", "stem", "stage1", "stage2", "stage3", "stage4", "pool"],
        },
        "smoke": {
            **ConnectSettings.OVERRIDES["smoke"],
            "pair_seeds": [0, 1],
            "depth_layers": ["input", "stage2", "pool"],
        },
        "smoke-paper": {
            **ConnectSettings.OVERRIDES["smoke-paper"],
            "pair_seeds": [0, 1],
            "depth_layers": ["input", "layer2", "flatten"],
        },
    }

    def validate(self) -> None:
        if len(self.pair_seeds) < 2 or len(set(self.pair_seeds)) != len(self.pair_seeds):
            raise ParameterError(
                f"pair_seeds: at least two different draws (their spread is the tolerance), "
                f"got {self.pair_seeds}"
            )


@dataclass(frozen=True)
class PathsSettings(ConnectSettings):
    """§4, App. A, Figs. 2-3: decoders and the paths shown."""

    pair_seed: int = param(0, lo=0, doc="the pair draw shown (the first of the Table 1 page)")
    decoder_train_images: int = param(
        50_000, lo=10, hi=50_000, doc="training images of the decoders"
    )
    decoder_test_images: int = param(1000, lo=10, hi=10_000, doc="test images of their MSE")
    intermediate_decoder: IntermediateDecoderConfig = param(
        IntermediateDecoderConfig(image_size=64),
        doc="Table 2 decoder and its training (Table 4); image_size 64 is Table 2's output",
    )
    last_decoder: LastDecoderConfig = param(
        LastDecoderConfig(), doc="Table 3 decoder and its training (Table 4)"
    )
    strip_points: int = param(10, lo=3, hi=16, doc="images shown per path")
    n_examples: int = param(8, lo=1, hi=16, doc="test images shown decoded")

    OVERRIDES = {
        "ci": {
            **ConnectSettings.OVERRIDES["ci"],
            "decoder_train_images": 5000,
            "intermediate_decoder": {"width": 16, "blocks": 1, "image_size": 0, "epochs": 2},
            "last_decoder": {"widths": [64, 64, 32, 32], "blocks": 1, "epochs": 3},
            "strip_points": 8,
        },
        "smoke": {
            **ConnectSettings.OVERRIDES["smoke"],
            "decoder_train_images": 64,
            "decoder_test_images": 32,
            "intermediate_decoder": {"width": 4, "epochs": 1, "batch_size": 16},
            "last_decoder": {"widths": [4], "epochs": 1, "batch_size": 16},
            "strip_points": 4,
            "n_examples": 4,
        },
        "smoke-paper": {
            **ConnectSettings.OVERRIDES["smoke-paper"],
            "decoder_train_images": 32,
            "decoder_test_images": 16,
            "intermediate_decoder": {
                "width": 4,
                "blocks": 1,
                "image_size": 0,
                "epochs": 1,
                "batch_size": 16,
            },
            "last_decoder": {"widths": [4], "blocks": 1, "epochs": 1, "batch_size": 16},
            "strip_points": 4,
            "n_examples": 4,
        },
    }
