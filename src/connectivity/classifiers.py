"""The shared classifiers: the settings of the classifiers chapter, and the one way
every chapter gets its trained model (:func:`shared_classifier`).

The paper defaults are the papers' models (ResNet50 fine-tuned from ImageNet for
Gu & Borovykh, VGG-16 for the detection benchmark of Harder et al. 2021); the
``ci`` profile trains small networks from scratch on 2 CPU cores.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Literal

from .settings import ParameterError, Settings, merge_config, param
from .training import TrainConfig, TrainedModel, train_classifier

ModelKey = Literal["cifar10_resnet", "cifar10_vgg", "cifar100_vgg"]
MODEL_KEYS: tuple[str, ...] = ("cifar10_resnet", "cifar10_vgg", "cifar100_vgg")

_SMOKE_MODEL = {"epochs": 1, "train_subset": 256, "batch_size": 64}


@dataclass(frozen=True)
class ClassifierSettings(Settings):
    """Training settings of the three shared models (see the classifiers chapter)."""

    # Gu & Borovykh: ImageNet ResNet50 fine-tuned on CIFAR-10 with Adam (inputs resized to 224)
    cifar10_resnet: TrainConfig = param(
        TrainConfig(
            dataset="cifar10",
            arch="resnet50",
            arch_kwargs={"pretrained": True, "resize": 224},
            epochs=3,
            batch_size=64,
            optimizer="adam",
            lr=1e-4,
            weight_decay=0.0,
            schedule="constant",
            augment=True,
            seed=0,
        ),
        doc="CIFAR-10 ResNet (Gu & Borovykh; Vrabel et al. §4.1–4.2 on CIFAR)",
    )
    # Harder et al. 2021: VGG-16 (BN), SGD lr 0.1, 50 epochs
    cifar10_vgg: TrainConfig = param(
        TrainConfig(
            dataset="cifar10",
            arch="cifar_vgg16_bn",
            arch_kwargs={"width": 1.0},
            epochs=50,
            batch_size=128,
            optimizer="sgd",
            lr=0.1,
            weight_decay=5e-4,
            schedule="step",
            augment=True,
            seed=0,
        ),
        doc="CIFAR-10 VGG-16-BN (detection benchmark)",
    )
    cifar100_vgg: TrainConfig = param(
        TrainConfig(
            dataset="cifar100",
            arch="cifar_vgg16_bn",
            arch_kwargs={"width": 1.0},
            epochs=50,
            batch_size=128,
            optimizer="sgd",
            lr=0.1,
            weight_decay=5e-4,
            schedule="step",
            augment=True,
            seed=0,
        ),
        doc="CIFAR-100 VGG-16-BN (detection benchmark)",
    )
    n_examples: int = param(16, lo=1, hi=100, doc="sample images shown per data set")

    OVERRIDES = {
        "ci": {
            "cifar10_resnet": {
                "arch": "cifar_resnet",
                "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 16},
                "epochs": 5,
                "batch_size": 128,
                "optimizer": "sgd",
                "lr": 0.2,
                "weight_decay": 5e-4,
                "schedule": "onecycle",
            },
            "cifar10_vgg": {"arch_kwargs": {"width": 0.25}, "epochs": 3, "schedule": "onecycle"},
            "cifar100_vgg": {"arch_kwargs": {"width": 0.25}, "epochs": 3, "schedule": "onecycle"},
        },
        "smoke": {
            "cifar10_resnet": {**_SMOKE_MODEL, "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 4}},
            "cifar10_vgg": {**_SMOKE_MODEL, "arch_kwargs": {"width": 0.0625}},
            "cifar100_vgg": {**_SMOKE_MODEL, "arch_kwargs": {"width": 0.0625}},
            "n_examples": 4,
        },
        "smoke-paper": {
            # the papers' architectures at random weights, one tiny epoch
            "cifar10_resnet": {**_SMOKE_MODEL, "arch_kwargs": {"pretrained": False, "resize": 32}},
            "cifar10_vgg": {**_SMOKE_MODEL, "schedule": "constant"},
            "cifar100_vgg": {**_SMOKE_MODEL, "schedule": "constant"},
            "n_examples": 4,
        },
    }


def classifier_config(
    profile: str, key: str = "cifar10_resnet", changes: dict | None = None
) -> TrainConfig:
    """The training settings of shared model ``key`` under ``profile``, with ``changes``
    (a partial dict of :class:`~connectivity.training.TrainConfig` fields) applied."""
    if key not in MODEL_KEYS:
        raise ParameterError(
            f"unknown shared classifier {key!r}; choose one of {', '.join(MODEL_KEYS)}"
        )
    cfg = getattr(ClassifierSettings.resolve(profile), key)
    return merge_config("classifier", cfg, changes) if changes else cfg


def shared_classifier(
    profile: str, key: str = "cifar10_resnet", changes: dict | None = None
) -> TrainedModel:
    """The classifiers chapter's model ``key`` for ``profile``: trained once, then
    loaded from the cache by every chapter."""
    return train_classifier(classifier_config(profile, key, changes))


def configs(settings: ClassifierSettings) -> dict[str, TrainConfig]:
    return {key: getattr(settings, key) for key in MODEL_KEYS}


__all__ = [
    "ClassifierSettings",
    "MODEL_KEYS",
    "classifier_config",
    "configs",
    "dataclasses",
    "shared_classifier",
]
