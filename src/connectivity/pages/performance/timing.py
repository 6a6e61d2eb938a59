"""How a benchmark row is measured: a :class:`Row` (a ratio with its target and whether
it holds), median timings (:func:`median_time`, :func:`interleaved_median_times`), the
matmul FLOP/s a training step is held to (:func:`matmul_flops`) and the machine
(:func:`machine`)."""

from __future__ import annotations

import os
import platform
import statistics
import time
from dataclasses import dataclass, field

import torch


@dataclass
class Row:
    """One benchmark: ``measured`` in ``unit`` against ``target``, how it was measured
    (``detail``) and its raw timings (``extra``, written to ``bench.json``)."""

    name: str
    measured: float
    target: float | None  # None: reported, no target
    unit: str  # "x" (ratio, higher is better), "% overhead" (lower is better), "% of peak", "min"
    higher_is_better: bool
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool | None:
        """Whether the target holds (None for a row without a target)."""
        if self.target is None:
            return None
        return (
            self.measured >= self.target if self.higher_is_better else self.measured <= self.target
        )

    @property
    def gap(self) -> str:
        """How far from the target, in the row's unit ("" when it holds)."""
        if self.holds is not False:
            return ""
        if self.higher_is_better:
            return (
                f"{self.target / self.measured:.2f}x short"
                if self.measured > 0
                else "nothing measured"
            )
        return f"{self.measured - self.target:+.1f} {self.unit} over"

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "measured": self.measured,
            "target": self.target,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "holds": self.holds,
            "gap": self.gap,
            "detail": self.detail,
            **self.extra,
        }


def median_time(fn, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    return interleaved_median_times([fn], repeats, warmup)[0]


def interleaved_median_times(fns, repeats: int, warmup: int = 1) -> list[float]:
    """Median wall time of each of ``fns`` over ``repeats`` rounds, the functions taking
    turns within a round: a ratio of two such medians is not moved by a drift of the
    machine's speed between two separate series of timings."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def machine() -> dict:
    """The machine a run measured: platform, processor, CPUs, torch threads and version,
    GPU."""
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def matmul_flops(n: int = 2048, repeats: int = 5, precision: str = "fp32") -> float:
    """Measured matmul FLOP/s of this machine (n x n times n x n) in ``precision``
    ("fp32" or "bf16"): the reference a training step in that precision is held to."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    x, y = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / median_time(lambda: x @ y, repeats)
