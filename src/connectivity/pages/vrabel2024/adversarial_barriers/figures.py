"""The §4.2 page's figures (``plot_*``) and table (``summary_table``), drawn from a
:class:`~.study.AdversarialBarriersStudy`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import torch

from connectivity import plotting
from connectivity.paper_values.vrabel2024_adversarial import (
    BARRIER_STATS,
    BRANCH_NAMES,
    PAPER_PAIRS_KEPT,
)

from .study import BRANCHES, COLUMN, AdversarialBarriersStudy


def summary_table(study: AdversarialBarriersStudy) -> pd.DataFrame:
    """Mean and median barrier height and gap per branch (pairs kept), beside the
    paper's: one row per statistic, columns (branch, this book / paper)."""
    words = {"max": "barrier height", "gap": "barrier gap"}
    rows = {}
    for branch in BRANCHES:
        k = study.kept(branch)
        rows[(BRANCH_NAMES[branch], "this book")] = {"pairs kept": len(k)}
        rows[(BRANCH_NAMES[branch], "paper")] = {"pairs kept": PAPER_PAIRS_KEPT}
        for key, paper in BARRIER_STATS[branch].items():
            quantity, statistic = key.split("_")
            label = f"{words[quantity]}, {statistic}"
            value = float(getattr(k[COLUMN[quantity]], statistic)())
            rows[(BRANCH_NAMES[branch], "this book")][label] = round(value, 3)
            rows[(BRANCH_NAMES[branch], "paper")][label] = paper
    frame = pd.DataFrame(rows)
    frame.index.name = "statistic"
    return frame


def plot_example(study: AdversarialBarriersStudy):
    """Fig. 4: a real mode A, the source K of another class, its adversarial K' and the
    perturbation K' − K (scaled to the grey range)."""
    ex = study.example
    d = ex["K'"] - ex["K"]
    scale = 0.5 / max(float(d.abs().max()), 1e-12)
    images = torch.stack([ex["A"], ex["K"], ex["K'"].clamp(0, 1), 0.5 + scale * d])
    titles = [study.example_labels[k] for k in ("A", "K", "K'")] + [f"K' − K (×{scale:.0f})"]
    return plotting.image_grid(images, titles, ncols=4, size=2.2)


def plot_statistics(study: AdversarialBarriersStudy):
    """Fig. 6: barrier height and gap of the pairs kept, real–real vs real–adversarial."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, quantity, title in zip(axes, ("max", "gap"), ("barrier height", "barrier gap")):
        data = [study.kept(b)[COLUMN[quantity]].to_numpy() for b in BRANCHES]
        box = ax.boxplot(data, patch_artist=True, widths=0.5)
        for patch, colour in zip(box["boxes"], ("royalblue", "firebrick")):
            patch.set(facecolor=colour, alpha=0.6)
        ax.set_xticks([1, 2], [BRANCH_NAMES[b] for b in BRANCHES])
        ax.set_title(title)
    axes[0].set_ylabel("cross-entropy")
    fig.tight_layout()
    return fig


def plot_bypass(study: AdversarialBarriersStudy):
    """Fig. 5: the loss along a real–adversarial path (left) and a real–real path (right)
    after each bypass round (:func:`connectivity.plotting.bypass_rounds_grid`)."""
    by = study.bypass
    panels = [
        {"curves": by.curves[b], "lengths": by.lengths[b], "title": f"{BRANCH_NAMES[b]} pair"}
        for b in ("real_adversarial", "real_real")
    ]
    return plotting.bypass_rounds_grid(panels, threshold=by.threshold, ncols=2)
