"""Settings of the §4.1 page (notebook ``vrabel2024/01_bypass``): the network, the mode
pairs, the bypass and the three-lens comparison; defaults are the paper's (GoogLeNet on
ImageNet). A reader's classifier (``checkpoint``) replaces the network and its data set's
test split the images; the page works in its input space, so an opaque program
(TorchScript, torch.export) is accepted too."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connectivity.bypass import BypassConfig
from connectivity.neb import NEBConfig
from connectivity.settings import ParameterError, Settings, param

from ...readers import CHECKPOINT_DOC, check_input_space_checkpoint


@dataclass(frozen=True)
class BypassSettings(Settings):
    """Settings of the §4.1 page; defaults are the paper's (GoogLeNet on ImageNet)."""

    model: Literal["imagenet_googlenet", "cifar10_resnet"] = param(
        "imagenet_googlenet", doc="the network: the paper's GoogLeNet or the book's CIFAR ResNet"
    )
    pretrained: bool = param(True, doc="ImageNet weights for GoogLeNet (the paper's model)")
    classes: int = param(50, lo=1, hi=1000, doc="classes the pairs come from (the first ones)")
    images_per_class: int = param(
        50, lo=2, hi=50, doc="ImageNet validation images read per class (candidate modes)"
    )
    n_pairs: int = param(50, lo=2, hi=10_000, doc="pairs of modes, classes taken in turn")
    mode_max_loss: float = param(
        1e-4, lo=0.0, hi=100.0, doc="a mode's largest cross-entropy (paper: ~1e-4 or lower)"
    )
    seed: int = param(0, lo=0, doc="seed of the pair draw")
    bypass: BypassConfig = param(
        BypassConfig(max_rounds=5),
        doc="bypass: lr, iterations, λ_mse, λ_hf, points, threshold, rounds, coordinates",
    )
    lens_pairs: int = param(25, lo=0, hi=10_000, doc="pairs compared by the three lenses")
    neb: NEBConfig = param(
        NEBConfig(n_pivots=20, steps=500, lr=0.01, spring=1.0, optimizer="adam", climbing=False),
        doc="NEB settings of the three-lens comparison (the Gu & Borovykh chapter's)",
    )
    checkpoint: dict | None = param(None, doc=CHECKPOINT_DOC + " (model is then not used)")

    OVERRIDES = {
        "ci": {
            "model": "cifar10_resnet",
            "pretrained": False,
            "classes": 10,
            # the paper's 50 pairs: with 20, only 4 straight paths needed a bypass, too few
            # for a one-sided test at 5 % (p >= 1/16)
            "mode_max_loss": 0.01,
            "bypass": {"max_rounds": 3},
            "lens_pairs": 10,
            "neb": {"n_pivots": 12, "steps": 100},
        },
        "smoke": {
            "n_pairs": 4,
            "mode_max_loss": 1.0,
            "bypass": {"iterations": 8, "n_linear": 30, "per_segment": 12, "max_rounds": 2},
            "lens_pairs": 2,
            "neb": {"n_pivots": 4, "steps": 4},
        },
        "smoke-paper": {
            "pretrained": False,
            "classes": 3,
            "images_per_class": 4,
            "n_pairs": 2,
            "bypass": {"iterations": 2, "n_linear": 5, "per_segment": 4, "max_rounds": 1},
            "lens_pairs": 1,
            "neb": {"n_pivots": 2, "steps": 2},
        },
    }

    def validate(self) -> None:
        if self.checkpoint is not None:
            check_input_space_checkpoint(self.checkpoint, self.classes)
        elif self.model == "cifar10_resnet" and self.classes > 10:
            raise ParameterError("CIFAR-10 has 10 classes")
        if self.lens_pairs > self.n_pairs:
            raise ParameterError("lens_pairs cannot exceed n_pairs")
