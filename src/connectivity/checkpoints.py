"""The store of the trained classifiers committed with the book: it reads, verifies and
writes checkpoint files, and nothing else (training into it: :mod:`connectivity.model_store`).

The committed models live under ``src/connectivity/trained_models/`` (or
``$CONNECTIVITY_MODELS``) with a ``manifest.json`` that holds, per model: the cache key of
its :class:`~connectivity.training.TrainConfig` (and its hash, part of the file name), the
file's sha256 and size, and what its writer adds (the recipe's training history, the
float32 evaluation of the stored weights, where and how it was trained, the commit).

:func:`connectivity.training.train_classifier` looks here first: a config whose key is
in the manifest is loaded from its file after the sha256 check (a mismatch raises
:class:`ModelIntegrityError`, never a silent retraining or a wrong model); any other
config (a changed recipe field, another profile) is trained and cached as before. So
every CPU uses the same weights, and a changed recipe can never be served a stale model.

Weight tensors of at least :data:`HALF_MIN_NUMEL` elements are stored in float16 (relative
rounding <= 2**-11) to keep the folder small (~16 MB instead of ~32 MB); every chapter,
and the evaluation in the manifest, uses exactly the stored weights, restored to float32.

>>> sorted(read_manifest(Path("/nonexistent")))
['format', 'models']
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from . import provenance
from .caching import _file_sha256, _jsonable, _write_atomic, param_hash
from .errors import ReaderError

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
# float tensors at least this large (conv and linear weights) are stored in float16;
# BatchNorm statistics, biases and small tensors stay in float32
HALF_MIN_NUMEL = 1024
_FP16_MAX = 65504.0


class ModelIntegrityError(ReaderError, RuntimeError):
    """A committed model's file does not match the sha256 in its manifest."""


def store_dir() -> Path:
    """The folder of the committed models: ``$CONNECTIVITY_MODELS``, else
    ``trained_models/`` beside this module."""
    env = os.environ.get("CONNECTIVITY_MODELS")
    return Path(env) if env else Path(__file__).resolve().parent / "trained_models"


def read_manifest(folder: Path | None = None) -> dict:
    """The manifest of ``folder`` (default :func:`store_dir`): {"format", "models":
    {name: entry}}; an empty one where there is none."""
    path = (folder or store_dir()) / MANIFEST
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "models": {}}
    manifest = json.loads(path.read_text())
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ModelIntegrityError(
            f"{path} has format {manifest.get('format')!r}, this code reads {MANIFEST_FORMAT}"
        )
    return manifest


def _write_manifest(manifest: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.chmod(folder / MANIFEST, 0o644)  # mkstemp makes it private; the folder is committed


def lookup(cache_key: dict, folder: Path | None = None) -> tuple[str, dict] | None:
    """``(name, entry)`` of the committed model trained with ``cache_key`` (a
    ``TrainConfig.cache_key()``), or None when no committed model has that key."""
    key_hash = param_hash(cache_key)
    for name, entry in read_manifest(folder)["models"].items():
        if entry["key_hash"] == key_hash:
            if entry["cache_key"] != _jsonable(cache_key):  # a hash collision is no match
                continue
            return name, entry
    return None


def half_storage(state_dict: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The state dict as stored: float32 tensors of >= :data:`HALF_MIN_NUMEL` elements
    whose values fit float16 in float16, every other tensor as it is (on the CPU);
    with the names of the tensors converted."""
    stored, halved = {}, []
    for name, t in state_dict.items():
        t = t.detach().cpu()
        fits = t.dtype == torch.float32 and t.numel() >= HALF_MIN_NUMEL
        if fits and torch.isfinite(t).all() and t.abs().max() < _FP16_MAX:
            halved.append(name)
            t = t.half()
        stored[name] = t.clone()
    return stored, halved


def restore(stored: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The stored state dict in float32 (float16 tensors widened; others unchanged)."""
    return {k: v.float() if v.dtype == torch.float16 else v for k, v in stored.items()}


def load_state_dict(entry: dict, folder: Path | None = None) -> dict[str, torch.Tensor]:
    """The float32 state dict of a manifest ``entry``, after checking its file's sha256.

    Raises :class:`ModelIntegrityError` when the file is missing or differs from the
    manifest (e.g. one flipped byte): restore it (``git checkout``) or retrain it
    (``make models``)."""
    path = (folder or store_dir()) / entry["file"]
    if not path.exists():
        raise ModelIntegrityError(f"committed model {path} is missing (see {MANIFEST})")
    actual = _file_sha256(path)
    if actual != entry["sha256"]:
        raise ModelIntegrityError(
            f"committed model {path} does not match its manifest: sha256 {actual[:16]}... "
            f"instead of {entry['sha256'][:16]}...; restore it with `git checkout -- {path}` "
            "or retrain it with `make models`"
        )
    return restore(torch.load(path, map_location="cpu", weights_only=True))


def git_commit() -> str | None:
    """The commit the code was at (with ``+dirty`` when src/ has uncommitted changes;
    the committed models' own folder does not count: the model being stored is one)."""
    root = Path(__file__).resolve().parents[2]
    models = Path(__file__).resolve().parent / "trained_models"
    return provenance.git_commit(root, ("src", f":!{models.relative_to(root)}"))


def write_model(
    name: str,
    cache_key: dict,
    stored: dict[str, torch.Tensor],
    folder: Path | None = None,
    **fields: Any,
) -> dict:
    """Write ``stored`` (a state dict as :func:`half_storage` returns it) as committed model
    ``name`` trained with ``cache_key``: its file ``<name>-<key hash>.pt`` written
    atomically, then its manifest entry (file, sha256, bytes, the key and its hash, and
    ``fields``), replacing an older entry of the same name and its file. Returns the entry."""
    folder = folder or store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    file = f"{name}-{param_hash(cache_key)}.pt"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=file + ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(stored, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / file)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    manifest = read_manifest(folder)
    old = manifest["models"].get(name)
    if old is not None and old["file"] != file and (folder / old["file"]).exists():
        (folder / old["file"]).unlink()
    entry = {
        "file": file,
        "sha256": _file_sha256(folder / file),
        "bytes": (folder / file).stat().st_size,
        "key_hash": param_hash(cache_key),
        "cache_key": _jsonable(cache_key),
        **{k: _jsonable(v) for k, v in fields.items()},
    }
    manifest["models"][name] = entry
    _write_manifest(manifest, folder)
    return entry


def verify(folder: Path | None = None) -> list[str]:
    """Check every committed model's file against the manifest; returns the names."""
    manifest = read_manifest(folder)
    for entry in manifest["models"].values():
        load_state_dict(entry, folder)
    return sorted(manifest["models"])
