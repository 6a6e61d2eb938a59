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
from importlib import metadata

import torch

from . import devices
from .kernels import kernels_mode, on_portable_kernels
from .locations import repo_root

PROFILE_ENV = "CONNECTIVITY_PROFILE"
_DATA: dict[str, str] = {}


def note_data(name: str, split: str, source: str) -> None:
    """Remember where ``name``/``split`` was read from in this process."""
    _DATA[f"{name}/{split}"] = source


@functools.cache
def commit() -> str:
    """The git commit of the project (``+dirty`` when src/ or notebooks/ have changes);
    outside a checkout, the installed package's version."""
    root = repo_root()
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "src", "notebooks"],
            cwd=root,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        try:
            return f"package connectivity {metadata.version('connectivity')} (no git checkout)"
        except metadata.PackageNotFoundError:
            return "unknown (no git checkout)"
    return head + ("+dirty" if dirty else "")


def kernels() -> str:
    """``portable (AVX2)`` or ``native (<torch's CPU capability>)``."""
    if on_portable_kernels():
        return "portable (AVX2)"
    return f"{kernels_mode()} ({torch.backends.cpu.get_cpu_capability()})"


def current() -> dict[str, object]:
    """The provenance of a number computed now in this process."""
    return {
        "profile": os.environ.get(PROFILE_ENV, "unknown"),
        "commit": commit(),
        "device": devices.key_name(),
        "kernels": kernels(),
        "data": dict(sorted(_DATA.items())),
    }
