"""What computed a number: every scorecard record carries the profile, the commit, the
device, the kernels and the data sources of the run that wrote it
(:func:`current`), and the scorecard page shows them.

>>> note_data("mnist", "test", "/data/mnist")
>>> current()["data"]["mnist/test"]
'/data/mnist'
"""

from __future__ import annotations

import functools
import os
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path

import torch

from . import devices
from .kernels import kernels_mode, on_portable_kernels
from .locations import repo_root

PROFILE_ENV = "CONNECTIVITY_PROFILE"
_DATA: dict[str, str] = {}


def note_data(name: str, split: str, source: str) -> None:
    """Remember where ``name``/``split`` was read from in this process."""
    _DATA[f"{name}/{split}"] = source


def git_commit(root: Path, paths: tuple[str, ...]) -> str | None:
    """The commit checked out in ``root``, with ``+dirty`` when ``paths`` (git pathspecs,
    exclusions included) have uncommitted changes; None outside a git checkout."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", *paths],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


@functools.cache
def commit() -> str:
    """The git commit of the project (``+dirty`` when src/ or notebooks/ have changes);
    outside a checkout, the installed package's version."""
    found = git_commit(repo_root(), ("src", "notebooks"))
    if found is not None:
        return found
    try:
        return f"package connectivity {metadata.version('connectivity')} (no git checkout)"
    except metadata.PackageNotFoundError:
        return "unknown (no git checkout)"


def kernels(environ: Mapping[str, str] | None = None) -> str:
    """``portable (AVX2)`` or ``native (<torch's CPU capability>)`` in ``environ``
    (default: this process's)."""
    if on_portable_kernels(environ):
        return "portable (AVX2)"
    return f"{kernels_mode(environ)} ({torch.backends.cpu.get_cpu_capability()})"


def current() -> dict[str, object]:
    """The provenance of a number computed now in this process."""
    return {
        "profile": os.environ.get(PROFILE_ENV, "unknown"),
        "commit": commit(),
        "device": devices.key_name(),
        "kernels": kernels(),
        "data": dict(sorted(_DATA.items())),
    }
