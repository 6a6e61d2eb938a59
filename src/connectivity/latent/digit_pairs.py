"""Images of two MNIST digits at a time, as the original code selects them.

The original notebook (``ae.ipynb``) masks the two digits and then keeps only those among
the *first* 8,000 training and the first 4,000 test images - a quirk that leaves about
1.7k training and 0.9k validation images. That is the ``"faithful"`` subset; ``"full"``
keeps every image of the two digits. The validation set is (part of) the MNIST test split.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import torch

from ..data import Dataset

Subset = Literal["faithful", "full"]
ALL_PAIRS: tuple[tuple[int, int], ...] = tuple(itertools.combinations(range(10), 2))


def pair_label(pair: tuple[int, int]) -> str:
    """How the pages name a digit pair: ``pair_label((1, 7)) == "1–7"``."""
    return f"{pair[0]}–{pair[1]}"


@dataclass(frozen=True)
class DigitPair:
    """Flattened images of two digits: x (n, 784) in [0, 1], y (n,) the digit labels."""

    digits: tuple[int, int]
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor

    @property
    def label(self) -> str:
        return f"{self.digits[0]}-{self.digits[1]}"


def digit_pair(
    train: Dataset,
    test: Dataset,
    digits: tuple[int, int],
    subset: Subset = "faithful",
    train_limit: int = 8000,
    test_limit: int = 4000,
) -> DigitPair:
    """The images of ``digits`` (see the module docstring for ``subset``).

    >>> pair = digit_pair(train, test, (1, 2))           # doctest: +SKIP
    >>> pair.x_train.shape, pair.x_val.shape              # doctest: +SKIP
    (torch.Size([1694, 784]), torch.Size([868, 784]))
    """
    if subset not in ("faithful", "full"):
        raise ValueError(f"subset must be 'faithful' or 'full', got {subset!r}")
    digits = tuple(int(d) for d in digits)
    if len(digits) != 2 or digits[0] == digits[1] or not all(0 <= d <= 9 for d in digits):
        raise ValueError(f"need two different digits in 0..9, got {digits}")
    out = []
    for ds, limit in ((train, train_limit), (test, test_limit)):
        keep = (ds.y == digits[0]) | (ds.y == digits[1])
        if subset == "faithful":
            keep[limit:] = False
        out += [ds.x[keep].flatten(1), ds.y[keep]]
    return DigitPair(digits, *out)


def subset_sizes(train: Dataset, test: Dataset, digits: tuple[int, int]) -> list[dict]:
    """Rows (subset rule, training and validation sizes, images per digit) for a table."""
    rows = []
    for rule in ("faithful", "full"):
        pair = digit_pair(train, test, digits, rule)
        rows.append(
            {
                "subset": rule,
                "train": len(pair.y_train),
                "validation": len(pair.y_val),
                **{f"train digit {d}": int((pair.y_train == d).sum()) for d in digits},
            }
        )
    return rows
