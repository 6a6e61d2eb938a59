"""Floating-point settings of the CPU that some computations need for speed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def denormals_flushed() -> Iterator[None]:
    """Flush subnormal floats (below ~1.2e-38 in float32) to zero inside the block.

    Adam's moment estimates and the gradients of weights that (almost) never see a
    signal, such as those of the always-black border pixels of MNIST, decay into the
    subnormal range, where x86 arithmetic is ~25x slower: the fused Adam step of the
    Lancione autoencoders took 6 ms instead of 1 ms. A subnormal moment moves its
    weight by less than 1e-30, far below a float32 weight's resolution; a long
    small-batch training still drifts from the unflushed one at the level of rounding,
    as it does under another thread count. Only the calling thread is affected
    (``torch.set_flush_denormal``), so run the block on one thread.

    >>> with denormals_flushed():
    ...     torch.tensor([1e-39]) * 1.0
    tensor([0.])
    """
    supported = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if supported:
            torch.set_flush_denormal(False)
