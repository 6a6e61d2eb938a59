"""The steps both Gu & Borovykh pages start from: the shared classifier and the cached
pair runs (:func:`connect_in_layer`: NEB, :mod:`connectivity.neb`, between same-class
pairs in a layer's latent space) with the chapter's settings, so that the second page
reuses the first page's runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from connectivity.caching import cached
from connectivity.data import Dataset
from connectivity.input_paths import dataset_logits, same_class_pairs
from connectivity.models import model_device, split_model
from connectivity.neb import Connection, NEBConfig, connect_pairs
from connectivity.shared_classifiers import shared_classifier
from connectivity.training import TrainedModel

from .chapter_settings import ConnectSettings


@dataclass
class LayerRun:
    """:func:`connect_in_layer`'s result: the pairs and their :class:`Connection`."""

    layer: str
    pair_seed: int
    pairs: torch.Tensor  # (P, 2) indices into the data set
    target: torch.Tensor  # (P,) class of each pair
    connection: Connection

    def count(self, kind: str) -> int:
        return self.connection.count(kind)


def connect_in_layer(
    model: torch.nn.Module,
    model_key: str,
    ds,
    layer: str,
    pair_seed: int,
    *,
    n_pairs: int,
    n_linear: int,
    neb: NEBConfig,
    check_every: int = 1,
) -> LayerRun:
    """:func:`connect_pairs` for ``n_pairs`` same-class pairs of ``ds`` (drawn with
    ``pair_seed``, both images classified correctly) in the latent space after
    ``layer`` of ``model`` (on the model's device); cached by every setting."""

    def compute():
        logits = dataset_logits(model, model_key, ds)
        idx, cls, _ = same_class_pairs(model, ds, n_pairs, pair_seed, logits=logits)
        head, tail = split_model(model, layer)
        device = model_device(model)
        with torch.no_grad():
            z1, z2 = head(ds.x[idx[:, 0]].to(device)), head(ds.x[idx[:, 1]].to(device))
        conn = connect_pairs(tail, z1, z2, cls, n_linear, neb, check_every, desc=f"NEB {layer}")
        return LayerRun(layer, pair_seed, idx, cls, conn)

    params = {
        "model": model_key,
        "data": [ds.name, ds.split, len(ds)],
        "layer": layer,
        "pair_seed": pair_seed,
        "n_pairs": n_pairs,
        "n_linear": n_linear,
        "neb": asdict(neb),
        "check_every": check_every,
        "version": 2,
    }
    return cached("gu2023-connect", params, compute)


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
