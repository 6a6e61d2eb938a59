"""The spectral detectors of the benchmark of Harder et al. (2021): InputMFS/InputPFS, the
Fourier magnitude or phase spectrum of the pixels, and LayerMFS/LayerPFS, those of the
feature maps of "every second" ReLU "from the third" of VGG-16 (:data:`SPECTRAL_RELUS`;
only the last one, :data:`LAST_RELU`, for CIFAR-100 DeepFool and C&W, where each
spectrum is also scaled by its maximum).

Example::

    feats = layer_spectrum_features(model, x, "MFS")   # LayerMFS, (n, Σ C_l H_l W_l)
    pixels = input_spectrum_features(x, "PFS")         # InputPFS, (n, C*H*W)
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ..models import model_device
from .layers import _batches, relu_outputs

# Indices into the list of ReLUs of VGG-16 used by the benchmark's spectral detectors
# (its feature-module indices 9, 16, 22, 29, 36, 42).
SPECTRAL_RELUS = (2, 4, 6, 8, 10, 12)
LAST_RELU = (12,)


def fourier_spectrum(h: torch.Tensor, kind: str = "MFS", scale_max: bool = False) -> torch.Tensor:
    """2-D Fourier magnitude ("MFS") or absolute phase ("PFS", ``|angle|`` as the
    benchmark) of every channel: h (n, C, H, W) -> (n, C*H*W). ``scale_max`` divides
    each sample's spectrum by its maximum (the benchmark's CIFAR-100 DeepFool/C&W case)."""
    spec = torch.fft.fft2(h.float())
    if kind == "MFS":
        out = spec.abs().flatten(1)
    elif kind == "PFS":
        out = spec.angle().abs().flatten(1)
    else:
        raise ValueError(f"unknown spectrum kind {kind!r} (MFS or PFS)")
    if scale_max:
        out = out / out.amax(1, keepdim=True).clamp_min(1e-30)
    return out


def input_spectrum_features(
    x: torch.Tensor, kind: str = "MFS", scale_max: bool = False
) -> np.ndarray:
    """InputMFS / InputPFS of the pixels: x (n, C, H, W) -> (n, C*H*W)."""
    return fourier_spectrum(x, kind, scale_max).cpu().numpy().astype(np.float32)


@torch.no_grad()
def layer_spectrum_features(
    model: nn.Module,
    x: torch.Tensor,
    kind: str = "MFS",
    relus: tuple[int, ...] = SPECTRAL_RELUS,
    scale_max: bool = False,
    batch_size: int = 200,
) -> np.ndarray:
    """LayerMFS / LayerPFS: spectra of the chosen ReLUs' feature maps, each map scaled
    by its own maximum if ``scale_max``, concatenated: x (n, C, H, W) -> (n, Σ C_l H_l W_l)."""
    model.eval()
    device = model_device(model)
    parts = []
    for s, e in _batches(len(x), batch_size):
        maps = relu_outputs(model, x[s:e].to(device), list(relus))
        parts.append(torch.cat([fourier_spectrum(h, kind, scale_max) for h in maps], 1).cpu())
    return torch.cat(parts).numpy().astype(np.float32)
