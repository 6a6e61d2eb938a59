"""The steps both Gu & Borovykh pages start from: the shared classifier and the cached
pair runs (:func:`connect_in_layer`: NEB, :mod:`connectivity.neb`, between same-class
pairs in a layer's latent space) with the chapter's settings, so that the second page
reuses the first page's runs.

A reader's classifier (Table 1's ``checkpoint``) comes from :func:`load_reader`: checked
by :func:`connectivity.reader_checkpoint.load_classifier`, cut at the named module paths
(:func:`staged_model`) and given the same role as the shared classifier
(:class:`ReaderModel`)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
from torch import nn

from connectivity import reader_checkpoint as rc
from connectivity.caching import cached
from connectivity.data import Dataset
from connectivity.input_paths import dataset_logits, same_class_pairs
from connectivity.models import model_device, split_model
from connectivity.neb import Connection, NEBConfig, connect_pairs
from connectivity.shared_classifiers import shared_classifier
from connectivity.training import TrainedModel

from ..readers import (
    frozen_on_device,
    load_checkpoint,
    measured_accuracy,
    reader_dataset,
    reader_key,
    who,
)
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
    settings: ConnectSettings,
    trained: TrainedModel | ReaderModel,
    test: Dataset,
    layer: str,
    seed: int,
) -> LayerRun:
    """The pair draw ``seed`` of ``test`` connected in the space after ``layer`` (a
    reader's module path: its stage, :func:`stage`) (cached)."""
    return connect_in_layer(
        trained.model,
        trained.path,
        test,
        stage(trained, layer),
        seed,
        n_pairs=settings.n_pairs,
        n_linear=settings.n_linear,
        neb=settings.neb,
        check_every=settings.check_every,
    )


def nonlinear_pairs(run: LayerRun) -> list[int]:
    """Indices of the pairs of ``run`` that are only nonlinearly connected."""
    return [i for i, c in enumerate(run.connection.category) if c == "nonlinear"]


# ---------------------------------------------------------------- a reader's classifier


class UnsplittableNetworkError(rc.CheckpointError):
    """A reader's network cannot be cut after a named module: its forward is not the
    sequence of its modules there."""


@dataclass
class ReaderModel:
    """A reader's classifier in the role of the shared one (what the runs take of a
    :class:`~connectivity.training.TrainedModel`): ``model`` a named ``nn.Sequential``
    that :func:`~connectivity.models.split_model` cuts after each named module
    (:func:`staged_model`), ``path`` the runs' cache key (:func:`reader_key`),
    ``test_accuracy`` measured here on the test set of ``test_images`` images,
    ``reader`` the checked classifier, ``stages`` each module path's stage name in
    ``model`` (where it differs)."""

    model: nn.Sequential
    path: str
    test_accuracy: float
    test_images: int
    reader: rc.ReaderClassifier
    stages: dict[str, str] = field(default_factory=dict)

    def who(self) -> dict[str, Any]:
        """Whose classifier: what each record and the page say of it."""
        return who(self.reader, self.test_accuracy, self.test_images)


def stage(trained: TrainedModel | ReaderModel, layer: str) -> str:
    """The name of the stage of ``trained.model`` after which the space of ``layer`` (a
    stage of the book's models, a module path of a reader's) begins."""
    return getattr(trained, "stages", {}).get(layer, layer)


def _expand(module: nn.Module, prefix: str, wanted: Sequence[str]):
    """``(module path, module)`` of ``module``'s children in order, a ``nn.Sequential``
    holding a wanted path opened into its own children."""
    for name, child in module.named_children():
        path = prefix + name
        if any(w.startswith(path + ".") for w in wanted):
            if not isinstance(child, nn.Sequential):
                inside = ", ".join(w for w in wanted if w.startswith(path + "."))
                raise UnsplittableNetworkError(
                    f"cannot cut the network inside {path!r} (a {type(child).__name__}, whose "
                    f"forward is its own) after {inside}"
                    ": name a module whose parents are nn.Sequential containers, or the top-level "
                    f"module {path!r}"
                )
            yield from _expand(child, path + ".", wanted)
        else:
            yield path, child


def _is_head(module: nn.Module) -> bool:
    """A classifier head that expects flat features (a Linear, or a Sequential whose
    first layer, after any dropout, is one)."""
    if isinstance(module, nn.Sequential):
        layers = [m for m in module if not isinstance(m, nn.Dropout)]
        return bool(layers) and isinstance(layers[0], nn.Linear)
    return isinstance(module, nn.Linear)


def staged_model(
    reader: rc.ReaderClassifier, layers: Sequence[str]
) -> tuple[nn.Sequential, dict[str, str]]:
    """``(model, stages)``: the reader's classifier (its normalisation first) as a named
    ``nn.Sequential`` of its network's modules in order, cut after every module path of
    ``layers`` (containers on a path opened), with a ``flatten`` stage before a linear
    head (torchvision's ``torch.flatten`` in ``forward``); ``stages`` maps each path
    to its stage name (dots as underscores) where they differ. The book's models, named
    stages already, are returned as they are. Checked on a probe batch: the staged
    model must give the network's own output, or :class:`UnsplittableNetworkError`
    says so (a network whose ``forward`` is more than its modules in sequence)."""
    wanted = [layer for layer in dict.fromkeys(layers) if layer != rc.INPUT]
    top = dict(reader.model.named_children())
    if reader.model is reader.network and all(w in top for w in wanted):
        return reader.model, {}
    first = [] if reader.model is reader.network else [("normalize", reader.model[0])]
    items = first + list(_expand(reader.network, "", wanted))
    heads = [i for i, (_, m) in enumerate(items) if _is_head(m)]
    names = {p for p, _ in items}
    if heads and "flatten" not in names and not any(isinstance(m, nn.Flatten) for _, m in items):
        items.insert(heads[0], ("flatten", nn.Flatten()))
    stages = {p: p.replace(".", "_") for p, _ in items}
    model = nn.Sequential(OrderedDict((stages[p], m) for p, m in items)).eval()
    size = reader.input_size
    x = torch.rand(
        rc.PROBE_BATCH, rc.CHANNELS, size, size, generator=torch.Generator().manual_seed(0)
    )
    with torch.no_grad():
        want = reader.model(x)
        try:
            got = model(x)
        except Exception as e:
            got, error = None, f"{type(e).__name__}: {str(e).strip()[:200]}"
    if got is not None and got.ndim > 2 and got.flatten(1).shape == want.shape:
        # logits of shape (B, K, 1, 1), flattened in forward (SqueezeNet)
        name = "flatten" if "flatten" not in stages else "flatten_logits"
        model.add_module(name, nn.Flatten())
        got = got.flatten(1)
    if got is not None and got.shape == want.shape and torch.allclose(got, want, 1e-4, 1e-5):
        return model, {p: s for p, s in stages.items() if p != s and p in wanted}
    found = (
        error
        if got is None
        else (
            f"shape {tuple(got.shape)}"
            if got.shape != want.shape
            else f"largest difference {float((got - want).abs().max()):.3g}"
        )
    )
    raise UnsplittableNetworkError(
        f"{reader.file} as {reader.architecture}: its modules run in order do not give the "
        f"network's output ({found}), so it cannot be cut after {', '.join(wanted)}: its "
        "forward does more than run its modules in sequence; name module paths of a network "
        "that does (torchvision's ResNets, VGGs, the book's architectures)"
    )


def load_reader(settings: Any, layers: Sequence[str]) -> tuple[ReaderModel, Dataset]:
    """The reader's classifier of ``settings.checkpoint`` (Table 1's), checked before any
    work by :func:`connectivity.reader_checkpoint.load_classifier` (the file, its sha256
    printed, the class count, a probe batch, every module path of ``layers``) and cut
    there (:func:`staged_model`), on the chosen device; then its test set and its
    accuracy on it, measured here (cached by :func:`reader_key`)."""
    ckpt = settings.checkpoint
    reader = load_checkpoint(ckpt, layers)
    model, stages = staged_model(reader, layers)
    model = frozen_on_device(model)
    key = reader_key(reader, ckpt.get("arch_kwargs"))
    test = reader_dataset(reader)
    accuracy = measured_accuracy(model, key, test)
    return ReaderModel(model, key, accuracy, len(test), reader, stages), test
