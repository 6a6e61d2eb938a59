"""One order of every split, whatever the source: the book's draws pick images by index
(:mod:`.subsets`, every pair draw after it), so a copy in another order would draw
other images and compute other numbers.

The reference order is the one of ``../shared/data`` (MNIST: the official IDX order;
the CIFARs: by class, then by the original file name — the CIFAR batch order cannot be
had offline). It is committed as one 8-byte digest per image (``order/<name>-<split>
.npy``: BLAKE2b of the image's bytes and its label), with the sha256 of the whole
arrays in that order (``order/manifest.json``). :func:`to_reference_order` puts the
arrays of any source (a torchvision download, a torchvision folder, a copy of the
sprites) into that order and checks the result against those sha256; a source whose
images differ — missing, extra or altered images, other labels — is refused with
:class:`DataOrderError`, saying how many differ.

Identical images with the same label are interchangeable: any assignment of them gives
the same arrays (and the sha256 check says so).

``python -m connectivity.data.order --write`` rebuilds the digest lists from
``../shared/data`` (only when the reference itself changes).

>>> d = image_digests(np.zeros((2, 1, 1), np.uint8), np.array([0, 1], np.uint8))
>>> d.dtype, len(set(d.tolist()))
(dtype('uint64'), 2)
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from connectivity.locations import repo_root

from .datasets import DATASETS, SPLITS, DataIntegrityError
from .sprites import _sha256, decode_sprites

ORDER_DIR = Path(__file__).resolve().parent / "order"


class DataOrderError(DataIntegrityError):
    """A source's images are not the reference images (so they cannot be put in its order)."""


def image_digests(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """One 64-bit BLAKE2b digest per (image, label): x (N, ...) uint8, y (N,) → (N,) uint64."""
    x = np.ascontiguousarray(x, dtype=np.uint8).reshape(len(x), -1)
    y = np.asarray(y, dtype=np.uint8)
    out = np.empty(len(x), np.uint64)
    for i in range(len(x)):
        h = hashlib.blake2b(x[i].tobytes(), digest_size=8)
        h.update(bytes((int(y[i]),)))
        out[i] = int.from_bytes(h.digest(), "little")
    return out


def reference(name: str, split: str) -> tuple[np.ndarray, dict]:
    """The committed digests of ``name``/``split`` and their manifest entry
    (``count``, ``shape``, ``images_sha256``, ``labels_sha256``, ``classes``)."""
    manifest = json.loads((ORDER_DIR / "manifest.json").read_text())
    entry = manifest[name][split]
    digests = np.load(ORDER_DIR / f"{name}-{split}.npy", allow_pickle=False)
    if len(digests) != entry["count"]:
        raise DataIntegrityError(f"{ORDER_DIR}/{name}-{split}.npy: not {entry['count']} digests")
    return digests, entry | {"classes": manifest[name]["classes"]}


def to_reference_order(
    name: str, split: str, x: np.ndarray, y: np.ndarray, source: str
) -> tuple[np.ndarray, np.ndarray]:
    """``x`` (N, H, W[, 3]) uint8 and ``y`` (N,) of ``source`` in the reference order,
    verified against the reference's sha256; :class:`DataOrderError` when the images
    differ from the reference's (naming ``source`` and how many differ)."""
    ref, entry = reference(name, split)
    shape = tuple(entry["shape"])
    if tuple(x.shape[1:]) != shape:
        raise DataOrderError(
            f"{name} ({split}) from {source}: images of shape {tuple(x.shape[1:])}, "
            f"the reference's are {shape}"
        )
    got = image_digests(x, y)
    if len(got) != len(ref) or not np.array_equal(np.sort(got), np.sort(ref)):
        missing = np.setdiff1d(ref, got).size
        extra = np.setdiff1d(got, ref).size
        raise DataOrderError(
            f"{name} ({split}) from {source} is not the reference data set: {len(got)} images "
            f"where the reference has {len(ref)}; {missing} reference image(s) (with their "
            f"labels) missing, {extra} image(s) not in the reference. A different or "
            "altered copy would draw other images: remove it or name another folder."
        )
    at_source, at_ref = np.argsort(got, kind="stable"), np.argsort(ref, kind="stable")
    perm = np.empty(len(ref), np.int64)
    perm[at_ref] = at_source  # reference position k holds the source image with its digest
    x, y = np.ascontiguousarray(x[perm]), np.ascontiguousarray(y[perm].astype(np.uint8))
    if _sha256(x) != entry["images_sha256"] or _sha256(y) != entry["labels_sha256"]:
        raise DataOrderError(  # a digest collision, or two images sharing one digest
            f"{name} ({split}) from {source}: reordered to the reference digests but the "
            "arrays do not match the reference sha256"
        )
    return x, y


def write_reference(shared: Path) -> None:
    """Write the digest lists and manifest from the sprite sheets in ``shared``."""
    ORDER_DIR.mkdir(exist_ok=True)
    manifest: dict = {}
    for name in DATASETS:
        manifest[name] = {}
        for split in SPLITS:
            x, y, classes, meta = decode_sprites(shared / name, split)
            np.save(ORDER_DIR / f"{name}-{split}.npy", image_digests(x, y))
            manifest[name]["classes"] = classes
            manifest[name][split] = {
                "count": int(meta["count"]),
                "shape": list(meta["shape"]),
                "images_sha256": meta["images_sha256"],
                "labels_sha256": meta["labels_sha256"],
            }
    (ORDER_DIR / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rebuild the digest lists")
    parser.add_argument(
        "--shared",
        type=Path,
        default=repo_root().parent / "shared" / "data",
        help="the sprite-sheet folder of the reference order (default ../shared/data)",
    )
    args = parser.parse_args(argv)
    if not args.write:
        parser.print_help()
        return
    if not (args.shared / "mnist" / "manifest.json").is_file():
        raise SystemExit(f"no sprite sheets in {args.shared}: nothing to write from")
    write_reference(args.shared)
    print(f"wrote {ORDER_DIR}")


if __name__ == "__main__":
    main()
