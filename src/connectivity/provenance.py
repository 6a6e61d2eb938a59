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
import platform
import subprocess
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

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


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    """The CPU, the instruction set torch's kernels use, the oneDNN cap, the GPU."""
    cpu = getattr(torch, "cpu", None)
    amx = getattr(cpu, "_is_amx_tile_supported", None)
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
        "mkl_enable_instructions": os.environ.get("MKL_ENABLE_INSTRUCTIONS"),
        "amx": bool(amx()) if amx is not None else None,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
