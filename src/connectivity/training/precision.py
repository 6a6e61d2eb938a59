"""The device the book computes on and the precision it trains in there.

A config's ``precision="bf16"`` is honoured only where bfloat16 is fast (a CUDA GPU
with bf16, a CPU with AMX or AVX512-BF16 that torch and oneDNN may use);
``$CONNECTIVITY_PRECISION=fp32`` forces float32 everywhere.
"""

from __future__ import annotations

import os
import warnings
from contextlib import nullcontext

import torch

from .. import devices


def default_device() -> torch.device:
    """The device the book computes on: the one chosen (:mod:`connectivity.devices`:
    ``$CONNECTIVITY_DEVICE`` or a notebook's ``device`` parameter), else the CPU."""
    return devices.current()


# CONNECTIVITY_PRECISION: "fp32" trains in float32 everywhere; unset or "auto" lets
# a config's "bf16" run in bfloat16 where that is fast (AMX, AVX512-BF16, a GPU)
PRECISION_ENV = "CONNECTIVITY_PRECISION"
_PRECISION_CHOICES = ("auto", "fp32")
# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA) under which bfloat16 has a fast kernel
_BF16_ISAS = ("AVX512_CORE_BF16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX")


def precision_override() -> str:
    """``$CONNECTIVITY_PRECISION`` checked: "auto" (unset) or "fp32"."""
    value = os.environ.get(PRECISION_ENV, "").strip().lower() or "auto"
    if value not in _PRECISION_CHOICES:
        raise ValueError(
            f"{PRECISION_ENV}={value!r}: choose one of {', '.join(_PRECISION_CHOICES)}"
        )
    return value


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bfloat16 autocast runs convolutions fast here: a CUDA GPU with bf16, or
    a CPU with AMX tiles or AVX512-BF16 that torch and oneDNN may use. False under
    ``CONNECTIVITY_PRECISION=fp32`` and under an instruction-set cap below those
    (``ATEN_CPU_CAPABILITY=avx2``, ``ONEDNN_MAX_CPU_ISA=AVX2``): there bfloat16 runs
    ~165x slower than float32."""
    if precision_override() == "fp32":
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    if torch.backends.cpu.get_cpu_capability() not in ("AVX512",):
        return False
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    if cap and cap not in ("ALL", *_BF16_ISAS):
        return False
    cpu = getattr(torch, "cpu", None)
    checks = [
        getattr(cpu, n, None) for n in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    ]
    return any(bool(c()) for c in checks if c is not None)


def effective_precision(requested: str, device: torch.device) -> str:
    """``requested``, or "fp32" with a warning when bfloat16 would not be fast here."""
    if requested == "bf16" and not bf16_is_fast(device):
        warnings.warn(
            f"precision 'bf16' requested but {device} has no fast bfloat16 path "
            "(AMX / AVX512-BF16 on CPU, bf16 on GPU): training in float32 instead",
            RuntimeWarning,
            stacklevel=3,
        )
        return "fp32"
    return requested


def autocast(device: torch.device, precision: str):
    """The context that runs a block in ``precision``: bfloat16 autocast for ``bf16``,
    nothing (float32) otherwise."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()
