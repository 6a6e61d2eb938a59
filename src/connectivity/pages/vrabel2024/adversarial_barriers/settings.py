"""Settings of the §4.2 page (notebook ``vrabel2024/05_adversarial_barriers``): the
network, the pairs per class, the targeted attack, the bypass rounds of Fig. 5 and the
bootstrap; defaults are the paper's (ImageNet, GoogLeNet). A reader's classifier
(``checkpoint``) replaces the network and its data set's test split the images; the page
works in the input space, so an opaque program (TorchScript, torch.export) is accepted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connectivity.attacks import TargetedAttackConfig, UntargetedConfig
from connectivity.bypass import BypassConfig
from connectivity.settings import ParameterError, Settings, param

from ...readers import CHECKPOINT_DOC, check_input_space_checkpoint


@dataclass(frozen=True)
class AdversarialBarriersSettings(Settings):
    """Settings of the §4.2 page; defaults are the paper's (ImageNet, GoogLeNet)."""

    model: Literal["imagenet_googlenet", "cifar10_resnet"] = param(
        "imagenet_googlenet", doc="the network: the paper's GoogLeNet or the book's CIFAR ResNet"
    )
    pretrained: bool = param(True, doc="ImageNet weights for GoogLeNet (the paper's model)")
    classes: int = param(1000, lo=2, hi=1000, doc="classes used (the first ones)")
    pairs_per_class: int = param(7, lo=2, hi=500, doc="pairs per class and branch")
    drop_per_class: int = param(
        2, lo=0, hi=499, doc="pairs per class dropped: largest endpoint-loss difference"
    )
    path_steps: int = param(250, lo=3, hi=100_000, doc="points on each straight path")
    seed: int = param(0, lo=0, doc="seed of the image shuffle and the source classes")
    attack: TargetedAttackConfig = param(
        TargetedAttackConfig(), doc="the targeted attack (lr, iterations, λ_mse, λ_hf)"
    )
    bypass: BypassConfig = param(
        BypassConfig(max_rounds=5), doc="bypass settings of the Fig. 5 rounds (§4.1's)"
    )
    bypass_pairs: int = param(
        50, lo=1, hi=10_000, doc="pairs per branch taken through bypass rounds"
    )
    n_boot: int = param(2000, lo=100, hi=100_000, doc="bootstrap resamples")
    checkpoint: dict | None = param(None, doc=CHECKPOINT_DOC + " (model is then not used)")
    # §4.2.1's claim on the barriers of the benchmark's untargeted attacks (issue 36)
    barrier_attack_images: int = param(
        100, lo=0, hi=100_000, doc="correctly classified images attacked by the five attacks"
    )
    barrier_attacks: UntargetedConfig = param(
        UntargetedConfig(), doc="the five untargeted attacks (the benchmark's settings)"
    )

    OVERRIDES = {
        "ci": {
            "model": "cifar10_resnet",
            "pretrained": False,
            "classes": 10,
            "pairs_per_class": 21,
            "drop_per_class": 6,
            "bypass": {"max_rounds": 3, "n_linear": 250, "per_segment": 100},
            "bypass_pairs": 12,
            "barrier_attacks": {"cw_steps": 50},
        },
        "smoke": {
            "pairs_per_class": 3,
            "drop_per_class": 1,
            "path_steps": 20,
            "attack": {"iterations": 40},
            "bypass": {"iterations": 8, "max_rounds": 2, "n_linear": 20, "per_segment": 10},
            "bypass_pairs": 3,
            "n_boot": 200,
            "barrier_attack_images": 8,
            "barrier_attacks": {"cw_steps": 5, "cw_binary_search_steps": 2, "deepfool_steps": 5},
        },
        "smoke-paper": {
            "pretrained": False,
            "classes": 3,
            "pairs_per_class": 2,
            "drop_per_class": 0,
            "path_steps": 5,
            "attack": {"iterations": 3, "min_iterations": 1},
            "bypass": {"iterations": 2, "max_rounds": 1, "n_linear": 5, "per_segment": 4},
            "bypass_pairs": 2,
            "n_boot": 100,
            "barrier_attack_images": 3,
            "barrier_attacks": {"cw_steps": 2, "cw_binary_search_steps": 1, "deepfool_steps": 2},
        },
    }

    def validate(self) -> None:
        if self.drop_per_class >= self.pairs_per_class - 1:
            raise ParameterError("drop_per_class must leave at least two pairs per class")
        if self.checkpoint is not None:
            check_input_space_checkpoint(self.checkpoint, self.classes)
        elif self.model == "cifar10_resnet" and self.classes > 10:
            raise ParameterError("CIFAR-10 has 10 classes")
