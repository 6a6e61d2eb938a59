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

One concept a module:

* :mod:`.datasets`: :class:`Dataset`, the data sets and splits, their statistics, the
  errors;
* :mod:`.sprites`: the sprite sheets decoded, verified and cached;
* :mod:`.loading`: :func:`load_dataset`, where each data set is looked for;
* :mod:`.imagenet`: :func:`load_imagenet_val`, the user's ImageNet validation folder;
* :mod:`.subsets`: :func:`image_subset`, the same random subset in every build.
"""

from .datasets import (
    DATASETS,
    MEAN,
    SPLITS,
    STD,
    DataCacheWarning,
    DataIntegrityError,
    DataNotFoundError,
    Dataset,
    check_name,
)
from .imagenet import IMAGENET_HELP, load_imagenet_val
from .loading import load_dataset, shared_candidates
from .sprites import decode_sprites
from .subsets import SUBSET_RULE, image_subset, subset_indices

__all__ = [
    "DATASETS",
    "IMAGENET_HELP",
    "MEAN",
    "SPLITS",
    "STD",
    "SUBSET_RULE",
    "DataCacheWarning",
    "DataIntegrityError",
    "DataNotFoundError",
    "Dataset",
    "check_name",
    "decode_sprites",
    "image_subset",
    "load_dataset",
    "load_imagenet_val",
    "shared_candidates",
    "subset_indices",
]
