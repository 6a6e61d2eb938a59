"""Starting weights of the fast recipes: the first convolution as a whitening of the
training images' patches (Jordan 2024) and the other 3x3 convolutions as partial
identities (airbench).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def patch_whitening(
    images: torch.Tensor, kernel: int = 3, eps: float = 5e-4
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (K,) and whitening filters (K, C, k, k), K = C*k*k, of the k x k
    patches of ``images`` (N, C, H, W), largest eigenvalue first: filter i is the i-th
    eigenvector of the (uncentred) patch second-moment matrix over sqrt(eigenvalue + eps),
    so that the filters' responses have second moments ~1 and are uncorrelated."""
    c = images.shape[1]
    patches = F.unfold(images.double(), kernel).transpose(1, 2).reshape(-1, c * kernel * kernel)
    second = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = torch.linalg.eigh(second)
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.flip(1)
    filters = (eigenvectors / torch.sqrt(eigenvalues.clamp_min(0) + eps)).T
    return eigenvalues.float(), filters.reshape(-1, c, kernel, kernel).float()


def first_conv(model: nn.Module) -> nn.Conv2d:
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


@torch.no_grad()
def whiten_first_conv(model: nn.Sequential, images: torch.Tensor, eps: float = 5e-4) -> int:
    """Initialise the first convolution of ``model`` with +/- pairs of the whitening
    filters of its (normalised) input patches, largest eigenvalues first (Jordan 2024);
    filters beyond 2 * C*k*k keep their random start. Returns how many were set."""
    conv = first_conv(model)
    x = model.normalize(images) if hasattr(model, "normalize") else images
    _, filters = patch_whitening(x, conv.kernel_size[0], eps)
    n = min(conv.out_channels // 2, len(filters))
    w = filters[:n].to(conv.weight.dtype)
    conv.weight[: 2 * n] = torch.cat([w, -w]).to(conv.weight.device)
    if conv.bias is not None:
        conv.bias.zero_()
    return 2 * n


@torch.no_grad()
def dirac_init(model: nn.Module, skip_first: bool = True) -> int:
    """Start every 3x3 convolution (but the first) as a partial identity: output
    channel i < min(C_in, C_out) copies input channel i (airbench). Returns the count."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    for conv in convs[1 if skip_first else 0 :]:
        torch.nn.init.dirac_(conv.weight[: conv.in_channels])
    return len(convs) - (1 if skip_first else 0)
