"""Where MNIST and the CIFARs are read from, in order (:func:`load_dataset`): a folder
the user names (and then no other), ``../shared/data`` beside the project
(:func:`shared_candidates`), a torchvision download into the cache; otherwise
:class:`DataNotFoundError`, listing every place that was tried."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import torch
import torchvision

from connectivity import provenance
from connectivity.locations import cache_dir, repo_root

from . import torchvision_files
from .datasets import DataNotFoundError, Dataset, _short, check_name
from .order import DataOrderError, reference, to_reference_order
from .sprites import _atomic_write, _from_sprites, _read_verified_cache, _save_npy


def shared_candidates() -> list[Path]:
    """The ``../shared/data`` folders looked at, in order (project root, then cwd)."""
    out = []
    for base in (repo_root(), Path.cwd().resolve()):
        p = (base.parent / "shared" / "data").resolve()
        if p not in out:
            out.append(p)
    return out


def _from_torchvision(name: str, split: str, root: Path, download: bool):
    """Arrays from torchvision's files below ``root`` (downloading them there first when
    ``download``), put in the reference order (:mod:`.order`), with the reference's class
    names."""
    if download and not torchvision_files.has_files(name, split, root):
        cls = {
            "mnist": torchvision.datasets.MNIST,
            "cifar10": torchvision.datasets.CIFAR10,
            "cifar100": torchvision.datasets.CIFAR100,
        }[name]
        cls(str(root), train=(split == "train"), download=True)  # checks the files' MD5
    if not torchvision_files.has_files(name, split, root):
        wanted = ", ".join(str(p) for p in torchvision_files.expected_files(name, split, root))
        raise OSError(f"torchvision's files are not there ({wanted})")
    entry = reference(name, split)[1]
    fx, fy, fsum = _reordered_entry(name, split, root)
    cached = _read_verified_cache(fx, fy, fsum, entry)  # checked against the reference
    if cached is not None:
        return cached
    x, y = torchvision_files.read(name, split, root)
    x, y = to_reference_order(name, split, x, y, source=f"torchvision files in {root}")
    _atomic_write(fx, _save_npy(x))
    _atomic_write(fy, _save_npy(y))
    sums = {k: entry[k] for k in ("images_sha256", "labels_sha256", "classes")}
    # written last: its presence marks a complete entry
    _atomic_write(fsum, lambda tmp: tmp.write_text(json.dumps(sums | {"source": str(root)})))
    return x, y, entry["classes"]


def _reordered_entry(name: str, split: str, root: Path) -> tuple[Path, Path, Path]:
    """Where torchvision's files below ``root``, put in the reference order, are kept
    decoded: keyed by the files' paths, sizes and modification times, so a rewritten
    file is read and reordered again, and an unchanged one is not (it costs a second a
    split)."""
    stamp = []
    for path in torchvision_files.expected_files(name, split, root):
        found = path if path.exists() else Path(f"{path}.gz")
        st = found.stat()
        stamp.append([str(found.resolve()), st.st_size, st.st_mtime_ns])
    key = hashlib.sha256(json.dumps(stamp).encode()).hexdigest()[:16]
    base = cache_dir("data") / f"{name}-{split}-torchvision-{key}"
    return Path(f"{base}-x.npy"), Path(f"{base}-y.npy"), Path(f"{base}-sha256.json")


def _sprites_in_reference_order(name: str, split: str, folder: Path):
    """A sprite folder's arrays: the reference itself (``../shared/data``), or a copy in
    another order or of other images, which is reordered or refused (:mod:`.order`)."""
    x, y, classes = _from_sprites(folder, split)  # verified against the folder's manifest
    entry = reference(name, split)[1]
    meta = json.loads((folder / "manifest.json").read_text())["splits"][split]
    if (meta["images_sha256"], meta["labels_sha256"]) == (
        entry["images_sha256"],
        entry["labels_sha256"],
    ):
        return x, y, classes  # the manifest is the reference's: no second hash of the arrays
    x, y = to_reference_order(name, split, x, y, source=f"sprite sheets in {folder}")
    return x, y, entry["classes"]


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
        x, y, classes = _sprites_in_reference_order(name, split, folder)
        return Dataset(name, split, *_to_tensors(x, y), classes, source=str(folder))
    tried = [f"{folder}/manifest.json (sprite sheets, the format of ../shared/data)"]
    if base.is_dir():
        try:
            x, y, classes = _from_torchvision(name, split, base, download=False)
            return Dataset(name, split, *_to_tensors(x, y), classes, source=str(base))
        except (OSError, ValueError, KeyError) as e:  # a wrong copy raises DataOrderError
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
    ds = _load(name, split, root, download)
    provenance.note_data(name, split, ds.source)
    return ds


def _load(name: str, split: str, root: str | os.PathLike | None, download: bool) -> Dataset:
    env = os.environ.get("CONNECTIVITY_DATA")
    if root is not None or env:
        named_by = "root=" if root is not None else "CONNECTIVITY_DATA"
        base = Path(root if root is not None else env).expanduser().resolve()
        return _from_user_folder(name, split, base, named_by)
    tried: list[str] = []
    for base in shared_candidates():
        folder = base / name
        if (folder / "manifest.json").is_file():
            x, y, classes = _sprites_in_reference_order(name, split, folder)
            return Dataset(name, split, *_to_tensors(x, y), classes, source=str(folder))
        tried.append(f"{folder}/manifest.json (sprite sheets)")
    if download:
        target = cache_dir("torchvision")
        try:
            x, y, classes = _from_torchvision(name, split, target, download=True)
            source = f"torchvision download into {target}"
            return Dataset(name, split, *_to_tensors(x, y), classes, source=source)
        except DataOrderError:
            raise  # the download is not the reference data set: never served
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
