"""The steps both Gu & Borovykh pages start from: the shared classifier and the cached
pair runs (:func:`connectivity.neb.connect_in_layer`) with the chapter's settings, so
that the second page reuses the first page's runs."""

from __future__ import annotations

from connectivity.data import Dataset
from connectivity.neb import LayerRun, connect_in_layer
from connectivity.shared_classifiers import shared_classifier
from connectivity.training import TrainedModel

from .settings_common import ConnectSettings


def load_classifier(settings: ConnectSettings) -> TrainedModel:
    """The classifiers chapter's CIFAR-10 ResNet for ``settings.profile`` (with
    ``settings.classifier_changes``), its model in eval mode."""
    trained = shared_classifier(
        settings.profile, "cifar10_resnet", settings.classifier_changes or None
    )
    trained.model.eval()
    return trained


def connect(
    settings: ConnectSettings, trained: TrainedModel, test: Dataset, layer: str, seed: int
) -> LayerRun:
    """The pair draw ``seed`` of ``test`` connected in the space after ``layer`` (cached)."""
    return connect_in_layer(
        trained.model,
        trained.path,
        test,
        layer,
        seed,
        n_pairs=settings.n_pairs,
        n_linear=settings.n_linear,
        neb=settings.neb,
        check_every=settings.check_every,
    )


def nonlinear_pairs(run: LayerRun) -> list[int]:
    """Indices of the pairs of ``run`` that are only nonlinearly connected."""
    return [i for i, c in enumerate(run.connection.category) if c == "nonlinear"]
