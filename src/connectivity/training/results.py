"""What a training run leaves: its per-epoch :class:`History` and the
:class:`TrainedModel` (the network, its config and its float32 evaluation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import nn

from .config import TrainConfig


@dataclass
class History:
    """Per-epoch record of a training run. ``seconds`` is the training time of each
    epoch (evaluation excluded, in ``eval_seconds``); ``test_acc`` is measured in the
    training precision after each epoch, on the config's ``curve_subset`` test images."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    eval_seconds: list[float] = field(default_factory=list)
    flops_per_image: float = 0.0  # forward + backward FLOPs of one training image
    precision: str = "fp32"  # the precision actually used
    device: str = "cpu"

    @property
    def train_seconds(self) -> float:
        return float(sum(self.seconds))

    @property
    def cumulative_seconds(self) -> list[float]:
        out, total = [], 0.0
        for s in self.seconds:
            total += s
            out.append(total)
        return out

    def then(self, later: History) -> History:
        """This history followed by ``later``'s epochs (a fine-tune after its first
        stage); the precision and device say both where they differ."""

        def both(a: str, b: str) -> str:
            return a if a == b else f"{a} then {b}"

        return History(
            train_loss=[*self.train_loss, *later.train_loss],
            train_acc=[*self.train_acc, *later.train_acc],
            test_acc=[*self.test_acc, *later.test_acc],
            seconds=[*self.seconds, *later.seconds],
            eval_seconds=[*self.eval_seconds, *later.eval_seconds],
            flops_per_image=self.flops_per_image,
            precision=both(self.precision, later.precision),
            device=both(self.device, later.device),
        )

    def achieved_flops(self, images_per_epoch: int) -> float:
        """Training FLOP/s: FLOPs of all steps over the training time."""
        return (
            self.flops_per_image
            * images_per_epoch
            * len(self.seconds)
            / max(self.train_seconds, 1e-9)
        )


@dataclass
class TrainedModel:
    """A trained classifier; ``model`` is in eval mode, on its device, in float32.

    ``test_accuracy`` is the plain network's (float32, no test-time augmentation);
    ``tta_accuracy`` averages the logits of the image and its mirror image (shown
    apart: later chapters use the plain network). ``confident_fraction`` is the
    fraction of test images classified correctly with cross-entropy < 0.01 (the
    "modes" of Vrabel et al.)."""

    model: nn.Sequential
    config: TrainConfig
    history: History
    test_accuracy: float
    path: str
    tta_accuracy: float = float("nan")
    confident_fraction: float = float("nan")
    images_per_epoch: int = 0
