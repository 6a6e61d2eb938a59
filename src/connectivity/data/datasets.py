"""What a data set is here: :class:`Dataset` (one split as float tensors in [0, 1]),
the data sets and splits known (:func:`check_name`), their per-channel statistics (which
the models' input layers use) and the errors of loading one."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import torch

from connectivity.errors import ReaderError

DATASETS = ("mnist", "cifar10", "cifar100")
SPLITS = ("train", "test")

# Per-channel statistics of the training splits, used by the models' input layer.
MEAN = {
    "mnist": (0.1307,),
    "cifar10": (0.4914, 0.4822, 0.4465),
    "cifar100": (0.5071, 0.4865, 0.4409),
}
STD = {
    "mnist": (0.3081,),
    "cifar10": (0.2470, 0.2435, 0.2616),
    "cifar100": (0.2673, 0.2564, 0.2762),
}


class DataNotFoundError(ReaderError, FileNotFoundError):
    """No copy of a data set could be found or downloaded."""


class DataIntegrityError(ReaderError, RuntimeError):
    """A data file is corrupted: its content does not match the manifest."""


class DataCacheWarning(UserWarning):
    """A decoded copy in the cache did not match its checksum and was rebuilt."""


def _short(text: str, width: int = 200) -> str:
    """``text`` on one line, shortened at a word boundary (never mid-word)."""
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" ...")


@dataclass
class Dataset:
    """One split of a data set.

    x: (N, C, H, W) float32 in [0, 1]; y: (N,) int64; classes: class names.
    """

    name: str
    split: str
    x: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.y)

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def check_name(name: str, split: str = "train") -> None:
    """Raise a clear ``ValueError`` for an unknown data set or split."""
    if name not in DATASETS:
        hint = " (ImageNet: connectivity.data.load_imagenet_val)" if "imagenet" in name else ""
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}{hint}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
