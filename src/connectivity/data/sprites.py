"""The sprite-sheet format of ``../shared/data``, decoded and verified: every split is
checked against the sha256 of its manifest (:func:`decode_sprites`), and kept decoded
in the cache as ``.npy`` with its checksum beside it, recomputed on every load; a
cached copy that does not match is decoded again, with a :class:`DataCacheWarning`."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

from connectivity.locations import cache_dir

from .datasets import DataCacheWarning, DataIntegrityError, _short


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
