"""MNIST and the CIFARs in the files ``torchvision.datasets`` downloads, read as arrays.

The files are read here rather than through ``torchvision.datasets``: those classes
check each CIFAR batch against the MD5 of the original batch files, and so refuse the
same images written in another order; the order and the content are checked instead
by :func:`~connectivity.data.order.to_reference_order`, whatever the source.

Layouts below a folder ``root`` (what ``torchvision.datasets.X(root, download=True)``
leaves there):

* MNIST: ``root/MNIST/raw/{train-images-idx3-ubyte, train-labels-idx1-ubyte,
  t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte}`` (or the same names with ``.gz``);
* CIFAR-10: ``root/cifar-10-batches-py/{data_batch_1..5, test_batch}``, pickled dicts
  with ``data`` (N, 3072) uint8 in channel-major order and ``labels``;
* CIFAR-100: ``root/cifar-100-python/{train, test}``, with ``data`` and ``fine_labels``.

Returns x (N, H, W) or (N, 32, 32, 3) uint8 and y (N,) uint8 in the files' order.
"""

from __future__ import annotations

import gzip
import pickle
from pathlib import Path

import numpy as np

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
CIFAR_FILES = {
    "cifar10": ("cifar-10-batches-py", [f"data_batch_{i}" for i in range(1, 6)], ["test_batch"]),
    "cifar100": ("cifar-100-python", ["train"], ["test"]),
}


def expected_files(name: str, split: str, root: Path) -> list[Path]:
    """The files :func:`read` needs for ``name``/``split`` below ``root``."""
    if name == "mnist":
        return [root / "MNIST" / "raw" / f for f in MNIST_FILES[split]]
    folder, train, test = CIFAR_FILES[name]
    return [root / folder / f for f in (train if split == "train" else test)]


def _idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST's format: a magic number, the sizes, then uint8 data)."""
    raw = path.read_bytes() if path.exists() else gzip.decompress(Path(f"{path}.gz").read_bytes())
    if raw[:2] != b"\x00\x00" or raw[2] != 0x08:
        raise ValueError(f"{path}: not an IDX file of unsigned bytes")
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: {data.size} bytes of data for dimensions {dims}")
    return data.reshape(dims)


def _batch(path: Path) -> dict:
    with open(path, "rb") as f:
        return pickle.load(f, encoding="latin1")  # noqa: S301 - the CIFAR format is a pickle


def has_files(name: str, split: str, root: Path) -> bool:
    """Whether every file of ``name``/``split`` is below ``root``."""
    return all(p.exists() or Path(f"{p}.gz").exists() for p in expected_files(name, split, root))


def read(name: str, split: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """The arrays of ``name``/``split`` from torchvision's files below ``root``."""
    files = expected_files(name, split, Path(root))
    if name == "mnist":
        x, y = _idx(files[0]), _idx(files[1])
    else:
        key = "labels" if name == "cifar10" else "fine_labels"
        batches = [_batch(p) for p in files]
        data = np.concatenate([np.asarray(b["data"], np.uint8) for b in batches])
        x = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        y = np.concatenate([np.asarray(b[key]) for b in batches])
    if len(x) != len(y):
        raise ValueError(f"{files[0].parent}: {len(x)} images but {len(y)} labels")
    return np.ascontiguousarray(x, np.uint8), np.asarray(y, np.uint8)


def write(name: str, split: str, root: Path, x: np.ndarray, y: np.ndarray) -> None:
    """Write ``x``, ``y`` in torchvision's files below ``root`` (tests; a reader's copy):
    the inverse of :func:`read`, one CIFAR training batch per 10,000 images."""
    files = expected_files(name, split, Path(root))
    files[0].parent.mkdir(parents=True, exist_ok=True)
    if name == "mnist":
        for path, arr, magic in ((files[0], x, 3), (files[1], y, 1)):
            head = bytes((0, 0, 8, magic)) + b"".join(d.to_bytes(4, "big") for d in arr.shape)
            path.write_bytes(head + np.ascontiguousarray(arr, np.uint8).tobytes())
        return
    key = "labels" if name == "cifar10" else "fine_labels"
    chunks = np.array_split(np.arange(len(x)), len(files))
    for path, idx in zip(files, chunks, strict=True):
        data = x[idx].transpose(0, 3, 1, 2).reshape(len(idx), -1)
        with open(path, "wb") as f:
            pickle.dump({"data": data, key: y[idx].tolist()}, f)
