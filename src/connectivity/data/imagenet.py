"""ImageNet validation images from a folder the user provides (``$CONNECTIVITY_IMAGENET``):
ImageNet cannot be downloaded (its licence)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from .datasets import DataIntegrityError, DataNotFoundError, Dataset
from .loading import _listing

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
