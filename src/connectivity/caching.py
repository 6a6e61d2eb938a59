"""Results cached by their parameters.

A result is stored under a file name made of a readable ``kind`` and a hash of
the JSON of its parameters, so a changed parameter can never reuse a stale
result, and a rerun after an interruption finds everything already finished.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

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


def cache_path(kind: str, params: Any, suffix: str = ".pt") -> Path:
    """Path of the cache entry of ``kind`` for ``params`` (not necessarily existing)."""
    return cache_dir(kind) / f"{param_hash(params)}{suffix}"


def atomic_save(obj: Any, path: Path) -> None:
    """``torch.save`` through a temporary file, so an interrupted write leaves no
    half-written entry that a later run would take for a finished one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(fd)
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def cached(kind: str, params: Any, compute: Callable[[], Any], *, refresh: bool = False) -> Any:
    """Load the result of ``compute()`` for ``params`` if cached, else compute and save.

    ``params`` must determine the result completely (seed included).
    """
    path = cache_path(kind, params)
    if path.exists() and not refresh:
        return torch.load(path, weights_only=False)
    result = compute()
    atomic_save(result, path)
    with open(path.with_suffix(".json"), "w") as f:
        json.dump(_jsonable(params), f, indent=1, sort_keys=True)
    return result
