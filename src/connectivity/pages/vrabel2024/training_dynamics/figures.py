"""The App. D.1 page's figure (``plot_barrier_evolution``, Figs. 10–11) and table
(``snapshot_table``), drawn from a :class:`~.study.TrainingDynamicsStudy`. Every pair is
kept (each input the best iterate of its synthesis, as the official script); the pairs
whose inputs both reached the threshold are marked."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from connectivity.barriers import mean_curve

from .study import TrainingDynamicsStudy


def snapshot_table(study: TrainingDynamicsStudy) -> pd.DataFrame:
    """One row per snapshot: pairs whose inputs both reached the threshold, barrier
    height and gap (mean, and the height's SD) over every pair, the barrier mean over
    the pairs of modes alone, largest endpoint loss, test accuracy."""
    rows = []
    for s in study.snapshots:
        b, m = s.barriers, s.mode_barriers
        rows.append(
            {
                "after": s.label,
                "pairs that are modes": f"{int(s.modes.sum())}/{len(s.modes)}",
                "barrier mean": float(b.mean()),
                "barrier SD": float(b.std(ddof=1)) if len(b) > 1 else np.nan,
                "gap mean": float(s.gaps.mean()),
                "barrier mean (modes)": float(m.mean()) if len(m) else np.nan,
                "largest endpoint CE": float(s.endpoint_loss.max()),
                "test accuracy": s.test_accuracy,
            }
        )
    return pd.DataFrame(rows).set_index("after")


def plot_barrier_evolution(study: TrainingDynamicsStudy):
    """Figs. 10–11: averaged primary loss curves (mean ± SD over every pair) after each
    batch and epoch snapshot, and each pair's barrier height at every snapshot (filled:
    both inputs reached the threshold; open: not) with the mean ± SD over pairs."""
    fig, axes = plt.subplots(2, 2, figsize=(9.5, 6.4))
    cmap = plt.get_cmap("viridis")
    for ax, kind in zip(axes[0], ("batch", "epoch")):
        snaps = study.of(kind)
        for j, s in enumerate(snaps):
            mean, sd = mean_curve(s.curves)
            t = np.linspace(0, 1, len(mean))
            colour = cmap(j / max(1, len(snaps) - 1))
            ax.plot(t, mean, color=colour, lw=1.2, label=s.label)
            ax.fill_between(t, np.maximum(mean - sd, 0), mean + sd, color=colour, alpha=0.1)
        ax.set_title(f"primary loss curves after each {kind}")
        ax.set_xlabel("position along the straight path")
        ax.legend(fontsize=6, ncol=2)
    axes[0, 0].set_ylabel("cross-entropy (mean ± SD)")
    for ax, kind in zip(axes[1], ("batch", "epoch")):
        snaps = study.of(kind)
        steps = [s.step for s in snaps]
        means = [s.barriers.mean() for s in snaps]
        # the sample SD, as the table's (one pair: no spread to show)
        sds = [s.barriers.std(ddof=1) if len(s.barriers) > 1 else 0.0 for s in snaps]
        ax.errorbar(steps, means, yerr=sds, fmt="-", capsize=3, color="grey", zorder=1)
        for reached, face, label in ((True, "C0", "modes"), (False, "none", "not modes")):
            xs = [s.step for s in snaps for m in s.modes if m == reached]
            ys = [b for s in snaps for b, m in zip(s.barriers, s.modes) if m == reached]
            ax.scatter(xs, ys, s=12, facecolors=face, edgecolors="C0", label=label, zorder=2)
        ax.legend(fontsize=6)
        ax.set_xlabel(f"{kind}es trained" if kind == "batch" else "epochs trained")
        ax.set_title(f"barrier height after each {kind}")
    axes[1, 0].set_ylabel("barrier height (pairs; mean ± SD)")
    fig.tight_layout()
    return fig
