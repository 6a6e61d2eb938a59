"""Subsets of a split drawn at random with a fixed seed, the same in every build (their
rule is part of the cache key of a training config that uses one)."""

from __future__ import annotations

from dataclasses import replace

import torch

from .datasets import Dataset

# how test subsets are drawn (part of the cache key of a config that uses one)
SUBSET_RULE = "randperm-seed0-sorted"


def subset_indices(size: int, n: int | None) -> torch.Tensor:
    """The indices (ascending) of :func:`image_subset`'s ``n`` of ``size`` images; all of
    them when ``n`` is None or not smaller."""
    if n is None or n >= size:
        return torch.arange(size)
    return torch.randperm(size, generator=torch.Generator().manual_seed(0))[:n].sort().values


def image_subset(ds: Dataset, n: int | None) -> Dataset:
    """``n`` images of ``ds`` drawn at random with seed 0 (kept in their order), or ``ds``
    itself when ``n`` is None or not smaller. Not the first n: the decoded test sets are
    sorted by class, so their first 2,000 CIFAR-10 images are airplanes and cars."""
    if n is None or n >= len(ds):
        return ds
    keep = subset_indices(len(ds), n)
    return replace(ds, x=ds.x[keep], y=ds.y[keep], source=f"{ds.source}[{n} at random, seed 0]")
