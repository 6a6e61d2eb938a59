"""Local intrinsic dimensionality (Ma et al. 2018), a baseline of the detection benchmark
of Harder et al. (2021): the maximum-likelihood LID of every ReLU's activations ("all 13
ReLUs of VGG-16"), each batch's clean images serving as the reference sample.

Example::

    lc, la = lid_features(model, clean, adv, k=20)    # two (n, 13) matrices for VGG-16
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models import model_device
from .layers import _batches, relu_outputs, relu_positions


def _mle_lid(dist: torch.Tensor) -> torch.Tensor:
    """Maximum-likelihood LID from sorted neighbour distances (n, k) -> (n,)."""
    dist = dist.clamp_min(1e-12)
    return -dist.shape[1] / torch.log(dist / dist[:, -1:]).sum(1).clamp_max(-1e-12)


@torch.no_grad()
def _batch_lid(model, clean, adv, k, relus, device) -> tuple[np.ndarray, np.ndarray]:
    """LID of one batch: clean, adv (b, C, H, W) -> two (b, L) matrices, the batch's clean
    images the reference sample."""
    kk = min(k, len(clean) - 1)
    if kk < 1:
        raise ValueError("LID needs batches of at least two images")
    ac = relu_outputs(model, clean.to(device), relus)
    aa = relu_outputs(model, adv.to(device), relus)
    lc = np.zeros((len(clean), len(relus)), np.float32)
    la = np.zeros((len(adv), len(relus)), np.float32)
    for j, (c, a) in enumerate(zip(ac, aa)):
        c, a = c.flatten(1), a.flatten(1)
        dc = torch.cdist(c, c).sort(1).values[:, 1 : kk + 1]
        da = torch.cdist(a, c).sort(1).values[:, 1 : kk + 1]
        lc[:, j], la[:, j] = _mle_lid(dc).cpu().numpy(), _mle_lid(da).cpu().numpy()
    return lc, la


@torch.no_grad()
def lid_features(
    model: nn.Module,
    clean: torch.Tensor,
    adv: torch.Tensor,
    k: int = 20,
    batch_size: int = 100,
    relus: list[int] | None = None,
    benchmark_batches: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Local intrinsic dimensionality (Ma et al. 2018) of every ReLU's activations:
    clean, adv (n, C, H, W) paired -> two (n, L) matrices.

    Batch b's estimates use batch b's clean images as the reference sample: k nearest
    neighbours among them, the first (the point itself for a clean image; as in the
    benchmark, also skipped for an adversarial) left out. By default (corrected) each
    image is used exactly once. With ``benchmark_batches`` the batches are the
    benchmark's (``extract_characteristics.py``, ``estimate``): every batch is filled
    with ``images[j]``, not ``images[start + j]``, so batch b of size m holds the first m
    pairs, and row i is a copy of row ``i % batch_size`` (the last, shorter batch: of the
    first pairs estimated among themselves); only ``batch_size`` pairs are distinct.
    """
    model.eval()
    device = model_device(model)
    relus = list(range(len(relu_positions(model)))) if relus is None else relus
    lc = np.zeros((len(clean), len(relus)), np.float32)
    la = np.zeros((len(adv), len(relus)), np.float32)
    done: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
    for s, e in _batches(len(clean), batch_size):
        lo, hi = (0, e - s) if benchmark_batches else (s, e)
        if (lo, hi) not in done:
            done[(lo, hi)] = _batch_lid(model, clean[lo:hi], adv[lo:hi], k, relus, device)
        lc[s:e], la[s:e] = done[(lo, hi)]
    return lc, la
