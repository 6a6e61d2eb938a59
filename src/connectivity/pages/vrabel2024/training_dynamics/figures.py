"""The App. D.1 page's figure (``plot_barrier_evolution``, Figs. 10–11) and table
(``snapshot_table``), drawn from a :class:`~.study.TrainingDynamicsStudy`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from connectivity.barriers import mean_curve

from .study import TrainingDynamicsStudy


def snapshot_table(study: TrainingDynamicsStudy) -> pd.DataFrame:
    """One row per snapshot: pairs that are modes, barrier mean and SD over them,
    largest endpoint loss, test accuracy."""
    rows = []
    for s in study.snapshots:
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


def plot_barrier_evolution(study: TrainingDynamicsStudy):
    """Figs. 10–11: averaged primary loss curves (mean ± SD over the pairs that are
    modes) after each batch and epoch snapshot, and the barrier height (mean ± SD) at
    every snapshot."""
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
        if snaps:
            ax.legend(fontsize=6, ncol=2)
        else:  # say why the panel is empty
            ax.text(
                0.5,
                0.5,
                f"no {kind} snapshot has a pair of modes",
                ha="center",
                va="center",
                transform=ax.transAxes,
                fontsize=8,
            )
    axes[0, 0].set_ylabel("cross-entropy (mean ± SD)")
    for ax, kind in zip(axes[1], ("batch", "epoch")):
        snaps = [s for s in study.of(kind) if s.modes.any()]
        steps = [s.step for s in snaps]
        means = [s.barriers.mean() for s in snaps]
        # the sample SD, as the table's (one pair: no spread to show)
        sds = [s.barriers.std(ddof=1) if len(s.barriers) > 1 else 0.0 for s in snaps]
        ax.errorbar(steps, means, yerr=sds, fmt="o-", capsize=3, ms=3)
        ax.set_xlabel(f"{kind}es trained" if kind == "batch" else "epochs trained")
        ax.set_title(f"barrier height after each {kind}")
    axes[1, 0].set_ylabel("barrier height (mean ± SD)")
    fig.tight_layout()
    return fig
