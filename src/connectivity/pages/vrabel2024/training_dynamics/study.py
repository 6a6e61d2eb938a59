"""What the App. D.1 page computes (Figs. 10–11): how the barrier between two synthetic
optimal inputs changes during training.

As the paper and the official ``appF1_barrier_evolution.py``: a ResNet-18 for CIFAR-10 is
trained with Adam (lr 1e-3, batch 512, flips and 4-pixel translations); after each of the
first batches (batch 0: at initialisation) and after each epoch, ``pairs_per_class``
pairs of optimal inputs per class are made (§4.4's synthesis: Adam lr 0.05, weight decay
1e-7, at most 4,096 iterations, until the cross-entropy is below 5e-3 — the official
script's threshold "for convenience"; one input of each pair with the TV penalty 2.5e-7)
and the loss is measured at 200 points of the straight path between them (the "primary
loss curve"); its maximum is the barrier height (the official ``_metric(curve, "max")``).

Every pair is kept, as in the official script: each input is the best iterate of its
synthesis (the lowest cross-entropy it reached), whether or not it got below the
threshold, and each pair's barrier counts. ``Snapshot.modes`` marks the pairs whose two
inputs both reached the threshold (the page counts them and draws them apart), and
``Snapshot.gaps`` is each barrier above its pair's larger endpoint loss (the barrier
gap: the part of the barrier that falling endpoint losses cannot explain).

:func:`run` is two steps: :func:`snapshots` (the training, cached, and the weights at
every snapshot) and :func:`measure_snapshot` at each (optimal inputs, then
:func:`primary_curves`). No records, sentences or figures here (``report``, ``figures``).

Example::

    settings = TrainingDynamicsSettings.resolve("smoke")
    study = run(settings)          # TrainingDynamicsStudy
    snapshot_table(study)          # one row per snapshot (figures)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from connectivity.barriers import barrier_heights
from connectivity.bypass import segment_losses
from connectivity.models import fold_batchnorm, split_normalisation
from connectivity.synthesis import optimal_inputs
from connectivity.training import (
    TrainConfig,
    build_classifier,
    default_device,
    train_with_snapshots,
)

from .settings import CIFAR10_TRAIN_IMAGES, TrainingDynamicsSettings


@dataclass
class Snapshot:
    """One stage of training: the primary loss curves of its pairs and their endpoints."""

    kind: str  # "batch" or "epoch"
    step: int  # batches or epochs trained
    curves: np.ndarray = field(repr=False)  # (P, points) loss along each straight path
    endpoint_loss: np.ndarray = field(repr=False)  # (P, 2)
    modes: np.ndarray = field(repr=False)  # (P,) both endpoints reached the threshold
    test_accuracy: float | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.step}"

    @property
    def barriers(self) -> np.ndarray:
        """Barrier height (largest loss on the straight path) of every pair (P,), as the
        official ``_metric(curve, "max")``: modes or not."""
        return barrier_heights(self.curves).max_loss if len(self.curves) else np.zeros(0)

    @property
    def gaps(self) -> np.ndarray:
        """Each pair's barrier gap (P,): its barrier above the larger of its curve's two
        endpoint losses (``barrier_heights(...).gap``, >= 0)."""
        return barrier_heights(self.curves).gap if len(self.curves) else np.zeros(0)

    @property
    def mode_barriers(self) -> np.ndarray:
        """Barrier heights of the pairs whose inputs both reached the threshold."""
        return self.barriers[self.modes]


@dataclass
class TrainingDynamicsStudy:
    """Every snapshot of the page, batch snapshots first, in ``settings`` order."""

    settings: TrainingDynamicsSettings
    arch: str
    snapshots: list[Snapshot]
    seconds: float = 0.0

    def of(self, kind: str) -> list[Snapshot]:
        return [s for s in self.snapshots if s.kind == kind]


def snapshots(cfg: TrainConfig, batches: list[int], epochs: list[int]) -> list[tuple]:
    """(kind, step, state dict, test accuracy) of every snapshot: batch 0 is the network
    at initialisation (the same seed and builder as the training)."""
    trained = train_with_snapshots(cfg, [b for b in batches if b > 0], epochs)
    out = []
    for b in sorted(batches):
        if b == 0:
            torch.manual_seed(cfg.seed)
            state = build_classifier(cfg).state_dict()
        else:
            state = trained["batches"][b]
        out.append(("batch", b, state, None))
    for e in sorted(epochs):
        out.append(("epoch", e, trained["epochs"][e], trained["test_acc"].get(e)))
    return out


def primary_curves(model, a: torch.Tensor, c: torch.Tensor, target: torch.Tensor, points: int):
    """Loss along the straight paths a -> c (P, *S) of classes ``target`` (P,): (P, points)."""
    net = fold_batchnorm(model)
    mean, std, tail = split_normalisation(net)
    device = mean.device
    za, zc = (a.to(device) - mean) / std, (c.to(device) - mean) / std
    loss, _ = segment_losses(tail, za, zc, points, target.to(device))
    return loss.cpu().numpy()


def noise_seed(kind: str, step: int) -> int:
    """The synthesis's noise seed for the snapshot after ``step`` batches or epochs: a
    function of the snapshot alone, so its inputs do not change with the other
    snapshots chosen (batches 0, 1, … → 1, 2, …; epochs 1, 2, … → 50,001, 50,002, …).
    Batch snapshots fall inside the first epoch (``TrainingDynamicsSettings.validate``), so
    there are fewer than 50,000 of them and the two ranges never meet."""
    return step + 1 if kind == "batch" else CIFAR10_TRAIN_IMAGES + step


def measure_snapshot(
    settings: TrainingDynamicsSettings,
    model: torch.nn.Module,
    kind: str,
    step: int,
    state: dict,
    acc: float | None,
) -> Snapshot:
    """The snapshot after ``step`` batches or epochs (``kind``): ``model`` with the
    weights ``state`` (eval mode), its ``pairs_per_class`` pairs of optimal inputs for
    each of the first ``classes`` classes (noise seed :func:`noise_seed`; the first input
    of each pair with the TV penalty) and the primary loss curves between them."""
    s = settings
    n = s.classes * s.pairs_per_class
    target = torch.arange(s.classes).repeat_interleave(s.pairs_per_class)
    tv = torch.cat([torch.full((n,), s.tv), torch.zeros(n)])
    model.load_state_dict(state)
    model.eval()
    inputs = optimal_inputs(
        model,
        torch.cat([target, target]),
        (3, 32, 32),
        s.synthesis,
        tv,
        seed=noise_seed(kind, step),
        desc=f"optimal inputs after {kind} {step}",
    )
    curves = primary_curves(model, inputs.x[:n], inputs.x[n:], target, s.points)
    reached = inputs.reached.view(2, n)
    return Snapshot(
        kind,
        step,
        curves,
        inputs.loss.view(2, n).T.numpy(),
        (reached[0] & reached[1]).numpy(),
        acc,
    )


def run(settings: TrainingDynamicsSettings) -> TrainingDynamicsStudy:
    """The App. D.1 study (see the module docstring)."""
    t0 = time.perf_counter()
    s = settings
    cfg = s.model
    model = build_classifier(cfg).to(default_device())
    states = snapshots(cfg, s.batches, s.epochs)
    out = [measure_snapshot(s, model, *state) for state in states]
    return TrainingDynamicsStudy(s, cfg.arch, out, time.perf_counter() - t0)
