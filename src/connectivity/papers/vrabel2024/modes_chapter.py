"""Vrabel et al. (2024) §4.3 (Fig. 7: synthetic modes of a trained network) and §4.4
(Fig. 8: modes of an untrained network) — settings, the two studies, records, sentences
and figures.

§4.3: for each class, two class-optimal inputs of the trained network are made by
optimisation from noise (:func:`connectivity.synthesis.optimal_inputs`): a
*natural-looking* one (random shifts, a TV penalty, pixels kept in [0, 1]) and a
*high-frequency* one (none of these), and joined by the bypass of §4.1.

§4.4, as the official ``sec4_3_untrained_model.py``: a randomly initialised ResNet-18 for
CIFAR-10 (eval mode); per pair, two optimal inputs of one class from 0.01 · N(0, 1) with
Adam (lr 0.05, weight decay 1e-7) until the cross-entropy is below 5e-4, one of them with
a TV penalty of weight 2.5e-7 (diversity); then rounds of *free* (unconstrained)
optimisation of each segment's worst point (same Adam, same threshold), which after two
rounds gives a four-segment path. Every optimisation runs in the network's normalised
coordinates (the official network takes its input as is). A pair whose endpoints did not
reach the threshold is not a pair of modes: the claim is then ``failed``.

Example::

    settings = ModesSettings.resolve("smoke")
    synthetic, untrained = run_synthetic(settings), run_untrained(settings)
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn

from connectivity.barriers import BarrierHeights, barrier_heights
from connectivity.bypass import BypassConfig, BypassResult, connect_modes
from connectivity.settings import ParameterError, Settings, param
from connectivity.synthesis import (
    Synthesis,
    SynthesisConfig,
    free_barrier_optimiser,
    optimal_inputs,
)

from . import networks
from .values_modes import SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS

SECTION_SYNTHETIC = "§4.3, Fig. 7: a natural-looking and a high-frequency mode of a class"
SECTION_UNTRAINED = "§4.4, Fig. 8: an untrained network"

# Fig. 7's class (golf ball) and two others of §4.1's figures (jackfruit, banana)
IMAGENET_CLASSES = [574, 955, 954]


@dataclass(frozen=True)
class ModesSettings(Settings):
    """Settings of the §4.3–4.4 page; defaults are the paper's."""

    model: Literal["imagenet_googlenet", "cifar10_resnet"] = param(
        "imagenet_googlenet", doc="the trained network of §4.3 (the paper: GoogLeNet)"
    )
    pretrained: bool = param(True, doc="ImageNet weights for GoogLeNet")
    synthetic_classes: list[int] = param(
        IMAGENET_CLASSES, lo=0, hi=999, doc="classes given a natural and a high-frequency mode"
    )
    natural: SynthesisConfig = param(
        SynthesisConfig(weight_decay=0.0, iterations=2048, threshold=1e-4, clamp=True, jitter=2),
        doc="synthesis of the natural-looking mode (shifts, pixels in [0, 1])",
    )
    natural_tv: float = param(3e-4, lo=0.0, doc="TV weight of the natural-looking mode")
    high_frequency: SynthesisConfig = param(
        SynthesisConfig(weight_decay=0.0, iterations=2048, threshold=1e-4),
        doc="synthesis of the high-frequency mode (no regulariser)",
    )
    # the paper sees no secondary barrier "almost up to the numerical precision": the path
    # must stay within ten times the modes' own threshold (not §4.1's 0.1)
    synthetic_bypass: BypassConfig = param(
        BypassConfig(max_rounds=1, threshold=1e-3),
        doc="bypass between the two synthetic modes (§4.1's; path threshold 10 × the modes')",
    )
    untrained_arch: Literal["resnet18", "cifar_resnet"] = param(
        "resnet18", doc="the untrained network: torchvision's ResNet-18 (the paper's) or smaller"
    )
    untrained_width: int = param(16, lo=1, hi=512, doc="width of the cifar_resnet alternative")
    untrained_pairs: int = param(
        10, lo=2, hi=10_000, doc="pairs of optimal inputs, classes in turn"
    )
    untrained_seed: int = param(0, lo=0, doc="seed of the untrained network and the noise")
    untrained_synthesis: SynthesisConfig = param(
        SynthesisConfig(), doc="optimal inputs: Adam lr 0.05, weight decay 1e-7, CE < 5e-4"
    )
    untrained_tv: float = param(2.5e-7, lo=0.0, doc="TV weight on one input of each pair")
    untrained_barrier: SynthesisConfig = param(
        SynthesisConfig(), doc="free optimisation of a barrier point (same Adam and threshold)"
    )
    untrained_bypass: BypassConfig = param(
        BypassConfig(n_linear=200, per_segment=200, threshold=1e-3, max_rounds=2),
        doc="points per path, path threshold (lost in the text; here 1e-3) and rounds",
    )

    OVERRIDES = {
        "ci": {
            "model": "cifar10_resnet",
            "pretrained": False,
            "synthetic_classes": list(range(10)),
            "natural": {"iterations": 600, "threshold": 1e-3},
            "high_frequency": {"iterations": 600, "threshold": 1e-3},
            "synthetic_bypass": {
                "iterations": 512,
                "n_linear": 250,
                "per_segment": 125,
                "threshold": 1e-2,
            },
            "untrained_synthesis": {"iterations": 1500},
            "untrained_barrier": {"iterations": 1000},
        },
        "smoke": {
            "synthetic_classes": [0, 1],
            "natural": {"iterations": 10},
            "high_frequency": {"iterations": 10},
            "synthetic_bypass": {"iterations": 5, "n_linear": 20, "per_segment": 10},
            "untrained_arch": "cifar_resnet",
            "untrained_width": 4,
            "untrained_pairs": 2,
            "untrained_synthesis": {"iterations": 10},
            "untrained_barrier": {"iterations": 5},
            "untrained_bypass": {"n_linear": 20, "per_segment": 10},
        },
        "smoke-paper": {
            "pretrained": False,
            "synthetic_classes": [1, 2],
            "natural": {"iterations": 2},
            "high_frequency": {"iterations": 2},
            "synthetic_bypass": {"iterations": 2, "n_linear": 5, "per_segment": 4},
            "untrained_pairs": 2,
            "untrained_synthesis": {"iterations": 3},
            "untrained_barrier": {"iterations": 2},
            "untrained_bypass": {"n_linear": 6, "per_segment": 5},
        },
    }

    def validate(self) -> None:
        if self.model == "cifar10_resnet" and max(self.synthetic_classes) > 9:
            raise ParameterError("CIFAR-10 has 10 classes (synthetic_classes 0-9)")
        if not self.synthetic_classes:
            raise ParameterError("synthetic_classes needs at least one class")
        modes = max(self.natural.threshold, self.high_frequency.threshold)
        if self.synthetic_bypass.threshold < modes:
            raise ParameterError(
                f"synthetic_bypass.threshold {self.synthetic_bypass.threshold:g} is below the "
                f"modes' threshold {modes:g}: no path between them could pass"
            )


# ---------------------------------------------------------------- §4.3


@dataclass
class SyntheticStudy:
    """Natural-looking and high-frequency modes per class and the bypass between them."""

    model_name: str
    classes: list[int]
    class_names: list[str]
    natural: Synthesis = field(repr=False)
    high_frequency: Synthesis = field(repr=False)
    result: BypassResult = field(repr=False)
    straight: BarrierHeights
    final: BarrierHeights
    threshold: float
    seconds: float = 0.0

    @property
    def modes(self) -> bool:
        return self.natural.all_reached and self.high_frequency.all_reached


def _trained(settings: ModesSettings) -> tuple[nn.Module, str, list[str], tuple[int, ...]]:
    if settings.model == "cifar10_resnet":
        from connectivity.data import load_dataset

        net, name = networks.cifar10_resnet(settings.profile)
        return net, name, load_dataset("cifar10", "test").classes, (3, 32, 32)
    net, name = networks.googlenet(settings.pretrained, seed=0)  # random weights: smoke-paper
    names = [str(c) for c in range(1000)]
    if settings.pretrained:
        from torchvision.models import GoogLeNet_Weights

        names = list(GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])
    return net, name, names, (3, 224, 224)


def run_synthetic(settings: ModesSettings) -> SyntheticStudy:
    """§4.3: two kinds of synthetic mode per class, joined by the bypass."""
    t0 = time.perf_counter()
    s = settings
    model, name, names, shape = _trained(s)
    target = torch.tensor(s.synthetic_classes)
    natural = optimal_inputs(
        model,
        target,
        shape,
        s.natural,
        torch.full((len(target),), s.natural_tv),
        seed=1,
        desc="natural modes",
    )
    hf = optimal_inputs(model, target, shape, s.high_frequency, seed=2, desc="high-frequency modes")
    result = connect_modes(model, natural.x, hf.x, target, s.synthetic_bypass)
    return SyntheticStudy(
        name,
        list(s.synthetic_classes),
        names,
        natural,
        hf,
        result,
        barrier_heights([c.flatten() for c in result.rounds[0].curves]),
        barrier_heights([c.flatten() for c in result.final.curves]),
        s.synthetic_bypass.threshold,
        time.perf_counter() - t0,
    )


# ---------------------------------------------------------------- §4.4


@dataclass
class UntrainedStudy:
    """Pairs of optimal inputs of an untrained network and the free-bypass rounds."""

    arch: str
    target: torch.Tensor  # (P,) class of each pair
    inputs: Synthesis = field(repr=False)  # 2P inputs: the first P with the TV penalty
    result: BypassResult = field(repr=False)
    straight: BarrierHeights
    final: BarrierHeights
    threshold: float
    mode_threshold: float
    seconds: float = 0.0

    @property
    def pair_modes(self) -> np.ndarray:
        """(P,) bool: both inputs of the pair reached the mode threshold."""
        r = self.inputs.reached.view(2, -1)
        return (r[0] & r[1]).numpy()


def untrained_network(settings: ModesSettings) -> tuple[nn.Module, str]:
    """The randomly initialised network (seeded, eval mode, on CUDA when there is one)."""
    from connectivity.models import build_model
    from connectivity.training import default_device

    torch.manual_seed(settings.untrained_seed)
    if settings.untrained_arch == "resnet18":
        net, name = build_model("resnet18", 10, pretrained=False), "ResNet-18 (torchvision)"
    else:
        w = settings.untrained_width
        net = build_model("cifar_resnet", 10, blocks=(1, 1, 1, 1), width=w)
        name = f"CIFAR ResNet of width {w}"
    return net.to(default_device()).eval(), name


def run_untrained(settings: ModesSettings) -> UntrainedStudy:
    """§4.4: optimal inputs of an untrained network, joined by free-bypass rounds."""
    t0 = time.perf_counter()
    s = settings
    net, name = untrained_network(s)
    n = s.untrained_pairs
    target = torch.arange(n) % 10
    tv = torch.cat([torch.full((n,), s.untrained_tv), torch.zeros(n)])
    inputs = optimal_inputs(
        net,
        torch.cat([target, target]),
        (3, 32, 32),
        s.untrained_synthesis,
        tv,
        seed=s.untrained_seed,
        desc="untrained: optimal inputs",
    )
    result = connect_modes(
        net,
        inputs.x[:n],
        inputs.x[n:],
        target,
        s.untrained_bypass,
        barrier_optimiser=free_barrier_optimiser(s.untrained_barrier),
    )
    return UntrainedStudy(
        name,
        target,
        inputs,
        result,
        barrier_heights([c.flatten() for c in result.rounds[0].curves]),
        barrier_heights([c.flatten() for c in result.final.curves]),
        s.untrained_bypass.threshold,
        s.untrained_synthesis.threshold,
        time.perf_counter() - t0,
    )


# ---------------------------------------------------------------- records and sentences


@dataclass
class ModesRecords:
    synthetic: object
    untrained: object


def record(synthetic: SyntheticStudy, untrained: UntrainedStudy) -> ModesRecords:
    """The §4.3 and §4.4 claims (exact binomial tests against one half), ``failed`` when
    the inputs are not modes."""
    from connectivity import scorecard
    from connectivity.stats import binomial_greater

    if not synthetic.modes:
        reached = int(synthetic.natural.reached.sum() + synthetic.high_frequency.reached.sum())
        syn = scorecard.fail(
            SYNTHETIC_ONE_ROUND,
            f"the synthetic inputs are not modes: {reached} of {2 * len(synthetic.classes)} "
            f"reached cross-entropy {synthetic.natural.threshold:g} within "
            f"{int(synthetic.natural.iterations.max()):,} iterations",
            section=SECTION_SYNTHETIC,
        )
    else:
        connected = synthetic.result.rounds_to_threshold
        ok = int(((connected >= 0) & (connected <= 1)).sum())
        syn = scorecard.test(
            SYNTHETIC_ONE_ROUND,
            binomial_greater(ok, len(connected), 0.5),
            reproduced=f"{ok}/{len(connected)}",
            note=f"{synthetic.model_name}; threshold {synthetic.threshold:g}; the paper: "
            "GoogLeNet on ImageNet, a surrogate objective",
            section=SECTION_SYNTHETIC,
        )
    modes = untrained.pair_modes
    if not modes.all():
        unt = scorecard.fail(
            UNTRAINED_TWO_ROUNDS,
            f"the optimal inputs are not modes: {int(modes.sum())} of {len(modes)} pairs have "
            f"both inputs below cross-entropy {untrained.mode_threshold:g} within "
            f"{int(untrained.inputs.iterations.max()):,} Adam iterations (the paper's budget: "
            f"up to {SynthesisConfig().iterations:,})",
            section=SECTION_UNTRAINED,
        )
    else:
        rounds = untrained.result.rounds_to_threshold
        ok = int(((rounds >= 0) & (rounds <= 2)).sum())
        unt = scorecard.test(
            UNTRAINED_TWO_ROUNDS,
            binomial_greater(ok, len(rounds), 0.5),
            reproduced=f"{ok}/{len(rounds)}",
            note=f"untrained {untrained.arch}; path threshold {untrained.threshold:g}",
            section=SECTION_UNTRAINED,
        )
    scorecard.measure(
        "vrabel2024.untrained.modes_reached",
        "Share of the untrained network's optimal inputs below the mode threshold",
        round(float(untrained.inputs.reached.float().mean()), 4),
        unit="fraction",
        section=SECTION_UNTRAINED,
        note=f"threshold {untrained.mode_threshold:g}; median iterations "
        f"{float(untrained.inputs.iterations.float().median()):.0f}",
    )
    return ModesRecords(syn, unt)


def glue_page(synthetic: SyntheticStudy, untrained: UntrainedStudy, recs: ModesRecords) -> None:
    """Glue every outcome sentence of the page (names ``modes_*``)."""
    from connectivity.prose import glue, glue_say

    syn = synthetic
    glue("modes_model", syn.model_name)
    reached = (
        "Every synthetic input reached the threshold"
        if syn.modes
        else f"Only {int(syn.natural.reached.sum())} natural and "
        f"{int(syn.high_frequency.reached.sum())} high-frequency inputs of "
        f"{len(syn.classes)} reached the threshold: they are **not all modes**"
    )
    glue(
        "modes_synthetic",
        f"{reached} (cross-entropy {syn.natural.threshold:g}; largest "
        f"{float(torch.cat([syn.natural.loss, syn.high_frequency.loss]).max()):.2g}). The "
        f"straight paths between the two kinds rise to a median barrier height of "
        f"{np.median(syn.straight.max_loss):.3g} (largest {syn.straight.max_loss.max():.3g}); "
        f"after the bypass the largest loss on any path is {syn.final.max_loss.max():.3g} "
        f"(threshold {syn.threshold:g}), and {int(syn.result.final.all_target.sum())} of the "
        f"{len(syn.classes)} final paths are classified as their class everywhere.",
    )
    glue_say(
        recs.synthetic,
        reproduced="As in the paper, the two kinds of mode are connected after one round: "
        "{value} pairs ({test}: p = {p:.2g}).",
        differs="Unlike the paper, most pairs keep a barrier above the threshold after one "
        "round: {value} connected ({test}: p = {p_opposite:.2g}).",
        not_significant="{value} pairs are connected after one round; too few to tell "
        "whether most are ({test}: p = {p:.2g}).",
        failed="Not tested: {note}.",
    )
    unt = untrained
    modes = unt.pair_modes
    glue("modes_untrained_arch", unt.arch)
    glue(
        "modes_untrained",
        f"{int(modes.sum())} of the {len(modes)} pairs have both inputs below cross-entropy "
        f"{unt.mode_threshold:g} (largest {float(unt.inputs.loss.max()):.2g}; median "
        f"{float(unt.inputs.iterations.float().median()):.0f} iterations)"
        + (
            "."
            if modes.all()
            else ": the others are **not modes**, so the claim is failed."
            if modes.any()
            else ": **none** are modes, so the claim is failed."
        )
        + f" The straight paths rise to a median barrier height of "
        f"{np.median(unt.straight.max_loss):.3g}; after "
        f"{len(unt.result.rounds) - 1} round(s) the largest loss on any path is "
        f"{unt.final.max_loss.max():.3g} (path threshold {unt.threshold:g}).",
    )
    glue_say(
        recs.untrained,
        reproduced="As in the paper, the optimal inputs of the untrained network are "
        "connected within two rounds: {value} pairs ({test}: p = {p:.2g}).",
        differs="Unlike the paper, most pairs keep a barrier above the threshold after two "
        "rounds: {value} connected ({test}: p = {p_opposite:.2g}).",
        not_significant="{value} pairs are connected within two rounds; too few to tell "
        "whether most are ({test}: p = {p:.2g}).",
        failed="Not tested: {note}.",
    )


# ---------------------------------------------------------------- figures


def plot_synthetic_modes(syn: SyntheticStudy, max_classes: int = 5):
    """Fig. 7 (top): the natural-looking (first row) and high-frequency (second row) mode
    of the first classes, with their cross-entropy."""
    from connectivity import plotting

    k = min(max_classes, len(syn.classes))
    images = torch.cat([syn.natural.x[:k], syn.high_frequency.x[:k].clamp(0, 1)])
    titles = [
        f"{kind} {syn.class_names[c]}\nCE {loss:.1e}"
        for kind, mode in (("natural", syn.natural), ("high-freq.", syn.high_frequency))
        for c, loss in zip(syn.classes[:k], mode.loss[:k].tolist())
    ]
    return plotting.image_grid(images, titles, ncols=k, size=1.8)


def _panels(result: BypassResult, pairs: list[int], titles: list[str]) -> list[dict]:
    return [
        {
            "curves": [r.curves[p] for r in result.rounds],
            "lengths": [r.lengths[p] for r in result.rounds],
            "title": t,
        }
        for p, t in zip(pairs, titles)
    ]


def plot_synthetic_paths(syn: SyntheticStudy, max_classes: int = 4):
    """Fig. 7 (bottom): loss along the straight path and after the bypass, per class."""
    from connectivity import plotting

    pairs = list(range(min(max_classes, len(syn.classes))))
    titles = [syn.class_names[syn.classes[p]] for p in pairs]
    return plotting.bypass_rounds_grid(_panels(syn.result, pairs, titles), syn.threshold)


def plot_untrained_paths(unt: UntrainedStudy, max_pairs: int = 4):
    """Fig. 8: loss along the straight path and after each free-bypass round, per pair."""
    from connectivity import plotting

    pairs = list(range(min(max_pairs, len(unt.target))))
    titles = [f"pair {p} (class {int(unt.target[p])})" for p in pairs]
    return plotting.bypass_rounds_grid(_panels(unt.result, pairs, titles), unt.threshold)


def untrained_table(unt: UntrainedStudy):
    """One row per pair: class, the two inputs' CE and iterations, barrier heights."""
    import pandas as pd

    n = len(unt.target)
    loss, its = unt.inputs.loss.view(2, n), unt.inputs.iterations.view(2, n)
    return pd.DataFrame(
        {
            "class": unt.target.numpy(),
            "CE of A (TV)": loss[0].numpy(),
            "CE of C": loss[1].numpy(),
            "iterations A": its[0].numpy(),
            "iterations C": its[1].numpy(),
            "straight barrier": unt.straight.max_loss,
            "final": unt.final.max_loss,
            "segments": unt.result.final.segments.numpy(),
        }
    ).rename_axis("pair")
