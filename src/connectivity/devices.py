"""The device the book computes on: chosen, never assumed.

The same float32 computation gives other last bits on a GPU than on a CPU, and the book's
chaotic steps (trainings, unconverged fits) amplify them into other verdicts. So the
``ci`` and ``smoke`` profiles compute on the CPU unless the reader names a device, and
the ``paper`` profiles (made for a GPU) take the first CUDA GPU when there is one.

A device is named by ``$CONNECTIVITY_DEVICE`` (what ``python -m connectivity.runner
--device`` sets for the notebooks it runs) or by a notebook's ``device`` parameter
(``papermill -p device cuda``): ``cpu``, ``cuda``, ``cuda:N``, ``mps`` (untested) or
``auto`` (CUDA when present, else the CPU). A device other than the CPU is part of every
computed result's cache key (:func:`connectivity.caching.kernels_key`), so a GPU's
results are never served to a CPU build or the other way round; the recipe keys of the
committed models do not contain it (they are trained once, where it is fastest).

>>> resolve("cpu")
device(type='cpu')
>>> resolve("auto").type in ("cpu", "cuda")
True
"""

from __future__ import annotations

import os
import re

import torch

from .errors import ReaderError

DEVICE_ENV = "CONNECTIVITY_DEVICE"
# profiles made for a GPU: there the default is "auto"
GPU_PROFILES = ("paper", "smoke-paper")
_NAME = re.compile(r"^(cpu|auto|mps|cuda(:\d+)?)$")


class DeviceError(ReaderError, ValueError):
    """A device that is misspelled or not present on this machine."""


def resolve(name: str) -> torch.device:
    """The ``torch.device`` of ``name`` (see the module's docstring), checked to exist."""
    text = str(name).strip().lower()
    if not _NAME.match(text):
        raise DeviceError(
            f"unknown device {name!r}: choose cpu, cuda, cuda:N, mps (untested) or auto"
        )
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(text)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} asked for, but torch sees no CUDA GPU here")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {name!r} asked for, but there are {torch.cuda.device_count()} GPUs"
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise DeviceError(f"device {name!r} asked for, but MPS is not available here")
    return device


def default_name(profile: str | None = None) -> str:
    """The device name in force: ``$CONNECTIVITY_DEVICE``, else ``auto`` for the paper
    profiles and ``cpu`` for the others."""
    named = os.environ.get(DEVICE_ENV, "").strip()
    if named:
        return named
    return "auto" if profile in GPU_PROFILES else "cpu"


def select(name: str | None, profile: str | None = None) -> torch.device:
    """Choose the device of this process (a notebook's kernel): ``name``, or the default of
    ``profile``; checked, then written to ``$CONNECTIVITY_DEVICE`` so that every later
    :func:`current` (and every cache key) sees the same choice."""
    device = resolve(name if name is not None else default_name(profile))
    os.environ[DEVICE_ENV] = str(device)
    return device


def current() -> torch.device:
    """The device chosen for this process (the CPU when none was)."""
    return resolve(default_name())


def key_name(environ: dict[str, str] | None = None) -> str:
    """The device as it enters a cache key, without touching the GPU: ``cpu`` unless a
    device is named (``auto`` is resolved)."""
    environ = os.environ if environ is None else environ
    named = environ.get(DEVICE_ENV, "").strip().lower() or "cpu"
    if named == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return named
