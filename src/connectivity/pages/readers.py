"""A reader's classifier on a page (issue 39): the ``checkpoint`` parameter of the pages
that test a CIFAR classifier (Gu & Borovykh's Table 1, Vrabel et al.'s §4.1).

The page's settings check it before any work (:func:`checkpoint_dict`: the keys;
:func:`check_checkpoint`: what needs no loading); the page then loads it with
:func:`connectivity.reader_checkpoint.load_classifier` (:func:`load_checkpoint`: the
file, its sha256, the class count, a probe batch, the named layers), reads its data set's
test split (:func:`reader_dataset`) and measures its accuracy there
(:func:`measured_accuracy`); :func:`reader_key` keys its cached runs. Its records are
written under :func:`connectivity.scorecard.reader_classifier`.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from torch import nn

from connectivity import reader_checkpoint as rc
from connectivity.caching import param_hash
from connectivity.data import DataNotFoundError, Dataset, load_dataset
from connectivity.data.imagenet import load_imagenet_val
from connectivity.input_paths import dataset_logits
from connectivity.settings import ParameterError, coerce
from connectivity.training import default_device

CHECKPOINT_DOC = (
    "a reader's classifier instead of the book's (None): {path, architecture (torchvision's "
    "or the book's), dataset (cifar10, cifar100 or an image folder), mean, std, arch_kwargs, "
    "input_size}; its records are measurements, kept apart"
)

# torchvision's ResNet family: its stages are top-level modules of the network
TORCHVISION_RESNETS = ("resnet", "resnext", "wide_resnet")

# the keys of a reader's checkpoint (load_classifier's arguments): the first two required
CHECKPOINT_KEYS = ("path", "architecture", "dataset", "mean", "std", "arch_kwargs", "input_size")
REQUIRED_KEYS = ("path",)  # and an architecture for a state dict (check_checkpoint)
EXAMPLE = (
    "{'path': 'mine.pt', 'architecture': 'resnet18', 'dataset': 'cifar10', 'mean': [0.4914, "
    "0.4822, 0.4465], 'std': [0.247, 0.2435, 0.2616]}"
)


def checkpoint_dict(value: Any) -> dict:
    """``checkpoint`` as a dict (JSON or YAML text read), its keys known and the
    required ones given (a :class:`ParameterError` otherwise)."""
    ckpt = coerce("checkpoint", value, dict)
    for key in ckpt:
        if key not in CHECKPOINT_KEYS:
            close = difflib.get_close_matches(str(key), CHECKPOINT_KEYS, n=1)
            near = f" Did you mean {close[0]!r}?" if close else ""
            raise ParameterError(
                f"unknown key of 'checkpoint' {key!r}.{near} Valid: {', '.join(CHECKPOINT_KEYS)}."
            )
    missing = [k for k in REQUIRED_KEYS if not ckpt.get(k)]
    if missing:
        raise ParameterError(
            f"checkpoint: say its {' and '.join(missing)} (e.g. {EXAMPLE}); None runs the "
            "book's own classifier"
        )
    return ckpt


def check_checkpoint(ckpt: dict, layers: list[str]) -> None:
    """The checks of a reader's ``checkpoint`` that need no loading, each failure a
    :class:`ParameterError` naming the key: the types, a file at ``path``, a known
    ``dataset``, three ``mean`` and ``std`` values (std > 0), a known ``architecture``
    for a state dict, and an opaque program (TorchScript, torch.export: no architecture,
    its normalisation given) only where ``layers`` name no layer but the input (its
    layers cannot be split). :func:`connectivity.reader_checkpoint.load_classifier`
    checks the rest when the page starts: the file's contents, the class count, a probe
    batch and every named layer."""
    for key, hint in (
        ("path", str),
        ("architecture", str),
        ("dataset", str),
        ("arch_kwargs", dict),
        ("input_size", int),
    ):
        if ckpt.get(key) is not None:
            coerce(f"checkpoint.{key}", ckpt[key], hint)
    for key in ("mean", "std"):
        value = ckpt.get(key)
        if value is None:
            continue
        values = coerce(f"checkpoint.{key}", value, list[float])
        if len(values) != rc.CHANNELS or (key == "std" and min(values) <= 0):
            positive = ", all positive" if key == "std" else ""
            raise ParameterError(
                f"checkpoint.{key}: {rc.CHANNELS} values (RGB){positive}, got {value}"
            )
    if (ckpt.get("mean") is None) != (ckpt.get("std") is None):
        raise ParameterError("checkpoint: give mean and std together (or neither for the book's)")
    if ckpt.get("input_size") is not None and ckpt["input_size"] < 8:
        raise ParameterError(f"checkpoint.input_size: at least 8 pixels, got {ckpt['input_size']}")
    path = Path(ckpt["path"]).expanduser()
    if not path.is_file():
        raise ParameterError(f"checkpoint.path: no file at {path.resolve()}")
    kind = rc._archive_kind(path)
    if kind is None and not ckpt.get("architecture"):
        raise ParameterError(
            f"checkpoint: say its architecture, the network the state dict in {path.name} "
            f"belongs to (e.g. {EXAMPLE})"
        )
    if kind is not None and ckpt.get("mean") is None:
        raise ParameterError(
            f"checkpoint: {path.name} is a {kind} program: say the normalisation it was "
            "trained with, mean and std (mean [0, 0, 0], std [1, 1, 1] for none)"
        )
    try:
        if kind is None:
            rc.check_architecture(ckpt["architecture"])
        rc.dataset_classes(ckpt.get("dataset") or "cifar10")
    except (rc.CheckpointError, DataNotFoundError) as e:
        raise ParameterError(f"checkpoint: {e}") from e
    hooked = sorted({layer for layer in layers if layer != rc.INPUT})
    if kind is not None and hooked:
        raise ParameterError(
            f"checkpoint: {path.name} is a {kind} program, whose layers cannot be split or "
            f"hooked, but this page splits the network after {', '.join(hooked)} (its latent "
            "spaces): save the state dict instead (torch.save(model.state_dict(), path)) and "
            "name its architecture; a program is accepted by the input-space pages"
        )


def check_input_space_checkpoint(value: Any, classes: int) -> None:
    """The checks before any work of a ``checkpoint`` on a page that works in the input
    space (no layer split or hooked, so an opaque program is accepted too) and uses its
    first ``classes`` classes: :func:`checkpoint_dict`, :func:`check_checkpoint`, and
    ``classes`` at most its data set's."""
    ckpt = checkpoint_dict(value)
    check_checkpoint(ckpt, [])
    _, n = rc.dataset_classes(ckpt.get("dataset") or "cifar10")
    if classes > n:
        raise ParameterError(f"classes: the checkpoint's data set has {n} classes, got {classes}")


def load_checkpoint(ckpt: dict, layers: Sequence[str] = ()) -> rc.ReaderClassifier:
    """The reader's classifier of a checked ``checkpoint`` parameter, loaded and checked
    by :func:`connectivity.reader_checkpoint.load_classifier` (its sha256 printed), with
    ``layers`` (module paths) required to exist."""
    return rc.load_classifier(
        Path(ckpt["path"]).expanduser(),
        ckpt.get("architecture") or "",  # not used for a program
        ckpt.get("dataset") or "cifar10",
        mean=ckpt.get("mean"),
        std=ckpt.get("std"),
        layers=list(dict.fromkeys(layers)),
        arch_kwargs=ckpt.get("arch_kwargs"),
        input_size=ckpt.get("input_size"),
    )


def frozen_on_device(model: nn.Module) -> nn.Module:
    """``model`` on the chosen device, in eval mode, its weights frozen: the pages move
    inputs and points, never the weights (frozen, a copy of a TorchScript program keeps
    leaf weights)."""
    model = model.to(default_device()).eval()
    for weight in model.parameters():
        weight.requires_grad_(False)
    return model


def reader_key(reader: rc.ReaderClassifier, arch_kwargs: dict | None) -> str:
    """The cache key of a reader's classifier's runs: its file's sha256 with all that
    builds the network from it (architecture, sizes, normalisation, input size)."""
    return "reader-" + param_hash(
        {
            "sha256": reader.sha256,
            "architecture": reader.architecture,
            "arch_kwargs": arch_kwargs or {},
            "mean": list(reader.mean),
            "std": list(reader.std),
            "input_size": reader.input_size,
            "dataset": reader.dataset,
        }
    )


def reader_dataset(reader: rc.ReaderClassifier) -> Dataset:
    """The test split of the reader's data set: CIFAR-10's or CIFAR-100's, or every
    image of its image folder (shorter side resized to the input size, centre-cropped,
    labels by sorted class folder)."""
    if reader.dataset in rc.DATASET_CLASSES:
        return load_dataset(reader.dataset, "test")
    size = reader.input_size
    ds = load_imagenet_val(root=reader.dataset, resize=size, crop=size)
    return dataclasses.replace(ds, name=f"folder:{Path(reader.dataset).resolve()}", split="test")


def measured_accuracy(model: nn.Module, key: str, test: Dataset) -> float:
    """``model``'s accuracy on every image of ``test`` (logits cached by ``key``),
    printed: the page says it measured it."""
    logits = dataset_logits(model, key, test)
    accuracy = float((logits.argmax(1) == test.y).float().mean())
    print(f"test accuracy, measured here: {accuracy:.2%} of {len(test):,} {test.name} test images")
    return accuracy


def who(reader: rc.ReaderClassifier, accuracy: float, images: int) -> dict[str, Any]:
    """Whose classifier: what each record (:attr:`connectivity.scorecard.Record.reader`)
    and the page say of it."""
    return {
        "file": reader.file,
        "sha256": reader.sha256,
        "architecture": reader.architecture,
        "dataset": reader.dataset,
        "test_accuracy": accuracy,
        "test_images": images,
    }
