"""A reader's classifier from its checkpoint file, checked before any work.

:func:`load_classifier` reads a file that came from elsewhere without running code from
it (``torch.load(weights_only=True)``: tensors and plain containers only), prints its
sha256, builds the named architecture — torchvision's by name
(``torchvision.models.get_model``) or the book's own (:mod:`connectivity.models`: its
``cifar_resnet`` and ``cifar_vgg16_bn``, and ``book:<name>`` for any of
:data:`connectivity.models.ARCHITECTURES`) — and loads the state dict strictly. Then,
before any page computes with it, it checks that

* the network has as many outputs as the data set has classes (CIFAR-10: 10,
  CIFAR-100: 100, an image folder: one class per sub-folder with images);
* its output on a probe batch of shape (B, 3, S, S) (S = 32 for CIFAR, or the given input
  size; pixels in [0, 1], normalised by the given mean and std) is finite and of shape
  (B, n_classes);
* every named layer (a module path of the reader's network as ``named_modules()`` spells
  it, e.g. ``"layer1"`` or ``"features.10"``; ``"input"`` is the input space) exists.

Each failure is a :class:`CheckpointError` (a :class:`~connectivity.errors.ReaderError`:
one line from the book's commands) of its own class, saying what was expected and what
was found. An opaque program — TorchScript (``torch.jit.save``) or ``torch.export``'s
``.pt2`` — is accepted only when no layer is named (the input-space pages): its layers
cannot be split or hooked.

The returned :class:`ReaderClassifier` takes pixels in [0, 1], as every model of the book
does: the reader's normalisation is its first stage.

>>> net = models.cifar_resnet((1,), width=4)
>>> torch.save(net.state_dict(), "mine.pt")  # doctest: +SKIP
>>> mine = load_classifier("mine.pt", "cifar_resnet", "cifar10",
...                        arch_kwargs={"blocks": [1], "width": 4}, layers=["stage1"])
... # doctest: +SKIP
checkpoint mine.pt: sha256 3f2a...
>>> mine.model(torch.rand(8, 3, 32, 32)).shape  # doctest: +SKIP
torch.Size([8, 10])
"""

from __future__ import annotations

import difflib
import pickle
import re
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from . import models
from .caching import _file_sha256
from .data import DataNotFoundError
from .errors import ReaderError
from .models import Normalize

# classes of the data sets a page's classifier is tested on
DATASET_CLASSES = {"cifar10": 10, "cifar100": 100}
# the side of the probe images of the CIFARs (an image folder's: input_size)
CIFAR_SIZE = 32
PROBE_BATCH = 4
CHANNELS = 3  # CIFAR and image folders are read as RGB
# the book's own builders (connectivity.models); "book:<name>" picks any of its names
BOOK_PREFIX = "book:"
BOOK_ONLY = ("cifar_resnet", "cifar_vgg16_bn")
# where training frameworks nest the state dict in a checkpoint
NESTED_KEYS = ("state_dict", "model_state_dict", "model")
INPUT = "input"  # the input space: a layer that every model has
TORCHSCRIPT, EXPORT, STATE_DICT = "TorchScript", "torch.export", "state dict"


class CheckpointError(ReaderError, ValueError):
    """A reader's checkpoint refused before any work (each refusal its own subclass)."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No file at the path given."""


class NotACheckpointError(CheckpointError):
    """The file is not something ``torch.load`` reads, or holds no state dict."""


class UnsafeCheckpointError(CheckpointError):
    """The file holds pickled Python objects that ``weights_only=True`` refuses (loading
    them would run code from the file)."""


class ArchitectureError(CheckpointError):
    """An unknown architecture, or a state dict that does not fit it."""


class ClassCountError(CheckpointError):
    """The network's number of outputs is not the data set's number of classes."""


class NormalisationError(CheckpointError):
    """The input normalisation is missing, malformed or not the checkpoint's own."""


class ProbeError(CheckpointError):
    """The network failed on the probe batch or returned no (B, n_classes) tensor."""


class NonFiniteOutputError(ProbeError):
    """The network's output on the probe batch holds NaN or infinity."""


class MissingLayerError(CheckpointError, LookupError):
    """A named layer (module path) is not in the network."""


class OpaqueProgramError(CheckpointError):
    """A TorchScript or torch.export program where a layer is named: it cannot be split
    or hooked."""


class DatasetChoiceError(CheckpointError):
    """A data set that is neither a CIFAR nor an image folder."""


@dataclass(frozen=True)
class ReaderClassifier:
    """A reader's classifier, checked. ``model``: pixels (B, 3, S, S) in [0, 1] ->
    logits (B, n_classes), in eval mode on the CPU, the normalisation its first stage;
    ``network``: the reader's own network, in which the ``layers`` are module paths
    (the book's architectures: ``model`` itself; an opaque program: the program)."""

    model: nn.Module
    network: nn.Module
    sha256: str
    file: str  # the file's name
    path: str
    architecture: str  # as given; TorchScript / torch.export for an opaque program
    kind: str  # "state dict", "TorchScript" or "torch.export"
    n_classes: int
    dataset: str  # cifar10, cifar100, or the image folder's path
    mean: tuple[float, ...]
    std: tuple[float, ...]
    input_size: int
    layers: tuple[str, ...]
    notes: tuple[str, ...] = ()  # what was adapted on reading (a nested state dict, ...)

    @property
    def opaque(self) -> bool:
        """Whether the classifier is a program whose layers cannot be split or hooked."""
        return self.kind != STATE_DICT

    def module(self, path: str) -> nn.Module:
        """The module of the network at ``path`` (a name of :attr:`layers`); its output
        is that layer's latent space."""
        return self.network.get_submodule(path)

    def describe(self) -> str:
        """One line: whose classifier this is (file, sha256, architecture, classes)."""
        norm = f"mean {_numbers(self.mean)}, std {_numbers(self.std)}"
        layers = f"; layers {', '.join(self.layers)}" if self.layers else ""
        return (
            f"checkpoint {self.file} (sha256 {self.sha256}): {self.architecture}"
            f"{'' if self.opaque else ' (state dict)'}, {self.n_classes} classes "
            f"({self.dataset}), {norm}, "
            f"input {CHANNELS}x{self.input_size}x{self.input_size}{layers}"
        )


class _Program(nn.Module):
    """An opaque program as a module: the evaluation mode it was loaded in stays (an
    exported program refuses ``train()`` and ``eval()``)."""

    def __init__(self, program: Any):
        super().__init__()
        self.program = program

    def train(self, mode: bool = True) -> _Program:
        self.training = mode
        return self

    def forward(self, x: torch.Tensor) -> Any:
        return self.program(x)


def _numbers(values: Sequence[float]) -> str:
    return "(" + ", ".join(f"{v:.4g}" for v in values) + ")"


def dataset_classes(dataset: str | Path) -> tuple[str, int]:
    """``(name, number of classes)`` of ``dataset``: ``"cifar10"`` (10), ``"cifar100"``
    (100), or an image folder (torchvision's ImageFolder layout): one class per
    non-hidden sub-folder holding at least one image.

    >>> dataset_classes("cifar100")
    ('cifar100', 100)
    """
    if isinstance(dataset, str) and dataset in DATASET_CLASSES:
        return dataset, DATASET_CLASSES[dataset]
    folder = Path(dataset)
    if not folder.is_dir():
        if isinstance(dataset, str) and "/" not in dataset and "\\" not in dataset:
            raise DatasetChoiceError(
                f"unknown data set {dataset!r}: expected one of "
                f"{', '.join(DATASET_CLASSES)} or an image folder (one sub-folder per class)"
            )
        raise DataNotFoundError(f"image folder {folder} does not exist")
    from .data.imagenet import _image_files

    classes = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")]
    classes = [p for p in classes if _image_files(p)]
    if not classes:
        raise DataNotFoundError(
            f"image folder {folder} holds no class folder with images (expected "
            "<folder>/<class>/<image>, as torchvision's ImageFolder reads)"
        )
    return str(folder), len(classes)


def _archive_kind(path: Path) -> str | None:
    """TorchScript or torch.export for such an archive, else None (read by torch.load)."""
    if not zipfile.is_zipfile(path):
        return None
    try:
        names = zipfile.ZipFile(path).namelist()
    except (OSError, zipfile.BadZipFile):
        return None
    if any(n.endswith("/archive_format") or n.endswith("/models/model.json") for n in names):
        return EXPORT
    if any("/code/" in n for n in names) or any(n.endswith("/constants.pkl") for n in names):
        return TORCHSCRIPT
    return None


def _read(path: Path) -> Any:
    """The object in ``path`` as ``torch.load(weights_only=True)`` reads it."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        refused = _refusal(str(e))
        if refused and "Unsupported operand" not in refused:  # a global: code to run
            raise UnsafeCheckpointError(
                f"{path.name} holds pickled Python objects that torch.load(weights_only=True) "
                f"refuses ({refused}): loading them could run code from the file. Expected a "
                "state dict: save it with torch.save(model.state_dict(), path)"
            ) from e
        text = refused or " ".join(str(e).split())[:200]
        raise NotACheckpointError(
            f"{path.name} is not a checkpoint that torch.load(weights_only=True) reads "
            f"({text}); expected a file written by torch.save(model.state_dict(), path)"
        ) from e
    except Exception as e:  # a text file, a truncated archive: KeyError, RuntimeError, ...
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else ""
        raise NotACheckpointError(
            f"{path.name} is not a checkpoint that torch.load reads ({type(e).__name__}: "
            f"{first}); expected a file written by torch.save(model.state_dict(), path)"
        ) from e


def _refusal(message: str) -> str | None:
    """What the weights-only unpickler refused (its error's detail line), or None when
    the error is not its refusal.

    >>> _refusal("Weights only load failed. ... WeightsUnpickler error: Unsupported global: "
    ...          "GLOBAL a.B was not an allowed global by default. Please use ...")
    'Unsupported global: GLOBAL a.B'
    """
    _, found, detail = message.partition("WeightsUnpickler error:")
    if not found:
        return None
    detail = " ".join(detail.split())
    detail = re.split(r" was not an allowed| Check the documentation|\. Please use", detail)[0]
    return detail.strip().rstrip(".")[:200] or "an object it does not allow"


def _is_state_dict(obj: Any) -> bool:
    return (
        isinstance(obj, Mapping)
        and len(obj) > 0
        and all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())
    )


def state_dict_of(obj: Any, name: str = "the file") -> tuple[dict[str, torch.Tensor], list[str]]:
    """The state dict in what ``torch.load`` read, and notes on what was adapted: one
    nested under ``"state_dict"``, ``"model_state_dict"`` or ``"model"`` (training
    frameworks' checkpoints) is taken from there, and a ``"module."`` prefix on every
    name (``DataParallel``) is removed.

    >>> sd, notes = state_dict_of({"state_dict": {"module.w": torch.zeros(2)}})
    >>> list(sd), notes
    (['w'], ["the state dict under 'state_dict'", "the prefix 'module.' removed"])
    """
    notes = []
    if not _is_state_dict(obj):
        nested = [k for k in NESTED_KEYS if isinstance(obj, Mapping) and _is_state_dict(obj.get(k))]
        if not nested:
            what = (
                f"a dict with keys {', '.join(map(repr, list(obj)[:6]))}"
                if isinstance(obj, Mapping)
                else f"a {type(obj).__name__}"
            )
            raise NotACheckpointError(
                f"{name} holds {what}, not a state dict: expected a dict of parameter names "
                "to tensors (torch.save(model.state_dict(), path)), or one under "
                f"{', '.join(map(repr, NESTED_KEYS))}"
            )
        obj = obj[nested[0]]
        notes.append(f"the state dict under {nested[0]!r}")
    sd = dict(obj)
    if all(k.startswith("module.") for k in sd):
        sd = {k.removeprefix("module."): v for k, v in sd.items()}
        notes.append("the prefix 'module.' removed")
    return sd, notes


def is_book(architecture: str) -> bool:
    """Whether ``architecture`` names one of the book's builders (its file then holds the
    normalisation, as the input layer ``normalize``).

    >>> is_book("cifar_resnet"), is_book("book:resnet18"), is_book("resnet18")
    (True, True, False)
    """
    return architecture.startswith(BOOK_PREFIX) or architecture in BOOK_ONLY


def _torchvision_names() -> list[str]:
    import torchvision

    return torchvision.models.list_models(module=torchvision.models)


def check_architecture(architecture: str) -> None:
    """Raise an :class:`ArchitectureError` unless ``architecture`` is a torchvision
    classification model's name or the book's (:func:`is_book`)."""
    if is_book(architecture):
        base = architecture.removeprefix(BOOK_PREFIX)
        if base not in models.ARCHITECTURES:
            raise ArchitectureError(
                f"unknown book architecture {base!r}: expected one of "
                f"{', '.join(models.ARCHITECTURES)}"
            )
        return
    names = _torchvision_names()
    if architecture not in names:
        close = difflib.get_close_matches(architecture, names + list(BOOK_ONLY), n=3)
        raise ArchitectureError(
            f"unknown architecture {architecture!r}: expected a torchvision classification "
            f"model ({len(names)}, e.g. resnet18, vgg16_bn, densenet121) or the book's "
            f"({', '.join(BOOK_ONLY)}, or book:<name> for {', '.join(models.ARCHITECTURES)})"
            + (f"; close: {', '.join(close)}" if close else "")
        )


def _build(
    architecture: str,
    n_classes: int,
    mean: Sequence[float] | None,
    std: Sequence[float] | None,
    arch_kwargs: dict,
) -> tuple[nn.Module, nn.Module]:
    """``(model, network)``: the architecture (checked by :func:`check_architecture`)
    built with ``n_classes`` outputs."""
    book = is_book(architecture)
    base = architecture.removeprefix(BOOK_PREFIX)
    try:
        if book:
            stats = {"mean": mean, "std": std} if mean is not None and std is not None else {}
            model = models.build_model(base, n_classes, **stats, **arch_kwargs)
            return model, model
        import torchvision

        network = torchvision.models.get_model(
            architecture, weights=None, num_classes=n_classes, **arch_kwargs
        )
    except (TypeError, ValueError) as e:
        if isinstance(e, CheckpointError):
            raise
        raise ArchitectureError(
            f"cannot build {architecture!r} with {n_classes} classes and arch_kwargs "
            f"{arch_kwargs}: {e}"
        ) from e
    model = nn.Sequential(OrderedDict(normalize=Normalize(mean, std), network=network))
    return model, network


def _fit(network: nn.Module, sd: dict[str, torch.Tensor], n_classes: int, where: str) -> None:
    """Load ``sd`` into ``network`` strictly; a :class:`ClassCountError` when only the
    class dimension differs, else an :class:`ArchitectureError` naming what differs."""
    own = network.state_dict()
    missing = [k for k in own if k not in sd]
    unexpected = [k for k in sd if k not in own]
    shapes = [(k, tuple(sd[k].shape), tuple(own[k].shape)) for k in own if k in sd]
    shapes = [(k, found, expected) for k, found, expected in shapes if found != expected]
    head = [
        (k, found, expected)
        for k, found, expected in shapes
        if found[:1] != expected[:1] and found[1:] == expected[1:] and expected[0] == n_classes
    ]
    if shapes and not missing and not unexpected and len(head) == len(shapes):
        outputs = sorted({found[0] for _, found, _ in head})
        k, found, expected = head[0]
        raise ClassCountError(
            f"{where}: the data set has {n_classes} classes, the checkpoint's classifier has "
            f"{' or '.join(map(str, outputs))} outputs ({k}: shape {found}, expected {expected})"
        )
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:4])}{_more(missing)})")
        if unexpected:
            parts.append(
                f"{len(unexpected)} unexpected ({', '.join(unexpected[:4])}{_more(unexpected)})"
            )
        if shapes:
            said = ", ".join(f"{k} {f} instead of {e}" for k, f, e in shapes[:3])
            parts.append(f"{len(shapes)} of another shape ({said}{_more(shapes, 3)})")
        hint = ""
        if any(k.startswith("normalize.") for k in unexpected):
            hint = (
                "; the file holds the book's input layer (normalize.*): name the book's "
                "architecture (cifar_resnet, cifar_vgg16_bn, book:<name>)"
            )
        elif any(k.startswith("normalize.") for k in missing):
            hint = "; the file lacks the book's input layer: name the torchvision architecture"
        raise ArchitectureError(
            f"{where}: the state dict does not fit the architecture: {'; '.join(parts)}{hint}"
        )
    network.load_state_dict(sd, strict=True)


def _more(items: list, shown: int = 4) -> str:
    return f", ... {len(items) - shown} more" if len(items) > shown else ""


def _check_stats(mean: Sequence[float] | None, std: Sequence[float] | None, where: str) -> None:
    if mean is None or std is None:
        raise NormalisationError(
            f"{where}: say the input normalisation the network was trained with: mean=... and "
            f"std=..., one value per channel ({CHANNELS}) of pixels in [0, 1] (e.g. "
            "mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616) for CIFAR-10's; "
            "mean=(0, 0, 0), std=(1, 1, 1) for none)"
        )
    if len(mean) != CHANNELS or len(std) != CHANNELS:
        raise NormalisationError(
            f"{where}: expected {CHANNELS} values each for mean and std (RGB), found "
            f"{len(mean)} and {len(std)}"
        )
    if min(std) <= 0:
        raise NormalisationError(f"{where}: std must be positive, found {_numbers(std)}")


def _book_stats(
    model: nn.Module, mean: Sequence[float] | None, std: Sequence[float] | None, where: str
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The normalisation in the file's input layer; a given one must be the same."""
    first = model[0]
    found = (tuple(first.mean.flatten().tolist()), tuple(first.std.flatten().tolist()))
    if len(found[0]) != CHANNELS:
        raise NormalisationError(
            f"{where}: the network's input layer takes {len(found[0])} channel(s), "
            f"expected {CHANNELS} (RGB)"
        )
    if mean is not None or std is not None:
        given = tuple(float(v) for v in mean or ()), tuple(float(v) for v in std or ())
        same = all(
            len(g) == len(f) and all(abs(a - b) <= 1e-6 * max(1, abs(b)) for a, b in zip(g, f))
            for g, f in zip(given, found)
        )
        if not same:
            raise NormalisationError(
                f"{where}: the checkpoint's input layer normalises with mean "
                f"{_numbers(found[0])}, std {_numbers(found[1])}; mean {_numbers(given[0])}, "
                f"std {_numbers(given[1])} were given (leave them out to use the file's)"
            )
    return found


def _check_layers(network: nn.Module, layers: Sequence[str], where: str) -> None:
    names = [n for n, _ in network.named_modules() if n]
    for path in layers:
        if path == INPUT:
            continue
        try:
            network.get_submodule(path)
        except AttributeError:
            top = [n for n, _ in network.named_children()]
            close = difflib.get_close_matches(path, names, n=3)
            raise MissingLayerError(
                f"{where}: no layer {path!r} (a module path, as model.named_modules() names "
                f"them, or {INPUT!r}); the top-level ones are {', '.join(top)}"
                + (f"; close: {', '.join(close)}" if close else "")
            ) from None


def probe(model: nn.Module, n_classes: int, input_size: int, where: str = "the network") -> None:
    """Check ``model`` on :data:`PROBE_BATCH` uniform random images of shape
    (B, 3, ``input_size``, ``input_size``) in [0, 1] (seed 0): the output must be a finite
    tensor of shape (B, ``n_classes``). Raises :class:`ClassCountError`,
    :class:`NonFiniteOutputError` or :class:`ProbeError`."""
    x = torch.rand(
        PROBE_BATCH, CHANNELS, input_size, input_size, generator=torch.Generator().manual_seed(0)
    )
    shape = tuple(x.shape)
    try:
        with torch.no_grad():
            out = model(x)
    except Exception as e:
        first = str(e).strip().splitlines()[0][:300] if str(e).strip() else ""
        raise ProbeError(
            f"{where} failed on a probe batch of shape {shape} (pixels in [0, 1], normalised "
            f"by its first stage): {type(e).__name__}: {first}"
        ) from e
    if not isinstance(out, torch.Tensor):
        raise ProbeError(
            f"{where} returned a {type(out).__name__} on a probe batch of shape {shape}; "
            f"expected a tensor of logits of shape ({PROBE_BATCH}, {n_classes})"
        )
    if out.ndim == 2 and out.shape[0] == PROBE_BATCH and out.shape[1] != n_classes:
        raise ClassCountError(
            f"{where}: the data set has {n_classes} classes, the network gives "
            f"{out.shape[1]} outputs per image (output shape {tuple(out.shape)} for a batch "
            f"of {PROBE_BATCH})"
        )
    if tuple(out.shape) != (PROBE_BATCH, n_classes):
        raise ProbeError(
            f"{where}: expected an output of shape ({PROBE_BATCH}, {n_classes}) for a probe "
            f"batch of shape {shape}, found {tuple(out.shape)}"
        )
    bad = int((~torch.isfinite(out)).sum())
    if bad:
        raise NonFiniteOutputError(
            f"{where}: {bad} of {out.numel()} outputs are not finite (NaN or infinity) on a "
            f"probe batch of shape {shape} (uniform pixels in [0, 1]); expected finite logits "
            "(are the weights or the normalisation's std damaged?)"
        )


def load_classifier(
    path: str | Path,
    architecture: str,
    dataset: str | Path = "cifar10",
    *,
    mean: Sequence[float] | None = None,
    std: Sequence[float] | None = None,
    layers: Sequence[str] = (),
    arch_kwargs: dict | None = None,
    input_size: int | None = None,
    verbose: bool = True,
) -> ReaderClassifier:
    """A reader's classifier from the file at ``path``, checked (see the module's
    docstring); raises a :class:`CheckpointError` subclass for each refusal.

    ``path``: a state dict (``torch.save(model.state_dict(), path)``), or an opaque
    program (TorchScript, torch.export ``.pt2``) when ``layers`` names no layer but
    ``"input"``. ``architecture``: a torchvision classification model's name (built by
    ``torchvision.models.get_model(architecture, num_classes=..., **arch_kwargs)``), or
    the book's (``cifar_resnet``, ``cifar_vgg16_bn``, ``book:<name>``; their sizes in
    ``arch_kwargs``, e.g. ``{"blocks": [1, 1, 1, 1], "width": 16}``); ignored for a program.
    ``dataset``: ``"cifar10"``, ``"cifar100"`` or an image folder's path. ``mean``,
    ``std``: the normalisation of pixels in [0, 1] the network was trained with, 3 values
    each (required but for the book's architectures, whose file holds it: given, it must
    match). ``layers``: module paths of the network (``"input"``: the input space).
    ``input_size``: the side of the probe images (default 32, the CIFARs'). ``verbose``
    prints the sha256 and a summary.

    >>> mine = load_classifier("resnet18_cifar10.pt", "resnet18", "cifar10",
    ...                        mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616),
    ...                        layers=["layer2", "avgpool"])  # doctest: +SKIP
    >>> mine.model(torch.rand(2, 3, 32, 32)).shape, mine.module("layer2")  # doctest: +SKIP
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointNotFoundError(f"no checkpoint file at {path}")
    layers = tuple(layers)
    dataset_name, n_classes = dataset_classes(dataset)
    size = int(input_size or CIFAR_SIZE)
    sha256 = _file_sha256(path)
    if verbose:
        print(f"checkpoint {path.name}: sha256 {sha256}", flush=True)
    where = f"{path.name}"
    kind = _archive_kind(path)
    notes: list[str] = []
    if kind is not None:  # an opaque program
        hooked = [name for name in layers if name != INPUT]
        if hooked:
            raise OpaqueProgramError(
                f"{where} is a {kind} program: its layers cannot be split or hooked, so it is "
                f"accepted only with no layer named but {INPUT!r} (the input-space pages); "
                f"found {', '.join(hooked)}. Save the state dict instead "
                "(torch.save(model.state_dict(), path)) with its architecture's name"
            )
        _check_stats(mean, std, where)
        try:
            with warnings.catch_warnings():  # torch.jit's deprecation notice: said once, here
                warnings.simplefilter("ignore", FutureWarning)
                program = (
                    torch.jit.load(str(path), map_location="cpu")
                    if kind == TORCHSCRIPT
                    else torch.export.load(str(path)).module()
                )
        except Exception as e:
            raise NotACheckpointError(
                f"{where} looks like a {kind} archive but does not load as one "
                f"({type(e).__name__}: {str(e).strip()[:200]})"
            ) from e
        network = _Program(program.eval() if kind == TORCHSCRIPT else program)
        model = nn.Sequential(OrderedDict(normalize=Normalize(mean, std), network=network))
        architecture, stats = kind, (tuple(map(float, mean)), tuple(map(float, std)))
    else:
        sd, notes = state_dict_of(_read(path), where)
        book = is_book(architecture)
        check_architecture(architecture)
        if not book or mean is not None or std is not None:  # the book's: the file's
            _check_stats(mean, std, where)
        model, network = _build(architecture, n_classes, mean, std, dict(arch_kwargs or {}))
        _fit(network, sd, n_classes, f"{where} as {architecture}")
        if book:
            stats = _book_stats(model, mean, std, where)
        else:
            stats = (tuple(map(float, mean)), tuple(map(float, std)))
        _check_layers(network, layers, f"{where} as {architecture}")
        kind = STATE_DICT
    model.eval()
    try:
        probe(model, n_classes, size, f"{where} as {architecture}")
    except ProbeError as e:
        if kind != EXPORT or type(e) is not ProbeError:
            raise
        raise ProbeError(
            f"{e}; an exported program needs a dynamic batch dimension: torch.export.export("
            'model, (x,), dynamic_shapes=({0: torch.export.Dim("batch")},))'
        ) from e
    found = ReaderClassifier(
        model=model,
        network=network,
        sha256=sha256,
        file=path.name,
        path=str(path),
        architecture=architecture,
        kind=kind,
        n_classes=n_classes,
        dataset=dataset_name,
        mean=stats[0],
        std=stats[1],
        input_size=size,
        layers=layers,
        notes=tuple(notes),
    )
    if verbose:
        print(found.describe() + (f" [{'; '.join(notes)}]" if notes else ""), flush=True)
    return found
