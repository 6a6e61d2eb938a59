"""Results cached by their parameters, checked when they are read.

A result is stored under a file name made of a readable ``kind`` and a hash of the JSON
of its parameters (``<cache>/<kind>/<hash>.pt``), so a changed parameter can never
reuse a stale result, and a rerun after an interruption finds everything already
finished. A result computed on other kernels than the book's portable ones
(:mod:`connectivity.kernels`: ``CONNECTIVITY_KERNELS=native``, a notebook opened in
Jupyter without them) or on another device than the CPU (:mod:`connectivity.devices`)
is keyed by those too: its last bits differ, a chaotic training amplifies them, and
the book's build must not reuse it. Entries are written through a temporary file (an
interrupted write leaves nothing that looks finished) with the sha256 of the file
beside them (``<hash>.pt.sha256``); reading recomputes it. ``torch.load`` itself serves a file with
a flipped byte in a tensor without complaint, so an entry that does not match its
checksum, or cannot be read at all, is computed again with a :class:`CacheWarning`:
a damaged cache costs time, never a wrong number. Entries written before checksums
existed are read as they are and get their checksum then.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import torch

from . import devices
from .kernels import PORTABLE, on_portable_kernels
from .locations import cache_dir

# Bump when the meaning of cached objects changes (invalidates every entry).
CACHE_VERSION = 1


def _jsonable(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _jsonable(dataclasses.asdict(obj))
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in sorted(obj.items(), key=lambda kv: str(kv[0]))}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, float) and obj != obj:  # NaN is not valid JSON
        return "nan"
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    raise TypeError(f"cannot hash parameter of type {type(obj).__name__}: {obj!r}")


def param_hash(params: Any, length: int = 16) -> str:
    """Stable hex digest of a parameter structure (dicts, lists, dataclasses, scalars)."""
    text = json.dumps({"v": CACHE_VERSION, "p": _jsonable(params)}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def tensor_fingerprint(tensors: Iterable) -> str:
    """Hex digest (16 characters) of the values of ``tensors`` (any devices, any
    strides): names the data a cached result was computed from, in its parameters."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def cache_path(kind: str, params: Any, suffix: str = ".pt") -> Path:
    """Path of the cache entry of ``kind`` for ``params`` (not necessarily existing)."""
    return cache_dir(kind) / f"{param_hash(params)}{suffix}"


def kernels_key(params: Any, environ: dict[str, str] | None = None) -> Any:
    """``params`` as they are on the portable kernels (every variable of
    :data:`~connectivity.kernels.PORTABLE` set, as the book runner sets them) and the CPU;
    elsewhere with the kernels they run on (torch's CPU capability and those variables)
    and the device (:mod:`connectivity.devices`), so a result of other last bits gets
    another key.

    >>> kernels_key({"n": 1}, environ=PORTABLE)
    {'n': 1}
    >>> kernels_key({"n": 1}, environ={**PORTABLE, "CONNECTIVITY_DEVICE": "cuda"})["device"]
    'cuda'
    """
    environ = os.environ if environ is None else environ
    device = devices.key_name(environ)
    if on_portable_kernels(environ) and device == "cpu":
        return params
    key: dict[str, Any] = {"params": params}
    if not on_portable_kernels(environ):
        kernels = {name: environ.get(name) for name in PORTABLE}
        key["kernels"] = {"cpu": torch.backends.cpu.get_cpu_capability(), **kernels}
    if device != "cpu":
        key["device"] = device
    return key


def result_path(kind: str, params: Any, suffix: str = ".pt") -> Path:
    """Path of the :func:`cached` result of ``kind`` for ``params`` on this process's
    kernels (see :func:`kernels_key`)."""
    return cache_path(kind, kernels_key(params), suffix)


def _checksum_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` through a temporary file, so an interrupted write leaves no
    half-written entry that a later run would take for a finished one; the file's
    sha256 goes beside it (``<path>.sha256``) for :func:`load_entry`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        _write_atomic(_checksum_path(path), _file_sha256(tmp) + "\n")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


class CacheWarning(UserWarning):
    """A cache entry was damaged (or unreadable) and is computed again."""


def load_entry(path: str | os.PathLike, default: Any = None, **load_kwargs: Any) -> Any:
    """The object :func:`atomic_save` wrote at ``path``, after checking the file against
    the sha256 beside it; ``default`` (with a :class:`CacheWarning`) when the file does
    not match it or cannot be read, so that the caller computes the entry again.
    ``load_kwargs`` go to ``torch.load`` (e.g. ``map_location``).

    >>> ckpt = load_entry(path, map_location="cpu")  # doctest: +SKIP
    >>> if ckpt is None: ...  # damaged: train again  # doctest: +SKIP
    """
    path = Path(path)
    checksum = _checksum_path(path)
    try:
        expected = checksum.read_text().strip() if checksum.exists() else None
        if expected is not None and _file_sha256(path) != expected:
            problem = f"does not match its sha256 ({checksum.name})"
        else:
            obj = torch.load(path, **{"weights_only": False, **load_kwargs})
            if expected is None:  # written before checksums: adopted as it is
                _write_atomic(checksum, _file_sha256(path) + "\n")
            return obj
    except Exception as e:  # torch raises RuntimeError, EOFError, UnpicklingError, ...
        problem = f"is unreadable ({type(e).__name__}: {str(e)[:120]})"
    warnings.warn(f"cache entry {path} {problem}; computing it again", CacheWarning, stacklevel=2)
    return default


_UNREADABLE = object()


def cached(kind: str, params: Any, compute: Callable[[], Any], *, refresh: bool = False) -> Any:
    """Load the result of ``compute()`` for ``params`` if cached, else compute and save.

    ``params`` must determine the result completely (seed included); the kernels it
    ran on are added where they are not the portable ones (:func:`kernels_key`). An
    entry that does not match its checksum or cannot be read is computed again (with
    a :class:`CacheWarning`). The parameters are written beside the entry as JSON
    (``<hash>.json``), for people.

    >>> cached("squares", {"n": 4}, lambda: [i * i for i in range(4)])  # doctest: +SKIP
    [0, 1, 4, 9]
    """
    path = result_path(kind, params)
    if path.exists() and not refresh:
        result = load_entry(path, default=_UNREADABLE)
        if result is not _UNREADABLE:
            return result
    result = compute()
    atomic_save(result, path)
    params_text = json.dumps(_jsonable(params), indent=1, sort_keys=True)
    _write_atomic(path.with_suffix(".json"), params_text)
    return result
