"""Where MNIST and the CIFARs are read from, in order (:func:`load_dataset`): a folder
the user names (and then no other), ``../shared/data`` beside the project
(:func:`shared_candidates`), a torchvision download into the cache; otherwise
:class:`DataNotFoundError`, listing every place that was tried."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from connectivity.locations import cache_dir, repo_root

from .datasets import DataNotFoundError, Dataset, _short, check_name
from .sprites import _from_sprites


def shared_candidates() -> list[Path]:
    """The ``../shared/data`` folders looked at, in order (project root, then cwd)."""
    out = []
    for base in (repo_root(), Path.cwd().resolve()):
        p = (base.parent / "shared" / "data").resolve()
        if p not in out:
            out.append(p)
    return out


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
