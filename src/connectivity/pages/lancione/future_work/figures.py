"""The future-work page's figures and tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from connectivity import plotting
from connectivity.latent.digit_pairs import pair_label

from ..trainings import HARD_PAIRS
from .study import FutureWorkStudy


def failure_table(study: FutureWorkStudy) -> pd.DataFrame:
    """The denoising autoencoder's first trainings on the hard pairs and on the others:
    how many collapsed, reconstructed one digit as the other, failed in all."""
    rows = {}
    for name, hard in (("1–7 and 4–9", True), ("other pairs", False)):
        group = [a for a in study.first_dae if (a.pair in HARD_PAIRS) == hard]
        failed = sum(a.failed for a in group)
        rows[name] = {
            "first trainings": len(group),
            "collapsed": sum(a.collapsed for a in group),
            "one digit read as the other": sum(
                a.judged_as_other and not a.collapsed for a in group
            ),
            "failed": failed,
            "failed (share)": round(failed / len(group), 3) if group else float("nan"),
        }
    return pd.DataFrame(rows).T


def wrong_table(study: FutureWorkStudy) -> pd.DataFrame:
    sv = study.survey
    df = pd.DataFrame(
        {
            "PCA (closed form)": sv.pca_wrong,
            "AE": sv.per_pair("AE", "wrong"),
            "DAE": sv.per_pair("DAE", "wrong"),
        }
    )
    df["DAE rank (1 = most wrong)"] = df["DAE"].rank(ascending=False).astype("Int64")
    df.index = [pair_label(p) for p in df.index]
    return df.sort_values("DAE", ascending=False).head(8).round(3)


def wrong_figure(study: FutureWorkStudy):
    sv = study.survey
    panels = {
        "PCA (closed form)": sv.pca_wrong,
        "AE": sv.per_pair("AE", "wrong"),
        "DAE": sv.per_pair("DAE", "wrong"),
    }
    fig, axes = plt.subplots(2, 2, figsize=(9, 8))
    for ax, (name, values) in zip(axes.ravel(), panels.items()):
        plotting.pair_heatmap(
            values, ax=ax, title=f"{name}: wrong reconstructions", vmin=0, vmax=0.5, cmap="magma"
        )
    ax = axes[1, 1]
    ok = [r.wrong for r in sv.runs if not r.collapsed]
    bad = [r.wrong for r in sv.runs if r.collapsed]
    bins = np.linspace(0, 1, 21)
    ax.hist(ok, bins=bins, color="C0", alpha=0.6, label=f"trained ({len(ok)})")
    ax.hist(bad, bins=bins, color="C3", alpha=0.6, label=f"collapsed ({len(bad)})")
    ax.set_xlabel("wrong-reconstruction rate")
    ax.set_ylabel("trainings (AE + DAE)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def sweep_table(study: FutureWorkStudy) -> pd.DataFrame:
    df = study.sweep_frame().drop(columns="seed").groupby("latent")
    return df.agg(["mean", "std"]).round(4).rename_axis("latent dimension")


def sweep_figure(study: FutureWorkStudy):
    df = study.sweep_frame()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    for ax, col, label in zip(
        axes, ("silhouette", "val_loss"), ("silhouette (validation)", "validation MSE")
    ):
        ax.scatter(df["latent"], df[col], color="0.6", s=10, label="one training")
        m = df.groupby("latent")[col].mean()
        ax.plot(m.index, m.values, "o-", color="C0", label="mean")
        ax.set_xscale("log", base=2)
        ax.set_xticks(m.index, [str(d) for d in m.index])
        ax.set_xlabel("latent dimension")
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig
