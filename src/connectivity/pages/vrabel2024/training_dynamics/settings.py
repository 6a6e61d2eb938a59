"""Settings of the App. D.1 page (notebook ``vrabel2024/03_training_dynamics``): the
network followed and its training, the batch and epoch snapshots, and the optimal inputs
made at each. Defaults are the paper's."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import ParameterError, Settings, param
from connectivity.synthesis import SynthesisConfig
from connectivity.training import TrainConfig

CIFAR10_TRAIN_IMAGES = 50_000


@dataclass(frozen=True)
class TrainingDynamicsSettings(Settings):
    """Settings of the App. D.1 page; defaults are the paper's."""

    model: TrainConfig = param(
        TrainConfig(
            dataset="cifar10",
            arch="resnet18",
            arch_kwargs={},
            epochs=30,
            batch_size=512,
            optimizer="adam",
            lr=1e-3,
            weight_decay=0.0,
            schedule="constant",
            augment=True,
            seed=0,
        ),
        doc="the network followed and its training (ResNet-18, Adam 1e-3, batch 512)",
    )
    batches: list[int] = param(list(range(31)), lo=0, doc="snapshots after these batches")
    epochs: list[int] = param(list(range(1, 31)), lo=1, doc="and after these epochs")
    classes: int = param(10, lo=2, hi=10, doc="classes whose optimal inputs are made (0, 1, …)")
    pairs_per_class: int = param(5, lo=1, hi=100, doc="pairs of optimal inputs per class")
    points: int = param(200, lo=3, hi=100_000, doc="points on each straight path")
    synthesis: SynthesisConfig = param(
        SynthesisConfig(threshold=5e-3), doc="optimal inputs (§4.4's, threshold 5e-3)"
    )
    tv: float = param(2.5e-7, lo=0.0, doc="TV weight on one input of each pair")

    OVERRIDES = {
        "ci": {
            # not ResNet-18 (the paper's and the official script's, kept by `paper`): one
            # synthesis iteration on the ci batch (10 inputs) measured 0.052 s of CPU time
            # (one thread, median of five) on torchvision's ResNet-18 against 0.017 s on
            # this network, a ratio of 3.1 (2.2x the FLOPs: 0.22 against 0.097 GFLOP per
            # input, forward and backward); at the official quick size (3 classes, 6
            # inputs) 0.039 s, 2.3x. ResNet-18 at ci would take about 21 min of synthesis
            # (6 snapshots x 4,096 iterations x 0.052 s), 16 min at the quick size,
            # against ~7 min here (0.017 s): it does not fit the ci budget.
            "model": {
                "arch": "cifar_resnet",
                "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 16},
                "epochs": 3,
                "train_subset": 10_240,
            },
            # 10,240 images in batches of 512: 20 batches an epoch, so the batch
            # snapshots stop at 15 (the paper's 0-30 all fall inside its first epoch).
            # Three, the fewest a trend needs: each costs the synthesis's full 4,096
            # iterations (some input never reaches the threshold), ~75 s on 2 EPYC cores
            "batches": [0, 10, 15],
            "epochs": [1, 2, 3],
            # fewer pairs, not fewer iterations: one pair for each of five classes, with
            # the paper's 4,096 synthesis iterations (threshold 5e-3)
            "classes": 5,
            "pairs_per_class": 1,
        },
        "smoke": {
            "model": {
                "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 4},
                "epochs": 2,
                "train_subset": 512,
                "batch_size": 128,
            },
            "batches": [0, 1, 2, 3],
            "epochs": [1, 2],
            "points": 20,
            "synthesis": {"iterations": 10},
        },
        "smoke-paper": {
            "model": {"epochs": 1, "train_subset": 128, "batch_size": 64},
            "batches": [0, 1],
            "epochs": [1],
            "pairs_per_class": 1,
            "points": 5,
            "synthesis": {"iterations": 2},
        },
    }

    @property
    def training_images(self) -> int:
        """CIFAR-10 training images per epoch: the subset, or all of them."""
        return self.model.train_subset or CIFAR10_TRAIN_IMAGES

    def validate(self) -> None:
        if not self.batches or not self.epochs:
            raise ParameterError("batches and epochs need at least one snapshot each")
        if any(e > self.model.epochs for e in self.epochs):
            raise ParameterError("epoch snapshots beyond the training's epochs")
        if len(set(self.batches)) != len(self.batches) or len(set(self.epochs)) != len(self.epochs):
            raise ParameterError("snapshot lists must not repeat")
        per_epoch = max(1, self.training_images // self.model.batch_size)
        if max(self.batches) >= per_epoch:
            raise ParameterError(
                f"batch snapshots must fall inside the first epoch ({per_epoch} batches of "
                f"{self.model.batch_size}); got batch {max(self.batches)}, which would repeat "
                "or pass the epoch snapshots"
            )
