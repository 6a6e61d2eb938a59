"""MNIST, CIFAR-10 and CIFAR-100 (and a user's ImageNet validation folder) as float
tensors in [0, 1], offline first.

Where MNIST and the CIFARs are looked for:

* a folder the user names (``root=`` or ``$CONNECTIVITY_DATA``), holding either this
  project's sprite-sheet format (``<root>/<name>/manifest.json``) or what
  ``torchvision.datasets`` downloads. A named folder is the **only** place looked in:
  when the data set is not there, :class:`DataNotFoundError` says what the folder
  holds, rather than quietly reading another copy;
* otherwise ``../shared/data`` beside the project (sprite sheets, see its README),
  then a torchvision download into the cache (machines with internet only);
* otherwise :class:`DataNotFoundError`, listing every place that was tried.

The sprite sheets are decoded once, checked against the manifest's sha256 and kept as
``.npy`` in the cache with their checksum beside them. Every later load recomputes the
checksum (well under a second) and decodes the sheets again, with a
:class:`DataCacheWarning`, when the cached copy does not match, so a damaged cache is
never served as data.

ImageNet cannot be downloaded (its licence): :func:`load_imagenet_val` reads a
validation folder that the user provides (``$CONNECTIVITY_IMAGENET``).

Normalisation is *not* applied here: every model normalises its own input.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import textwrap
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from .locations import cache_dir, repo_root

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


class DataNotFoundError(FileNotFoundError):
    """No copy of a data set could be found or downloaded."""


class DataIntegrityError(RuntimeError):
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


def shared_candidates() -> list[Path]:
    """The ``../shared/data`` folders looked at, in order (project root, then cwd)."""
    out = []
    for base in (repo_root(), Path.cwd().resolve()):
        p = (base.parent / "shared" / "data").resolve()
        if p not in out:
            out.append(p)
    return out


def _sha256(a: np.ndarray) -> str:
    """sha256 of the array's C-ordered bytes (as the manifests state it), without a copy."""
    return hashlib.sha256(memoryview(np.ascontiguousarray(a)).cast("B")).hexdigest()


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
            raise DataIntegrityError(
                f"{folder / fname}: sheet of shape {g.shape} does not hold {n} images of {shape}"
            )
        tiles = g.reshape(rows, h, cols, w, *g.shape[2:]).swapaxes(1, 2)
        parts.append(tiles.reshape(-1, h, w, *g.shape[2:])[:n])
    x = np.ascontiguousarray(np.concatenate(parts))
    try:
        y = np.load(folder / f"{split}-labels.npy").astype(np.uint8)
    except (OSError, ValueError) as e:
        raise DataIntegrityError(
            f"{folder / f'{split}-labels.npy'}: unreadable labels ({e})"
        ) from e
    if x.shape != (count, *shape) or y.shape != (count,):
        raise DataIntegrityError(
            f"{folder}: decoded {x.shape} images / {y.shape} labels, "
            f"manifest says {count} x {shape}"
        )
    if _sha256(x) != meta["images_sha256"]:
        raise DataIntegrityError(
            f"{folder}: {split} images do not match images_sha256 of the manifest (corrupted copy?)"
        )
    if _sha256(y) != meta["labels_sha256"]:
        raise DataIntegrityError(
            f"{folder}: {split} labels do not match labels_sha256 of the manifest (corrupted copy?)"
        )
    classes = (folder / "classes.txt").read_text().split("\n")
    classes = [c for c in classes if c]
    return x, y, classes, meta


def _cache_entry(folder: Path, split: str, meta: dict, name: str) -> tuple[Path, Path, Path]:
    """The decoded arrays of a split and the checksum file beside them."""
    key = f"{name}-{split}-{meta['images_sha256'][:16]}-{meta['labels_sha256'][:16]}"
    cdir = cache_dir("data")
    return cdir / f"{key}-x.npy", cdir / f"{key}-y.npy", cdir / f"{key}-sha256.json"


def _atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """``write(tmp)`` then rename: a reader (or a parallel worker) never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _save_npy(arr: np.ndarray) -> Callable[[Path], None]:
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.save(f, arr)

    return write


def _read_verified_cache(
    fx: Path, fy: Path, fsum: Path, meta: dict
) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
    """The cached arrays if their recomputed sha256 matches the checksum file beside them
    (and the manifest); ``None`` (with a :class:`DataCacheWarning` when a cache entry was
    there but wrong) when the split must be decoded again."""
    if not fsum.exists():
        return None  # never cached (or an unfinished write, or an entry of an older version)
    try:
        sums = json.loads(fsum.read_text())
        x, y = np.load(fx, allow_pickle=False), np.load(fy, allow_pickle=False)
        problems = []
        if x.shape != (meta["count"], *meta["shape"]) or x.dtype != np.uint8:
            problems.append(f"images of shape {x.shape} {x.dtype}")
        elif _sha256(x) != sums["images_sha256"]:
            problems.append(f"{fx.name} does not match its sha256")
        if y.shape != (meta["count"],) or y.dtype != np.uint8:
            problems.append(f"labels of shape {y.shape} {y.dtype}")
        elif _sha256(y) != sums["labels_sha256"]:
            problems.append(f"{fy.name} does not match its sha256")
        if (sums["images_sha256"], sums["labels_sha256"]) != (
            meta["images_sha256"],
            meta["labels_sha256"],
        ):
            problems.append(f"{fsum.name} differs from the manifest")
        classes = list(sums["classes"])
    except (OSError, ValueError, KeyError, TypeError, EOFError) as e:
        problems = [f"unreadable ({type(e).__name__}: {_short(str(e), 120)})"]
    if not problems:
        return x, y, classes
    warnings.warn(
        f"decoded data cache {fx.parent}/{fx.name.removesuffix('-x.npy')}-*: "
        + "; ".join(problems)
        + " - rebuilding it from the source",
        DataCacheWarning,
        stacklevel=4,
    )
    return None


def _from_sprites(folder: Path, split: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decoded arrays of a sprite-sheet folder, through a ``.npy`` cache that is verified
    on every load: the sha256 of the arrays is recomputed and compared with the checksum
    file beside them (well under a second for the largest split); an entry that does not
    match is rebuilt from the sprite sheets, with a :class:`DataCacheWarning`."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        meta = manifest["splits"][split]
    except (OSError, ValueError, KeyError) as e:
        raise DataIntegrityError(f"{folder / 'manifest.json'}: unreadable manifest ({e})") from e
    fx, fy, fsum = _cache_entry(folder, split, meta, manifest.get("name", folder.name))
    cached = _read_verified_cache(fx, fy, fsum, meta)
    if cached is not None:
        return cached
    x, y, classes, _ = decode_sprites(folder, split)  # verified against the manifest
    _atomic_write(fx, _save_npy(x))
    _atomic_write(fy, _save_npy(y))
    sums = {
        "images_sha256": meta["images_sha256"],
        "labels_sha256": meta["labels_sha256"],
        "classes": classes,
        "source": str(folder),
    }
    # written last: its presence marks a complete entry
    _atomic_write(fsum, lambda tmp: tmp.write_text(json.dumps(sums, indent=1)))
    return x, y, classes


def _from_torchvision(name: str, split: str, root: Path, download: bool):
    """Arrays from a torchvision-format folder (optionally downloading into it)."""
    import torchvision

    cls = {
        "mnist": torchvision.datasets.MNIST,
        "cifar10": torchvision.datasets.CIFAR10,
        "cifar100": torchvision.datasets.CIFAR100,
    }[name]
    ds = cls(str(root), train=(split == "train"), download=download)
    x = ds.data.numpy() if torch.is_tensor(ds.data) else np.asarray(ds.data)
    y = ds.targets.numpy() if torch.is_tensor(ds.targets) else np.asarray(ds.targets)
    return x.astype(np.uint8), y.astype(np.uint8), list(ds.classes)


def _to_tensors(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    xt = torch.from_numpy(np.ascontiguousarray(x))
    xt = xt.unsqueeze(1) if xt.ndim == 3 else xt.permute(0, 3, 1, 2)  # -> (N, C, H, W)
    return xt.float().div_(255.0).contiguous(), torch.from_numpy(y.astype(np.int64))


def _listing(folder: Path, limit: int = 12) -> str:
    """What a folder holds, for an error message."""
    if not folder.exists():
        return "nothing: the folder does not exist"
    if not folder.is_dir():
        return "nothing: it is a file, not a folder"
    entries = sorted(p.name + ("/" if p.is_dir() else "") for p in folder.iterdir())
    if not entries:
        return "nothing: the folder is empty"
    more = f", ... ({len(entries)} entries)" if len(entries) > limit else ""
    return ", ".join(entries[:limit]) + more


def _from_user_folder(name: str, split: str, base: Path, named_by: str) -> Dataset:
    """``name`` from the folder the user named: sprite sheets or torchvision's format."""
    folder = base / name
    if (folder / "manifest.json").is_file():
        x, y, classes = _from_sprites(folder, split)
        return Dataset(name, split, *_to_tensors(x, y), classes, source=str(folder))
    tried = [f"{folder}/manifest.json (sprite sheets, the format of ../shared/data)"]
    if base.is_dir():
        try:
            x, y, classes = _from_torchvision(name, split, base, download=False)
            return Dataset(name, split, *_to_tensors(x, y), classes, source=str(base))
        except (RuntimeError, OSError) as e:
            tried.append(f"{base} (torchvision format: {_short(str(e), 120)})")
    raise DataNotFoundError(
        f"dataset {name!r} ({split}) is not in {base}, the folder that {named_by} names "
        "(a named folder is the only place looked in).\n"
        f"Found there: {_listing(base)}.\nLooked for:\n  - " + "\n  - ".join(tried) + "\n"
        f"Put {name} there in either format, or unset {named_by} to use ../shared/data."
    )


def load_dataset(
    name: str,
    split: str = "train",
    root: str | os.PathLike | None = None,
    download: bool = True,
) -> Dataset:
    """Load one split of ``mnist``, ``cifar10`` or ``cifar100``.

    Returns a :class:`Dataset` with x: (N, C, H, W) float32 in [0, 1] and y: (N,) int64.
    ``root`` (or ``$CONNECTIVITY_DATA``) names the folder to read from (and then no
    other); ``download`` allows a torchvision download into the cache as a last resort
    when no folder is named.

    >>> ds = load_dataset("mnist", "test")  # doctest: +SKIP
    >>> ds.x.shape, ds.y[:3].tolist()  # doctest: +SKIP
    (torch.Size([10000, 1, 28, 28]), [7, 2, 1])
    """
    check_name(name, split)
    env = os.environ.get("CONNECTIVITY_DATA")
    if root is not None or env:
        named_by = "root=" if root is not None else "CONNECTIVITY_DATA"
        base = Path(root if root is not None else env).expanduser().resolve()
        return _from_user_folder(name, split, base, named_by)
    tried: list[str] = []
    for base in shared_candidates():
        folder = base / name
        if (folder / "manifest.json").is_file():
            x, y, classes = _from_sprites(folder, split)
            return Dataset(name, split, *_to_tensors(x, y), classes, source=str(folder))
        tried.append(f"{folder}/manifest.json (sprite sheets)")
    if download:
        target = cache_dir("torchvision")
        try:
            x, y, classes = _from_torchvision(name, split, target, download=True)
            source = f"torchvision download into {target}"
            return Dataset(name, split, *_to_tensors(x, y), classes, source=source)
        except Exception as e:  # no internet shows up as many different exceptions
            why = _short(f"{type(e).__name__}: {e}")
            tried.append(f"torchvision download into {target} (failed: {why})")
    else:
        tried.append("torchvision download (disabled)")
    raise DataNotFoundError(
        f"dataset {name!r} ({split}) not found. Looked in:\n  - "
        + "\n  - ".join(tried)
        + "\nPut the data in ../shared/data (see its README) or set CONNECTIVITY_DATA to a"
        " folder holding it."
    )


# ---------------------------------------------------------------- ImageNet (user-supplied)

IMAGENET_HELP = (
    "Set CONNECTIVITY_IMAGENET to the ImageNet (ILSVRC2012) validation images in "
    "torchvision's ImageFolder layout: one sub-folder per class, named by its WordNet id "
    "(n01440764/, n01443537/, ...; all 1000 of them, so that the sorted folder order is "
    "ImageNet's class index), each holding that class's validation JPEGs "
    "(<CONNECTIVITY_IMAGENET>/n01440764/ILSVRC2012_val_00000293.JPEG). ImageNet cannot be "
    "downloaded automatically (its licence): get it from image-net.org and sort the "
    "validation images into class folders (e.g. with the usual valprep.sh)."
)


def _image_files(folder: Path) -> list[Path]:
    from torchvision.datasets.folder import IMG_EXTENSIONS

    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMG_EXTENSIONS)


def _imagenet_names(wnids: list[str]) -> list[str]:
    """Readable class names when the folder holds all 1000 classes, else the WordNet ids."""
    if len(wnids) != 1000:
        return list(wnids)
    from torchvision.models import GoogLeNet_Weights

    return list(GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])


def load_imagenet_val(
    classes: int | None = None,
    per_class: int | None = None,
    seed: int = 0,
    root: str | os.PathLike | None = None,
    resize: int = 256,
    crop: int = 224,
) -> Dataset:
    """Images of a user-supplied ImageNet validation folder (``root`` or
    ``$CONNECTIVITY_IMAGENET``, torchvision ImageFolder layout, see ``IMAGENET_HELP``).

    The first ``classes`` class folders in sorted order (all when ``None``), and from each
    ``per_class`` images drawn at random with ``seed`` (all when ``None``), each resized so
    that its shorter side is ``resize`` pixels (bilinear, antialiased) and centre-cropped
    to ``crop`` x ``crop``: torchvision's ImageNet evaluation transform, without the
    normalisation (the models normalise their own input). Labels are the class folders'
    positions in sorted order, which are ImageNet's class indices when the folder holds
    all 1000 classes.

    Returns a :class:`Dataset` with x: (classes * per_class, 3, crop, crop) float32 in
    [0, 1], y: (classes * per_class,) int64 and the names of the classes used (WordNet
    ids, or readable names for a complete folder). Note the memory: at the paper's scale
    (1000 classes x 14 images at 224 px) x takes 8.4 GB.

    >>> val = load_imagenet_val(classes=10, per_class=14, seed=0)  # doctest: +SKIP
    >>> val.x.shape  # doctest: +SKIP
    torch.Size([140, 3, 224, 224])
    """
    import torchvision.transforms.v2.functional as TF
    from PIL import Image, UnidentifiedImageError

    env = os.environ.get("CONNECTIVITY_IMAGENET")
    if root is None and not env:
        raise DataNotFoundError(
            "ImageNet validation images: CONNECTIVITY_IMAGENET is not set. " + IMAGENET_HELP
        )
    named_by = "root=" if root is not None else "CONNECTIVITY_IMAGENET"
    base = Path(root if root is not None else env).expanduser().resolve()
    wnids = sorted(p.name for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
    wnids = [w for w in wnids if not w.startswith(".") and _image_files(base / w)]
    if not wnids:
        raise DataNotFoundError(
            f"ImageNet validation images: {base} (named by {named_by}) holds no class folder "
            f"with images. Found there: {_listing(base)}. " + IMAGENET_HELP
        )
    n_classes = len(wnids) if classes is None else classes
    if not 1 <= n_classes <= len(wnids):
        raise DataNotFoundError(
            f"ImageNet validation images: {n_classes} classes asked for, {base} holds "
            f"{len(wnids)} class folder(s) with images. " + IMAGENET_HELP
        )
    names = _imagenet_names(wnids)
    files: list[tuple[Path, int]] = []
    for label, wnid in enumerate(wnids[:n_classes]):
        images = _image_files(base / wnid)
        if per_class is not None:
            if len(images) < per_class:
                raise DataNotFoundError(
                    f"ImageNet validation images: {per_class} images per class asked for, "
                    f"{base / wnid} holds {len(images)}"
                )
            rng = np.random.default_rng([seed, label])
            images = [images[i] for i in sorted(rng.choice(len(images), per_class, replace=False))]
        files += [(f, label) for f in images]
    x = torch.empty(len(files), 3, crop, crop)
    for i, (path, _) in enumerate(files):
        try:
            with Image.open(path) as im:
                img = TF.pil_to_tensor(im.convert("RGB"))
        except (OSError, UnidentifiedImageError) as e:
            raise DataIntegrityError(f"{path}: cannot decode image ({e})") from e
        img = TF.resize(img, [resize], antialias=True)
        x[i] = TF.center_crop(img, [crop, crop]).float().div_(255.0)
    y = torch.tensor([label for _, label in files], dtype=torch.int64)
    return Dataset("imagenet", "val", x, y, names[:n_classes], source=str(base))


# how test subsets are drawn (part of the cache key of a config that uses one)
SUBSET_RULE = "randperm-seed0-sorted"


def subset_indices(size: int, n: int | None) -> torch.Tensor:
    """The indices (ascending) of :func:`image_subset`'s ``n`` of ``size`` images; all of
    them when ``n`` is None or not smaller."""
    if n is None or n >= size:
        return torch.arange(size)
    return torch.randperm(size, generator=torch.Generator().manual_seed(0))[:n].sort().values


def image_subset(ds: Dataset, n: int | None) -> Dataset:
    """``n`` images of ``ds`` drawn at random with seed 0 (kept in their order), or ``ds``
    itself when ``n`` is None or not smaller. Not the first n: the decoded test sets are
    sorted by class, so their first 2,000 CIFAR-10 images are airplanes and cars."""
    if n is None or n >= len(ds):
        return ds
    keep = subset_indices(len(ds), n)
    return replace(ds, x=ds.x[keep], y=ds.y[keep], source=f"{ds.source}[{n} at random, seed 0]")
