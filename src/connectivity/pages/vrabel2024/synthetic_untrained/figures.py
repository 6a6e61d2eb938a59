"""The §4.3–4.4 page's figures (``plot_*``, Figs. 7–8) and table (``untrained_table``),
drawn from its two studies (:class:`~.study.SyntheticStudy`,
:class:`~.study.UntrainedStudy`)."""

from __future__ import annotations

import pandas as pd
import torch

from connectivity import plotting
from connectivity.bypass import BypassResult

from .study import SyntheticStudy, UntrainedStudy


def plot_synthetic_modes(syn: SyntheticStudy, max_classes: int = 5):
    """Fig. 7 (top): the natural-looking (first row) and high-frequency (second row) mode
    of the first classes, with their cross-entropy."""
    k = min(max_classes, len(syn.classes))
    images = torch.cat([syn.natural.x[:k], syn.high_frequency.x[:k].clamp(0, 1)])
    titles = [
        f"{kind} {syn.class_names[c]}\nCE {loss:.1e}"
        for kind, mode in (("natural", syn.natural), ("high-freq.", syn.high_frequency))
        for c, loss in zip(syn.classes[:k], mode.loss[:k].tolist())
    ]
    return plotting.image_grid(images, titles, ncols=k, size=1.8)


def _title_mark(is_modes: bool, has_barrier: bool) -> str:
    """A panel title's mark for a pair left out of the test: not a pair of modes, or a
    pair of modes without a primary barrier (connected at round 0)."""
    if not is_modes:
        return ": not modes, left out"
    return "" if has_barrier else ": no barrier, left out"


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
    pairs = list(range(min(max_classes, len(syn.classes))))
    modes, barrier = syn.pair_modes, syn.primary_barrier
    titles = [syn.class_names[syn.classes[p]] + _title_mark(modes[p], barrier[p]) for p in pairs]
    return plotting.bypass_rounds_grid(_panels(syn.result, pairs, titles), syn.threshold)


def plot_untrained_paths(unt: UntrainedStudy, max_pairs: int = 4):
    """Fig. 8: loss along the straight path and after each free-bypass round, per pair."""
    pairs = list(range(min(max_pairs, len(unt.target))))
    modes, barrier = unt.pair_modes, unt.primary_barrier
    titles = [
        f"pair {p} (class {int(unt.target[p])})" + _title_mark(modes[p], barrier[p]) for p in pairs
    ]
    return plotting.bypass_rounds_grid(_panels(unt.result, pairs, titles), unt.threshold)


def untrained_table(unt: UntrainedStudy) -> pd.DataFrame:
    """One row per pair: class, the two inputs' CE and iterations, barrier heights."""
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
