"""What the §4.3–4.4 page computes: the synthetic modes of a trained network joined by
the bypass, and the optimal inputs of an untrained network joined by free-bypass rounds.

§4.3: for each class, pairs of class-optimal inputs of the trained network are made by
optimisation from noise (:func:`connectivity.synthesis.optimal_inputs`), each pair a
*natural-looking* input (random shifts, a TV penalty, pixels kept in [0, 1]) and a
*high-frequency* one (none of these), and joined by the bypass of §4.1. A pair whose
inputs did not both reach the threshold is not a pair of modes, and a pair of modes
whose straight path is already below the path threshold (connected at round 0) has no
barrier to bypass: the claim, on the secondary barriers once the primary one is
bypassed, is tested on the others (``failed`` when fewer than a one-sided test needs).

§4.4, as the official ``sec4_3_untrained_model.py``: a randomly initialised ResNet-18 for
CIFAR-10 (eval mode); per pair, two optimal inputs of one class from 0.01 · N(0, 1) with
Adam (lr 0.05, weight decay 1e-7) until the cross-entropy is below 5e-4, one of them with
a TV penalty of weight 2.5e-7 (diversity); then rounds of *free* (unconstrained)
optimisation of each segment's worst point (same Adam, same threshold), which after two
rounds gives a four-segment path. Every optimisation runs in the network's normalised
coordinates (the official network takes its input as is). As in §4.3, the claim is
tested on the pairs of modes whose straight path has a barrier above the path threshold
(:attr:`UntrainedStudy.primary_barrier`); the others are counted, not tested.

:func:`run` is two steps, in this order: :func:`run_synthetic` (§4.3) and
:func:`run_untrained` (§4.4). No records, sentences or figures here (``report``,
``figures``).

Example::

    settings = SyntheticUntrainedSettings.resolve("smoke")
    study = run(settings)           # SyntheticUntrainedStudy
    study.synthetic, study.untrained
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from connectivity.barriers import BarrierHeights, barrier_heights
from connectivity.bypass import BypassResult, connect_modes
from connectivity.data import load_dataset
from connectivity.models import build_model
from connectivity.synthesis import Synthesis, free_barrier_optimiser, optimal_inputs
from connectivity.training import default_device

from .. import networks
from .settings import SyntheticUntrainedSettings


def _primary_barrier(result: BypassResult) -> np.ndarray:
    """(P,) bool: the straight path (round 0) is above the threshold: every pair but those
    :func:`connect_modes` finds connected at round 0."""
    return (result.rounds_to_threshold != 0).numpy()


# ---------------------------------------------------------------- §4.3


@dataclass
class SyntheticStudy:
    """Natural-looking and high-frequency modes per class and the bypass between them."""

    model_name: str
    classes: list[int]  # (P,) the class of each pair: every class once, then again
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

    @property
    def pair_modes(self) -> np.ndarray:
        """(P,) bool: both inputs of the pair reached the mode threshold."""
        return (self.natural.reached & self.high_frequency.reached).numpy()

    @property
    def primary_barrier(self) -> np.ndarray:
        """(P,) bool: the pair's straight path (round 0) rises above the path threshold,
        so there is a barrier to bypass (the others are connected at round 0)."""
        return _primary_barrier(self.result)


def trained_network(
    settings: SyntheticUntrainedSettings,
) -> tuple[nn.Module, str, list[str], tuple[int, ...]]:
    """The trained network of §4.3, its description, its class names and its input shape:
    the CIFAR-10 ResNet of the profile, or GoogLeNet (random weights unless
    ``settings.pretrained``: smoke-paper)."""
    if settings.model == "cifar10_resnet":
        net, name = networks.cifar10_resnet(settings.profile)
        return net, name, load_dataset("cifar10", "test").classes, (3, 32, 32)
    net, name = networks.googlenet(settings.pretrained, seed=0)  # random weights: smoke-paper
    names = [str(c) for c in range(1000)]
    if settings.pretrained:
        # torchvision is imported only where ImageNet's class names are needed (its import
        # takes seconds), as connectivity.models and connectivity.data do
        from torchvision.models import GoogLeNet_Weights

        names = list(GoogLeNet_Weights.IMAGENET1K_V1.meta["categories"])
    return net, name, names, (3, 224, 224)


def run_synthetic(settings: SyntheticUntrainedSettings) -> SyntheticStudy:
    """§4.3: two kinds of synthetic mode per class, joined by the bypass."""
    t0 = time.perf_counter()
    s = settings
    model, name, names, shape = trained_network(s)
    # every class once, then again: the first pairs show distinct classes
    classes = list(s.synthetic_classes) * s.synthetic_pairs_per_class
    target = torch.tensor(classes)
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
        classes,
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

    @property
    def primary_barrier(self) -> np.ndarray:
        """(P,) bool: the pair's straight path (round 0) rises above the path threshold,
        so there is a barrier to bypass (the others are connected at round 0)."""
        return _primary_barrier(self.result)


def untrained_network(settings: SyntheticUntrainedSettings) -> tuple[nn.Module, str]:
    """The randomly initialised network (seeded, eval mode, on CUDA when there is one)."""
    torch.manual_seed(settings.untrained_seed)
    if settings.untrained_arch == "resnet18":
        net, name = build_model("resnet18", 10, pretrained=False), "ResNet-18 (torchvision)"
    else:
        w = settings.untrained_width
        net = build_model("cifar_resnet", 10, blocks=(1, 1, 1, 1), width=w)
        name = f"CIFAR ResNet of width {w}"
    return net.to(default_device()).eval(), name


def run_untrained(settings: SyntheticUntrainedSettings) -> UntrainedStudy:
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


# ---------------------------------------------------------------- the page


@dataclass
class SyntheticUntrainedStudy:
    """The page's two studies: §4.3 (``synthetic``) and §4.4 (``untrained``)."""

    synthetic: SyntheticStudy
    untrained: UntrainedStudy


def run(settings: SyntheticUntrainedSettings) -> SyntheticUntrainedStudy:
    """The page's study: §4.3 (:func:`run_synthetic`), then §4.4 (:func:`run_untrained`)."""
    synthetic = run_synthetic(settings)
    untrained = run_untrained(settings)
    return SyntheticUntrainedStudy(synthetic, untrained)
