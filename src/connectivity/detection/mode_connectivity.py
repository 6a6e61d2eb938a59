"""The mode-connectivity detector of Vrabel et al. (2024, §4.2.1): the cross-entropy along
the straight path from an image to the lowest-loss image of its predicted class
(:func:`reference_images`), followed by its sorted logits; a KNN classifier reads them
(:class:`connectivity.detection.ClassifierSpec` ``"knn"``, chosen by
:func:`connectivity.detection.tune_knn`).

Like every feature function of :mod:`connectivity.detection`, it maps images
(n, C, H, W) with pixels in [0, 1] to a float32 numpy matrix (n, d), running on the
model's device.

Example::

    references = reference_images(model, pool.x, pool.y, num_classes)
    feats = path_loss_features(model, x, references, n_points=16)   # (n, 16 + classes)
    curve = feature_part(feats, 16, "curve")                         # the ablation's part
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..models import model_device
from .layers import _batches

MODE_CONNECTIVITY = "mode_connectivity"


@torch.no_grad()
def reference_images(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int, batch_size: int = 1000
) -> torch.Tensor:
    """The lowest-loss image of each class (the cross-entropy of its own label): x
    (N, C, H, W), y (N,) -> (num_classes, C, H, W) on the CPU. Raises if a class is absent."""
    model.eval()
    device = model_device(model)
    losses = torch.cat(
        [
            F.cross_entropy(model(x[s:e].to(device)), y[s:e].to(device), reduction="none").cpu()
            for s, e in _batches(len(x), batch_size)
        ]
    )
    refs = []
    for c in range(num_classes):
        members = torch.nonzero(y == c).flatten()
        if len(members) == 0:
            raise ValueError(
                f"no image of class {c} to serve as its reference; use a larger reference pool"
            )
        refs.append(x[members[losses[members].argmin()]])
    return torch.stack(refs)


@torch.no_grad()
def path_loss_features(
    model: nn.Module,
    x: torch.Tensor,
    references: torch.Tensor,
    n_points: int,
    batch_size: int = 100,
) -> np.ndarray:
    """The mode-connectivity detector's features (Vrabel et al. §4.2.1): for each image
    x (n, C, H, W), the cross-entropy of its predicted class c at ``n_points`` evenly
    spaced points of the straight path from x to ``references[c]``, followed by its
    logits sorted in descending order -> (n, n_points + num_classes)."""
    if n_points < 2:
        raise ValueError("n_points must be at least 2")
    model.eval()
    device = model_device(model)
    refs = references.to(device)
    t = torch.linspace(0, 1, n_points, device=device).view(1, n_points, 1, 1, 1)
    feats = []
    for s, e in _batches(len(x), batch_size):
        xb = x[s:e].to(device)
        logits = model(xb)
        pred = logits.argmax(1)
        path = (1 - t) * xb.unsqueeze(1) + t * refs[pred].unsqueeze(1)  # (b, n_points, C, H, W)
        out = model(path.flatten(0, 1))
        loss = F.cross_entropy(out, pred.repeat_interleave(n_points), reduction="none")
        sorted_logits = logits.sort(1, descending=True).values
        feats.append(torch.cat([loss.view(-1, n_points), sorted_logits], 1).cpu())
    return torch.cat(feats).numpy().astype(np.float32)


FEATURE_PARTS = ("both", "curve", "logits")


def feature_part(features: np.ndarray, n_points: int, part: str) -> np.ndarray:
    """Columns of :func:`path_loss_features` for the ablation: ``"curve"`` (the loss
    curve), ``"logits"`` (the sorted logits) or ``"both"``."""
    if part == "both":
        return features
    if part == "curve":
        return features[:, :n_points]
    if part == "logits":
        return features[:, n_points:]
    raise ValueError(f"unknown feature part {part!r}; choose one of {FEATURE_PARTS}")
