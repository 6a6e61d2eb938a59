"""The Mahalanobis detector (Lee et al. 2018), a baseline of the detection benchmark of
Harder et al. (2021): class Gaussians with a shared covariance of the spatially averaged
outputs of every ReLU ("all 13 ReLUs of VGG-16"), fitted on training images, and each
input's confidence score after Lee et al.'s input pre-processing, one per layer.

Example::

    g = fit_class_gaussians(model, train_x, train_y, num_classes)
    feats = mahalanobis_features(model, x, g, magnitude=0.001)     # (n, 13) for VGG-16
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..models import model_device, split_normalisation
from .layers import _batches, relu_outputs, relu_positions


@dataclass
class ClassGaussians:
    """Class means (one (K, C_l) tensor per layer) and a shared precision matrix
    ((C_l, C_l) per layer) of spatially averaged ReLU outputs (Lee et al. 2018)."""

    means: list[torch.Tensor]
    precisions: list[torch.Tensor]
    relus: list[int]


@torch.no_grad()
def fit_class_gaussians(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    relus: list[int] | None = None,
    batch_size: int = 500,
) -> ClassGaussians:
    """Fit :class:`ClassGaussians` on training images x (N, C, H, W), labels y (N,)
    (tensors on the model's device)."""
    model.eval()
    device = model_device(model)
    relus = list(range(len(relu_positions(model)))) if relus is None else relus
    feats: list[list[torch.Tensor]] = [[] for _ in relus]
    for s, e in _batches(len(x), batch_size):
        for j, h in enumerate(relu_outputs(model, x[s:e].to(device), relus)):
            feats[j].append(h.flatten(2).mean(2))
    y = y.to(device)
    if len(torch.unique(y)) != num_classes:
        raise ValueError(
            f"Mahalanobis needs training images of every class; "
            f"{len(torch.unique(y))} of {num_classes} present"
        )
    means, precisions = [], []
    for f in feats:
        f = torch.cat(f).double()
        mu = torch.stack([f[y == c].mean(0) for c in range(num_classes)])
        centred = f - mu[y]
        cov = centred.T @ centred / len(f)
        means.append(mu.float())
        precisions.append(torch.linalg.pinv(cov, hermitian=True).float())
    return ClassGaussians(means, precisions, relus)


def _gaussian_scores(f: torch.Tensor, mu: torch.Tensor, prec: torch.Tensor) -> torch.Tensor:
    """-1/2 Mahalanobis distance of features f (n, C) to every class mean -> (n, K)."""
    d = f.unsqueeze(1) - mu.unsqueeze(0)  # (n, K, C)
    return -0.5 * torch.einsum("nkc,cd,nkd->nk", d, prec, d)


def mahalanobis_features(
    model: nn.Module, x: torch.Tensor, g: ClassGaussians, magnitude: float, batch_size: int = 100
) -> np.ndarray:
    """Mahalanobis confidence scores with input pre-processing, one per layer:
    x (n, C, H, W) -> (n, L).

    As the benchmark: in the model's *normalised* coordinates z = (x - mean) / std, z is
    moved by ``magnitude`` against the sign of the gradient of the distance of its
    features to their nearest class Gaussian — a step of ``magnitude · std`` per channel
    in pixels — and scored: max over classes of -1/2 Mahalanobis distance. One forward
    pass serves every layer's gradient (a backward pass per layer, each stopping at the
    input); the moved inputs are scored by truncated forward passes.
    """
    model.eval()
    device = model_device(model)
    mean, std, tail = split_normalisation(model)
    out = np.zeros((len(x), len(g.relus)), np.float32)
    for s, e in _batches(len(x), batch_size):
        z = ((x[s:e].to(device) - mean) / std).requires_grad_(True)
        hs = relu_outputs(tail, z, g.relus)
        for j, (h, r) in enumerate(zip(hs, g.relus)):
            f = h.flatten(2).mean(2)
            with torch.no_grad():  # the nearest class Gaussian, as the benchmark picks it
                nearest = _gaussian_scores(f, g.means[j], g.precisions[j]).argmax(1)
            centred = f - g.means[j][nearest]
            loss = 0.5 * torch.einsum("nc,cd,nd->n", centred, g.precisions[j], centred).mean()
            (grad,) = torch.autograd.grad(loss, z, retain_graph=j + 1 < len(hs))
            with torch.no_grad():
                moved = z - magnitude * torch.sign(grad)
                f2 = relu_outputs(tail, moved, [r])[0].flatten(2).mean(2)
                best = _gaussian_scores(f2, g.means[j], g.precisions[j]).max(1).values
                out[s:e, j] = best.cpu().numpy()
    return out


def benchmark_row_shuffle(
    clean: np.ndarray, adv: np.ndarray, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's Mahalanobis rows (Harder et al. 2021, ``get_mah``): its clean and
    adversarial loaders shuffle (``shuffle=True``) and are run through once per layer, so
    each feature column comes in its own image order, for clean and adversarial images
    separately. Here: every column of ``clean`` and of ``adv`` (n, L) permuted
    independently (seeded). A row then mixes images, and twins are unpaired.

    >>> c, a = benchmark_row_shuffle(np.arange(6.).reshape(3, 2), np.zeros((3, 2)))
    >>> sorted(c[:, 0]), sorted(c[:, 1])
    ([0.0, 2.0, 4.0], [1.0, 3.0, 5.0])
    """
    rng = np.random.default_rng(seed)

    def shuffle(f: np.ndarray) -> np.ndarray:
        return np.stack([col[rng.permutation(len(col))] for col in f.T], axis=1)

    return shuffle(clean), shuffle(adv)
