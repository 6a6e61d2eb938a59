"""What the classifiers page computes: the three shared models, evaluated in this build.

:func:`run` is three steps: :func:`train_all` (each model committed, cached or trained
here, then re-evaluated in float32 on its test split), :func:`gradient_costs` (what one
input gradient through each costs the later pages, :func:`input_gradient_ms`) and
:func:`resnet_predictions` (the CIFAR-10 ResNet's predicted class of each image of its
test split, for its confusion matrix and its errors). No records, sentences or figures
here (``report``, ``figures``).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from connectivity.data import Dataset, load_dataset
from connectivity.models import fold_batchnorm, model_device
from connectivity.shared_classifiers import configs
from connectivity.training import (
    TrainedModel,
    evaluate,
    evaluation_split,
    predict,
    train_classifier,
)

from .settings import ClassifiersSettings


@dataclass
class ClassifiersStudy:
    """The page's models and what it measured of them: ``trained[key]`` per
    :data:`~connectivity.shared_classifiers.MODEL_KEYS` (accuracies of this build),
    ``gradient_ms[key]`` the milliseconds of one float32 input gradient per image,
    ``cifar10_test`` the whole CIFAR-10 test split (N, 3, 32, 32), ``resnet_test`` the
    CIFAR-10 ResNet's evaluation split (a subset at ``smoke``) and ``resnet_predicted``
    (len(resnet_test),) the ResNet's predicted class of each of its images."""

    settings: ClassifiersSettings
    trained: dict[str, TrainedModel]
    gradient_ms: dict[str, float]
    cifar10_test: Dataset
    resnet_test: Dataset
    resnet_predicted: torch.Tensor


def run(settings: ClassifiersSettings) -> ClassifiersStudy:
    """The three shared models of ``settings``, evaluated and timed in this build."""
    trained = train_all(settings)
    gradient_ms = gradient_costs(trained)
    cifar10_test = load_dataset("cifar10", "test")
    resnet_test, predicted = resnet_predictions(trained["cifar10_resnet"], cifar10_test)
    return ClassifiersStudy(settings, trained, gradient_ms, cifar10_test, resnet_test, predicted)


def train_all(settings: ClassifiersSettings) -> dict[str, TrainedModel]:
    """The three shared models of ``settings`` (committed, cached, or trained here),
    each re-evaluated in float32 on its test split in this build: ``test_accuracy``,
    ``tta_accuracy`` and ``confident_fraction`` are this build's; the stored values
    stay in the manifest (:func:`~.figures.provenance_table` shows both)."""
    out = {}
    for key, cfg in configs(settings).items():
        trained = train_classifier(cfg)
        ev = evaluate(trained.model, evaluation_split(cfg))
        out[key] = dataclasses.replace(
            trained,
            test_accuracy=ev.accuracy,
            tta_accuracy=ev.tta_accuracy,
            confident_fraction=ev.confident_fraction,
        )
    return out


def input_gradient_ms(model, shape=(3, 32, 32), n: int = 100, repeats: int = 3) -> float:
    """Milliseconds per image of a float32 forward + backward pass to the input through
    ``model`` with its batch norm folded: what a path, bypass, NEB or attack step costs
    the later chapters (batch of ``n``, best of ``repeats``)."""
    folded = fold_batchnorm(model)
    device = model_device(folded)
    x = torch.rand(n, *shape, device=device)
    y = torch.zeros(n, dtype=torch.long, device=device)
    best = float("inf")
    for _ in range(repeats + 1):  # the first run warms up
        t0 = time.perf_counter()
        xi = x.clone().requires_grad_(True)
        torch.autograd.grad(F.cross_entropy(folded(xi), y), xi)
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return 1000 * best / n


def gradient_costs(trained: dict[str, TrainedModel]) -> dict[str, float]:
    """:func:`input_gradient_ms` of each model, by key (in ``trained``'s order)."""
    return {key: input_gradient_ms(t.model) for key, t in trained.items()}


def resnet_predictions(resnet: TrainedModel, cifar10_test: Dataset) -> tuple[Dataset, torch.Tensor]:
    """The ResNet's evaluation split of ``cifar10_test`` (a subset at ``smoke``) and its
    predicted class (N,) of each image there."""
    test = evaluation_split(resnet.config, cifar10_test)
    return test, predict(resnet.model, test.x).argmax(1)
