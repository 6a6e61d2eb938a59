"""MNIST, CIFAR-10 and CIFAR-100 as float tensors in [0, 1], offline first.

Where a data set is looked for, in order:

1. a directory the user names (``root=`` or ``$CONNECTIVITY_DATA``), holding
   either this project's sprite-sheet format (``<root>/<name>/manifest.json``)
   or what ``torchvision.datasets`` downloads;
2. ``../shared/data`` beside the project (sprite sheets, see its README);
3. a torchvision download into the cache (machines with internet only);
4. otherwise :class:`DataNotFoundError`, listing every place that was tried.

The sprite sheets are decoded once, checked against the manifest's sha256 and
kept as ``.npy`` in the cache, so later loads take well under a second.
Normalisation is *not* applied here: every model normalises its own input.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .locations import cache_dir, repo_root

DATASETS = ("mnist", "cifar10", "cifar100")
SPLITS = ("train", "test")

# Per-channel statistics of the training splits, used by the models' input layer.
MEAN = {"mnist": (0.1307,), "cifar10": (0.4914, 0.4822, 0.4465), "cifar100": (0.5071, 0.4865, 0.4409)}
STD = {"mnist": (0.3081,), "cifar10": (0.2470, 0.2435, 0.2616), "cifar100": (0.2673, 0.2564, 0.2762)}


class DataNotFoundError(FileNotFoundError):
    """No copy of a data set could be found or downloaded."""


class DataIntegrityError(RuntimeError):
    """A data file is corrupted: its content does not match the manifest."""


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
        raise ValueError(f"unknown dataset {name!r}; choose one of {', '.join(DATASETS)}")
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")


def shared_candidates() -> list[Path]:
    """The ``../shared/data`` folders looked at, in order (project root, then cwd)."""
    out = []
    for base in (repo_root(), Path.cwd().resolve()):
        p = (base.parent / "shared" / "data").resolve()
        if p not in out:
            out.append(p)
    return out


def _sha256(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def decode_sprites(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str], dict]:
    """Decode one split of a sprite-sheet folder and verify it against its manifest.

    Returns x: (N, H, W[, 3]) uint8, y: (N,) uint8, class names, the split's manifest.
    Raises :class:`DataIntegrityError` on any mismatch or undecodable file.
    """
    from PIL import Image

    folder = Path(folder)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        meta = manifest["splits"][split]
        chunk, cols = manifest["chunk"], manifest["columns"]
    except (OSError, ValueError, KeyError) as e:
        raise DataIntegrityError(f"{folder / 'manifest.json'}: unreadable manifest ({e})") from e
    shape, count = tuple(meta["shape"]), meta["count"]
    h, w = shape[:2]
    parts = []
    for i, fname in enumerate(meta["files"]):
        n = min(chunk, count - i * chunk)
        try:
            with Image.open(folder / fname) as im:
                g = np.asarray(im.convert("RGB"))
        except Exception as e:  # PIL raises many kinds of errors on broken files
            raise DataIntegrityError(f"{folder / fname}: cannot decode image sheet ({e})") from e
        if len(shape) == 2:
            g = g[..., 0]
        rows = g.shape[0] // h
        if g.shape[0] != rows * h or g.shape[1] != cols * w or rows * cols < n:
            raise DataIntegrityError(f"{folder / fname}: sheet of shape {g.shape} does not hold {n} images of {shape}")
        tiles = g.reshape(rows, h, cols, w, *g.shape[2:]).swapaxes(1, 2)
        parts.append(tiles.reshape(-1, h, w, *g.shape[2:])[:n])
    x = np.ascontiguousarray(np.concatenate(parts))
    try:
        y = np.load(folder / f"{split}-labels.npy").astype(np.uint8)
    except (OSError, ValueError) as e:
        raise DataIntegrityError(f"{folder / f'{split}-labels.npy'}: unreadable labels ({e})") from e
    if x.shape != (count, *shape) or y.shape != (count,):
        raise DataIntegrityError(f"{folder}: decoded {x.shape} images / {y.shape} labels, manifest says {count} x {shape}")
    if _sha256(x) != meta["images_sha256"]:
        raise DataIntegrityError(f"{folder}: {split} images do not match images_sha256 of the manifest (corrupted copy?)")
    if _sha256(y) != meta["labels_sha256"]:
        raise DataIntegrityError(f"{folder}: {split} labels do not match labels_sha256 of the manifest (corrupted copy?)")
    classes = (folder / "classes.txt").read_text().split("\n")
    classes = [c for c in classes if c]
    return x, y, classes, meta


def _from_sprites(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decoded arrays of a sprite-sheet folder, through a verified ``.npy`` cache."""
    manifest = json.loads((folder / "manifest.json").read_text())
    meta = manifest["splits"][split]
    key = f"{manifest.get('name', folder.name)}-{split}-{meta['images_sha256'][:16]}-{meta['labels_sha256'][:16]}"
    cdir = cache_dir("data")
    fx, fy, fc = cdir / f"{key}-x.npy", cdir / f"{key}-y.npy", cdir / f"{key}-classes.json"
    if fx.exists() and fy.exists() and fc.exists():
        x = np.load(fx)
        if x.shape == (meta["count"], *meta["shape"]):
            return x, np.load(fy), json.loads(fc.read_text())
    x, y, classes, _ = decode_sprites(folder, split)
    for path, arr in ((fx, x), (fy, y)):
        tmp = path.with_suffix(".tmp.npy")
        np.save(tmp, arr)
        os.replace(tmp, path)
    fc.write_text(json.dumps(classes))
    return x, y, classes


def _from_torchvision(name: str, split: str, root: Path, download: bool):
    """Arrays from a torchvision-format folder (optionally downloading into it)."""
    import torchvision

    cls = {"mnist": torchvision.datasets.MNIST, "cifar10": torchvision.datasets.CIFAR10,
           "cifar100": torchvision.datasets.CIFAR100}[name]
    ds = cls(str(root), train=(split == "train"), download=download)
    x = ds.data.numpy() if torch.is_tensor(ds.data) else np.asarray(ds.data)
    y = ds.targets.numpy() if torch.is_tensor(ds.targets) else np.asarray(ds.targets)
    return x.astype(np.uint8), y.astype(np.uint8), list(ds.classes)


def _to_tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    xt = torch.from_numpy(np.ascontiguousarray(x))
    xt = xt.unsqueeze(1) if xt.ndim == 3 else xt.permute(0, 3, 1, 2)  # -> (N, C, H, W)
    return xt.float().div_(255.0).contiguous(), torch.from_numpy(y.astype(np.int64))


def load_dataset(name: str, split: str = "train", root: str | os.PathLike | None = None,
                 download: bool = True) -> Dataset:
    """Load one split of ``mnist``, ``cifar10`` or ``cifar100``.

    Returns a :class:`Dataset` with x: (N, C, H, W) float32 in [0, 1] and y: (N,) int64.
    ``root`` (or ``$CONNECTIVITY_DATA``) names a folder to look in first; ``download``
    allows the torchvision download as a last resort.
    """
    check_name(name, split)
    tried: list[str] = []
    user = root if root is not None else os.environ.get("CONNECTIVITY_DATA")
    places: list[tuple[str, Path]] = []
    if user:
        places.append(("user", Path(user).expanduser().resolve()))
    places += [("shared", p) for p in shared_candidates()]
    for kind, base in places:
        folder = base / name
        if (folder / "manifest.json").is_file():
            x, y, classes = _from_sprites(folder, split)
            return Dataset(name, split, *_to_tensors(x, y), classes, source=str(folder))
        tried.append(f"{folder}/manifest.json (sprite sheets)")
        if kind == "user":
            try:
                x, y, classes = _from_torchvision(name, split, base, download=False)
                return Dataset(name, split, *_to_tensors(x, y), classes, source=str(base))
            except (RuntimeError, OSError) as e:
                tried.append(f"{base} (torchvision format: {str(e).splitlines()[0]})")
    if download:
        target = cache_dir("torchvision")
        try:
            x, y, classes = _from_torchvision(name, split, target, download=True)
            return Dataset(name, split, *_to_tensors(x, y), classes, source=f"torchvision download into {target}")
        except Exception as e:  # no internet shows up as many different exceptions
            tried.append(f"torchvision download into {target} (failed: {type(e).__name__}: {str(e)[:200]})")
    else:
        tried.append("torchvision download (disabled)")
    raise DataNotFoundError(
        f"dataset {name!r} ({split}) not found. Looked in:\n  - " + "\n  - ".join(tried)
        + "\nPut the data in ../shared/data (see its README) or set CONNECTIVITY_DATA to a folder holding it."
    )


def class_subset(ds: Dataset, classes: list[int] | tuple[int, ...]) -> Dataset:
    """The samples of ``ds`` whose label is in ``classes`` (labels kept as they are)."""
    mask = torch.isin(ds.y, torch.as_tensor(list(classes)))
    return Dataset(ds.name, ds.split, ds.x[mask], ds.y[mask], ds.classes, ds.source)
