"""The mode-connectivity detector of Vrabel et al. (2024, §4.2.1): the cross-entropy along
the straight path from an image to the lowest-loss image of its predicted class
(:func:`reference_images`), followed by its sorted logits; a KNN classifier reads them
(:class:`connectivity.detection.ClassifierSpec` ``"knn"``, chosen by
:func:`connectivity.detection.tune_knn`).

It maps images (n, C, H, W) with pixels in [0, 1] to :class:`PathFeatures`, the loss
curve and the sorted logits kept apart (one owner of the layout), running on the model's
device; :meth:`PathFeatures.part` is the float32 matrix a detector reads.

Example::

    references = reference_images(model, pool.x, pool.y, num_classes)
    feats = path_loss_features(model, x, references, n_points=16)
    feats.part("both").shape                                 # (n, 16 + classes)
    feats.part("curve")                                      # the ablation's part
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..models import model_device
from .layers import _batches

MODE_CONNECTIVITY = "mode_connectivity"
FEATURE_PARTS = ("both", "curve", "logits")


@dataclass(frozen=True)
class PathFeatures:
    """The mode-connectivity detector's features of n images: ``curve`` (n, n_points) the
    cross-entropy of the predicted class along the straight path to its reference, and
    ``logits`` (n, num_classes) the image's logits sorted in descending order; float32.
    ``features[rows]`` keeps the rows (a mask or indices) of both."""

    curve: np.ndarray
    logits: np.ndarray

    def __post_init__(self) -> None:
        if len(self.curve) != len(self.logits):
            raise ValueError(f"{len(self.curve)} loss curves for {len(self.logits)} logit rows")

    def __len__(self) -> int:
        return len(self.curve)

    def __getitem__(self, rows) -> PathFeatures:
        return PathFeatures(self.curve[rows], self.logits[rows])

    def part(self, part: str = "both") -> np.ndarray:
        """The matrix a detector reads: ``"both"`` (the curve, then the logits),
        ``"curve"`` or ``"logits"`` alone (the ablation)."""
        if part == "both":
            return np.concatenate([self.curve, self.logits], 1)
        if part == "curve":
            return self.curve
        if part == "logits":
            return self.logits
        raise ValueError(f"unknown feature part {part!r}; choose one of {FEATURE_PARTS}")


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
def reference_cross_entropy(model: nn.Module, references: torch.Tensor) -> np.ndarray:
    """The cross-entropy of each class reference against its own class: references
    (num_classes, C, H, W), reference c of class c -> (num_classes,) float64. The paper
    takes a mode to be a real image whose loss is below a small threshold (§4.1);
    :func:`reference_images` takes the arg-min without checking it, this says how low."""
    model.eval()
    device = model_device(model)
    labels = torch.arange(len(references), device=device)
    loss = F.cross_entropy(model(references.to(device)), labels, reduction="none")
    return loss.double().cpu().numpy()


@torch.no_grad()
def path_loss_features(
    model: nn.Module,
    x: torch.Tensor,
    references: torch.Tensor,
    n_points: int,
    batch_size: int = 100,
) -> PathFeatures:
    """The mode-connectivity detector's features (Vrabel et al. §4.2.1): for each image
    x (n, C, H, W), the cross-entropy of its predicted class c at ``n_points`` evenly
    spaced points of the straight path from x to ``references[c]`` (``curve``), and its
    logits sorted in descending order (``logits``)."""
    if n_points < 2:
        raise ValueError("n_points must be at least 2")
    model.eval()
    device = model_device(model)
    refs = references.to(device)
    t = torch.linspace(0, 1, n_points, device=device).view(1, n_points, 1, 1, 1)
    curves, logit_rows = [], []
    for s, e in _batches(len(x), batch_size):
        xb = x[s:e].to(device)
        logits = model(xb)
        pred = logits.argmax(1)
        path = (1 - t) * xb.unsqueeze(1) + t * refs[pred].unsqueeze(1)  # (b, n_points, C, H, W)
        out = model(path.flatten(0, 1))
        loss = F.cross_entropy(out, pred.repeat_interleave(n_points), reduction="none")
        sorted_logits = logits.sort(1, descending=True).values
        curves.append(loss.view(-1, n_points).float().cpu())
        logit_rows.append(sorted_logits.float().cpu())
    return PathFeatures(
        torch.cat(curves).numpy().astype(np.float32),
        torch.cat(logit_rows).numpy().astype(np.float32),
    )
