"""Vrabel et al. (2024) App. D.1 (Figs. 10–11): how the barrier between two synthetic
optimal inputs changes during training — settings, the study, records, sentences, figures.

As the paper and the official ``appF1_barrier_evolution.py``: a ResNet-18 for CIFAR-10 is
trained with Adam (lr 1e-3, batch 512, flips and 4-pixel translations); after each of the
first batches (batch 0: at initialisation) and after each epoch, ``pairs_per_class``
pairs of optimal inputs per class are made (§4.4's synthesis: Adam lr 0.05, weight decay
1e-7, at most 4,096 iterations, until the cross-entropy is below 5e-3 — the official
script's threshold "for convenience"; one input of each pair with the TV penalty 2.5e-7)
and the loss is measured at 200 points of the straight path between them (the "primary
loss curve"); its maximum is the barrier height (the official ``_metric(curve, "max")``).

Modes must be modes: a pair whose inputs did not both reach the threshold is left out of
the barrier statistics of its snapshot (a barrier that only falls because the endpoint
losses fall is not the paper's effect), and the page says how many were left out.

Example::

    settings = DynamicsSettings.resolve("smoke")
    study = run(settings)          # DynamicsStudy
    study.table()                  # one row per snapshot
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch

from connectivity.barriers import barrier_heights, mean_curve
from connectivity.bypass import segment_losses
from connectivity.models import fold_batchnorm, split_normalisation
from connectivity.settings import ParameterError, Settings, param
from connectivity.synthesis import SynthesisConfig, optimal_inputs
from connectivity.training import TrainConfig

from .values_modes import EVOLUTION_FALLS, EVOLUTION_SPREAD

CIFAR10_TRAIN_IMAGES = 50_000
SECTION_BATCHES = "The first batches (Fig. 10)"
SECTION_EPOCHS = "The epochs (Fig. 11)"


@dataclass(frozen=True)
class DynamicsSettings(Settings):
    """Settings of the App. D.1 page; defaults are the paper's."""

    model: TrainConfig = param(
        TrainConfig(
            dataset="cifar10",
            arch="resnet18",
            arch_kwargs={},
            epochs=30,
            batch_size=512,
            optimizer="adam",
            lr=1e-3,
            weight_decay=0.0,
            schedule="constant",
            augment=True,
            seed=0,
        ),
        doc="the network followed and its training (ResNet-18, Adam 1e-3, batch 512)",
    )
    batches: list[int] = param(list(range(31)), lo=0, doc="snapshots after these batches")
    epochs: list[int] = param(list(range(1, 31)), lo=1, doc="and after these epochs")
    pairs_per_class: int = param(5, lo=1, hi=100, doc="pairs of optimal inputs per class")
    points: int = param(200, lo=3, hi=100_000, doc="points on each straight path")
    synthesis: SynthesisConfig = param(
        SynthesisConfig(threshold=5e-3), doc="optimal inputs (§4.4's, threshold 5e-3)"
    )
    tv: float = param(2.5e-7, lo=0.0, doc="TV weight on one input of each pair")

    OVERRIDES = {
        "ci": {
            "model": {
                "arch": "cifar_resnet",
                "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 16},
                "epochs": 3,
                "train_subset": 10_240,
            },
            # 10,240 images in batches of 512: 20 batches an epoch, so the batch
            # snapshots stop at 15 (the paper's 0-30 all fall inside its first epoch)
            "batches": [0, 1, 2, 3, 5, 10, 15],
            "epochs": [1, 2, 3],
            "pairs_per_class": 1,
            "synthesis": {"iterations": 1000},
        },
        "smoke": {
            "model": {
                "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 4},
                "epochs": 2,
                "train_subset": 512,
                "batch_size": 128,
            },
            "batches": [0, 1, 2, 3],
            "epochs": [1, 2],
            "points": 20,
            "synthesis": {"iterations": 10},
        },
        "smoke-paper": {
            "model": {"epochs": 1, "train_subset": 128, "batch_size": 64},
            "batches": [0, 1],
            "epochs": [1],
            "pairs_per_class": 1,
            "points": 5,
            "synthesis": {"iterations": 2},
        },
    }

    @property
    def training_images(self) -> int:
        """CIFAR-10 training images per epoch: the subset, or all of them."""
        return self.model.train_subset or CIFAR10_TRAIN_IMAGES

    def validate(self) -> None:
        if any(e > self.model.epochs for e in self.epochs):
            raise ParameterError("epoch snapshots beyond the training's epochs")
        if len(set(self.batches)) != len(self.batches) or len(set(self.epochs)) != len(self.epochs):
            raise ParameterError("snapshot lists must not repeat")
        per_epoch = max(1, self.training_images // self.model.batch_size)
        if max(self.batches) >= per_epoch:
            raise ParameterError(
                f"batch snapshots must fall inside the first epoch ({per_epoch} batches of "
                f"{self.model.batch_size}); got batch {max(self.batches)}, which would repeat "
                "or pass the epoch snapshots"
            )


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
        """Barrier heights of the pairs that are modes."""
        return (
            barrier_heights(self.curves[self.modes]).max_loss if self.modes.any() else np.zeros(0)
        )


@dataclass
class DynamicsStudy:
    settings: DynamicsSettings
    arch: str
    snapshots: list[Snapshot]
    seconds: float = 0.0

    def of(self, kind: str) -> list[Snapshot]:
        return [s for s in self.snapshots if s.kind == kind]

    def table(self):
        """One row per snapshot: pairs that are modes, barrier mean and SD over them,
        largest endpoint loss, test accuracy."""
        import pandas as pd

        rows = []
        for s in self.snapshots:
            b = s.barriers
            rows.append(
                {
                    "after": s.label,
                    "pairs that are modes": f"{int(s.modes.sum())}/{len(s.modes)}",
                    "barrier mean": float(b.mean()) if len(b) else np.nan,
                    "barrier SD": float(b.std(ddof=1)) if len(b) > 1 else np.nan,
                    "largest endpoint CE": float(s.endpoint_loss.max()),
                    "test accuracy": s.test_accuracy,
                }
            )
        return pd.DataFrame(rows).set_index("after")


def snapshots(cfg: TrainConfig, batches: list[int], epochs: list[int]) -> list[tuple]:
    """(kind, step, state dict, test accuracy) of every snapshot: batch 0 is the network
    at initialisation (the same seed and builder as the training)."""
    from connectivity.training import build_classifier, train_with_snapshots

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


def run(settings: DynamicsSettings) -> DynamicsStudy:
    """The App. D.1 study (see the module docstring)."""
    from connectivity.training import build_classifier, default_device

    t0 = time.perf_counter()
    s = settings
    cfg = s.model
    model = build_classifier(cfg).to(default_device())
    n = 10 * s.pairs_per_class
    target = torch.arange(10).repeat_interleave(s.pairs_per_class)
    tv = torch.cat([torch.full((n,), s.tv), torch.zeros(n)])
    out = []
    for k, (kind, step, state, acc) in enumerate(snapshots(cfg, s.batches, s.epochs)):
        model.load_state_dict(state)
        model.eval()
        inputs = optimal_inputs(
            model,
            torch.cat([target, target]),
            (3, 32, 32),
            s.synthesis,
            tv,
            seed=k + 1,
            desc=f"optimal inputs after {kind} {step}",
        )
        curves = primary_curves(model, inputs.x[:n], inputs.x[n:], target, s.points)
        reached = inputs.reached.view(2, n)
        out.append(
            Snapshot(
                kind,
                step,
                curves,
                inputs.loss.view(2, n).T.numpy(),
                (reached[0] & reached[1]).numpy(),
                acc,
            )
        )
    return DynamicsStudy(s, cfg.arch, out, time.perf_counter() - t0)


# ---------------------------------------------------------------- records and sentences


@dataclass
class DynamicsRecords:
    falls: object
    spread: object


def _pooled(snaps: list[Snapshot]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(step, barrier, |barrier − snapshot median|) over every pair that is a mode."""
    steps, values, dev = [], [], []
    for s in snaps:
        b = s.barriers
        steps += [s.step] * len(b)
        values += list(b)
        dev += list(np.abs(b - np.median(b))) if len(b) else []
    return np.array(steps), np.array(values), np.array(dev)


def record(study: DynamicsStudy) -> DynamicsRecords:
    """The two claims of App. D.1 by one-sided Spearman tests over the pairs that are
    modes; ``failed`` with fewer than three snapshots that have such pairs."""
    from connectivity import scorecard
    from connectivity.stats import spearman_increasing

    recs = []
    for kind, id_, section in (
        ("batch", EVOLUTION_FALLS, SECTION_BATCHES),
        ("epoch", EVOLUTION_SPREAD, SECTION_EPOCHS),
    ):
        snaps = study.of(kind)
        need = 1 if kind == "batch" else 2  # a spread needs two pairs
        usable = [s for s in snaps if s.modes.sum() >= need]
        steps, values, dev = _pooled(snaps)
        if len(usable) < 3 or len(set(steps)) < 3:
            pairs = "a pair" if need == 1 else f"at least {need} pairs"
            recs.append(
                scorecard.fail(
                    id_,
                    f"only {len(usable)} of the {len(snaps)} {kind} snapshots have {pairs} "
                    f"whose inputs both reached cross-entropy "
                    f"{study.settings.synthesis.threshold:g} within "
                    f"{study.settings.synthesis.iterations:,} Adam iterations (the paper's "
                    f"budget: up to {SynthesisConfig().iterations:,}; three are needed for a "
                    "trend)",
                    section=section,
                )
            )
            continue
        if kind == "batch":  # the barrier falls: increasing in −barrier
            result = spearman_increasing(steps, -values)
        else:  # the spread grows: increasing absolute deviation from the snapshot median
            result = spearman_increasing(steps, dev)
        modes = sum(int(s.modes.sum()) for s in snaps)
        total = sum(len(s.modes) for s in snaps)
        recs.append(
            scorecard.test(
                id_,
                result,
                reproduced=round(-result.effect if kind == "batch" else result.effect, 3),
                note=f"{study.arch}; {modes} of {total} pairs are modes; Spearman ρ shown "
                "(barrier vs batches)"
                if kind == "batch"
                else f"{study.arch}; {modes} of "
                f"{total} pairs are modes; Spearman ρ of the spread vs epochs",
                section=section,
            )
        )
    return DynamicsRecords(*recs)


def glue_page(study: DynamicsStudy, recs: DynamicsRecords) -> None:
    """Glue every outcome sentence of the page (names ``dyn_*``)."""
    from connectivity.prose import glue, glue_say

    s = study.settings
    thr = s.synthesis.threshold
    glue(
        "dyn_setup",
        f"In this build the network is a {study.arch} ({s.model.size_words()}), "
        f"trained for {s.model.epochs} epoch(s) of {s.training_images:,} CIFAR-10 training "
        "images, with "
        f"snapshots after batches {', '.join(map(str, s.batches))} and epochs "
        f"{', '.join(map(str, s.epochs))}, and {s.pairs_per_class} pair(s) per class; the "
        f"whole study took {study.seconds:.0f} s.",
    )
    for kind in ("batch", "epoch"):
        snaps = study.of(kind)
        modes = sum(int(s.modes.sum()) for s in snaps)
        total = sum(len(s.modes) for s in snaps)
        missing = [s.label for s in snaps if not s.modes.any()]
        first = next((s for s in snaps if s.modes.any()), None)
        last = next((s for s in reversed(snaps) if s.modes.any()), None)
        text = (
            f"At the {kind} snapshots {modes} of {total} pairs have both inputs below "
            f"cross-entropy {thr:g}"
            + (f"; none at {', '.join(missing)}, left out" if missing else "")
            + "."
        )
        if first is not None and last is not None:
            text += (
                f" Their mean barrier height is {first.barriers.mean():.3g} after "
                f"{first.label} and {last.barriers.mean():.3g} after {last.label}."
            )
        glue(f"dyn_{kind}", text)
    glue_say(
        recs.falls,
        reproduced="Over the first batches the barrier falls, as in the paper (Spearman "
        "ρ = {value:+.2f} between barrier and batches; p = {p:.2g}).",
        differs="Over the first batches the barrier *rises* here, unlike the paper (Spearman "
        "ρ = {value:+.2f}; p = {p_opposite:.2g}).",
        not_significant="Over the first batches the barrier shows no significant trend "
        "(Spearman ρ = {value:+.2f}; p = {p:.2g}).",
        failed="Not tested: {note}.",
    )
    glue_say(
        recs.spread,
        reproduced="Over the epochs the spread of the barrier over pairs grows, as in the paper "
        "(Spearman ρ = {value:+.2f}; p = {p:.2g}).",
        differs="Over the epochs the spread of the barrier over pairs *shrinks* here, unlike "
        "the paper (Spearman ρ = {value:+.2f}; p = {p_opposite:.2g}).",
        not_significant="Over the epochs the spread of the barrier over pairs shows no "
        "significant trend (Spearman ρ = {value:+.2f}; p = {p:.2g}).",
        failed="Not tested: {note}.",
    )


# ---------------------------------------------------------------- figures


def plot(study: DynamicsStudy):
    """Figs. 10–11: averaged primary loss curves (mean ± SD over the pairs that are
    modes) after each batch and epoch snapshot, and the barrier height (mean ± SD) at
    every snapshot."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(9.5, 6.4))
    for ax, kind in zip(axes[0], ("batch", "epoch")):
        snaps = [s for s in study.of(kind) if s.modes.any()]
        cmap = plt.get_cmap("viridis")
        for j, s in enumerate(snaps):
            mean, sd = mean_curve(s.curves[s.modes])
            t = np.linspace(0, 1, len(mean))
            colour = cmap(j / max(1, len(snaps) - 1))
            ax.plot(t, mean, color=colour, lw=1.2, label=s.label)
            ax.fill_between(t, np.maximum(mean - sd, 0), mean + sd, color=colour, alpha=0.1)
        ax.set_title(f"primary loss curves after each {kind}")
        ax.set_xlabel("position along the straight path")
        ax.legend(fontsize=6, ncol=2)
    axes[0, 0].set_ylabel("cross-entropy (mean ± SD)")
    for ax, kind in zip(axes[1], ("batch", "epoch")):
        snaps = [s for s in study.of(kind) if s.modes.any()]
        steps = [s.step for s in snaps]
        means = [s.barriers.mean() for s in snaps]
        sds = [s.barriers.std() for s in snaps]
        ax.errorbar(steps, means, yerr=sds, fmt="o-", capsize=3, ms=3)
        ax.set_xlabel(f"{kind}es trained" if kind == "batch" else "epochs trained")
        ax.set_title(f"barrier height after each {kind}")
    axes[1, 0].set_ylabel("barrier height (mean ± SD)")
    fig.tight_layout()
    return fig
