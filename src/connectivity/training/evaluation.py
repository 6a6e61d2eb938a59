"""Evaluating a classifier: logits in batches, accuracy, and the float32
:class:`Evaluation` stored with every trained model.

Evaluation is always in float32 (``predict``), as every later chapter uses the
model; the per-epoch test accuracy while training (the learning curve, optionally on
``curve_subset`` test images) is computed in the training precision, the
final one (``TrainedModel.test_accuracy``) in float32.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..data import Dataset
from ..models import model_device
from .precision import autocast

# cross-entropy below which a correctly classified image counts as a confident "mode"
CONFIDENT_CE = 0.01


@torch.no_grad()
def predict(
    model: nn.Module, x: torch.Tensor, batch_size: int = 1000, precision: str = "fp32"
) -> torch.Tensor:
    """Logits (N, classes) of x (N, C, H, W) in eval mode, in batches on the model's
    device, returned in float32 on the CPU."""
    model.eval()
    device = model_device(model)
    with autocast(device, precision):
        return torch.cat(
            [
                model(x[i : i + batch_size].to(device)).float().cpu()
                for i in range(0, len(x), batch_size)
            ]
        )


def accuracy(
    model: nn.Module, ds: Dataset, batch_size: int = 1000, precision: str = "fp32"
) -> float:
    return (predict(model, ds.x, batch_size, precision).argmax(1) == ds.y).float().mean().item()


@dataclass
class Evaluation:
    """The float32 evaluation of a classifier on a test set."""

    accuracy: float
    tta_accuracy: float  # logits averaged with those of the mirrored image
    confident_fraction: float  # correct with cross-entropy < CONFIDENT_CE


def evaluate(model: nn.Module, ds: Dataset, batch_size: int = 1000) -> Evaluation:
    logits = predict(model, ds.x, batch_size)
    mirrored = predict(model, ds.x.flip(3), batch_size)
    ce = F.cross_entropy(logits, ds.y, reduction="none")
    correct = logits.argmax(1) == ds.y
    return Evaluation(
        accuracy=correct.float().mean().item(),
        tta_accuracy=((logits + mirrored).argmax(1) == ds.y).float().mean().item(),
        confident_fraction=(correct & (ce < CONFIDENT_CE)).float().mean().item(),
    )
