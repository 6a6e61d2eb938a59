"""The results page's figures and tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from connectivity import plotting
from connectivity.latent.digit_pairs import pair_label
from connectivity.latent.metrics import silhouette_samples
from connectivity.paper_values import paper_value
from connectivity.paper_values.lancione import HIGH_SILHOUETTE, REPORT_DRAWN_BOUND_SHARE

from ..trainings import SATURATED_SHARE
from .study import ResultsStudy


def silhouette_table(study: ResultsStudy) -> pd.DataFrame:
    """Silhouettes over the trainings of each model (all of them), their validation MSE,
    how many the saturation rule flags and the mean silhouette of the others; the closed
    form is one number (no SD, min or max: NaN, shown as a dash)."""
    rows = []
    for model, s in study.silhouettes.items():
        name = "PCA (linear AE, the study's training)" if model == "PCA" else model
        rows.append(
            {
                "model": name,
                "mean": s.mean(),
                "SD": s.std(ddof=1),
                "min": s.min(),
                "max": s.max(),
                "validation MSE": study.runs[model].final_val_loss.mean().item(),
                "saturated": int(study.saturated[model].sum()),
                "mean without them": s[~study.saturated[model]].mean()
                if (~study.saturated[model]).any()
                else np.nan,
            }
        )
    rows.append(
        {
            "model": "PCA (closed form)",
            "mean": study.sil_pca,
            "SD": np.nan,
            "min": np.nan,
            "max": np.nan,
            "validation MSE": study.pca_val_mse,
            "saturated": 0,
            "mean without them": study.sil_pca,
        }
    )
    return pd.DataFrame(rows).set_index("model").round(3)


def silhouette_figure(study: ResultsStudy):
    fig, ax = plt.subplots(figsize=(8, 3.2))
    rng = np.random.default_rng(0)
    for k, (model, s) in enumerate(study.silhouettes.items()):
        ax.scatter(
            s, k + rng.uniform(-0.12, 0.12, len(s)), color=f"C{k}", label=f"{model}, this book"
        )
    ax.axvline(study.sil_pca, color="C0", lw=1, label="PCA closed form, this book")
    refs = [
        ("lancione.silhouette.pca", "C0", "report: PCA"),
        ("lancione.silhouette.high", "C1", "report: 'up to' (AE)"),
        ("lancione.silhouette.dae", "C2", "report: DAE (mean of A, B)"),
    ]
    for pid, color, label in refs:
        value = HIGH_SILHOUETTE if pid == "lancione.silhouette.high" else paper_value(pid).value
        ax.axvline(value, color=color, ls=":", label=label)
    ax.set_yticks(range(len(study.silhouettes)), list(study.silhouettes))
    ax.set_xlabel("silhouette of the validation codes")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def saturation_figure(study: ResultsStudy):
    """Per AE and DAE training: the share of its codes at tanh's bound (the saturation
    rule's statistic; saturated above the dashed line) against the share of its points'
    drawn area at the bound when plotted as the report plotted its own; the report's nine
    plots as ticks at their drawn shares (DAE above, AE below)."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for k, model in enumerate(("AE", "DAE")):
        ax.scatter(
            study.drawn[model], study.bound[model], color=f"C{k + 1}", label=f"{model}, this book"
        )
    ax.axhline(SATURATED_SHARE, color="grey", ls="--", lw=1, label="saturated above")
    for name, d in REPORT_DRAWN_BOUND_SHARE.items():
        dae = name.startswith("DAE")
        ax.plot([d, d], [1.04, 1.1] if dae else [-0.1, -0.04], color="C2" if dae else "C1")
    ax.plot([], [], color="k", label="the report's plots (DAE top, AE bottom)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(-0.12, 1.12)
    ax.set_xlabel("share of the drawn points' area at the bound (as the report plots)")
    ax.set_ylabel("share of codes at the bound")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def layouts_figure(study: ResultsStudy):
    fig, axes = plt.subplots(2, 2, figsize=(9, 8))
    y = study.pair.y_val
    for row, seed in enumerate(study.settings.shown):
        z = study.codes["DAE"][seed]
        plotting.silhouette_plot(
            silhouette_samples(z, y), y, ax=axes[row, 0], title=f"DAE training {seed}"
        )
        plotting.latent_scatter(
            z, y, ax=axes[row, 1], title=f"DAE training {seed}: validation codes"
        )
    fig.tight_layout()
    return fig


def layouts_table(study: ResultsStudy) -> pd.DataFrame:
    df = pd.DataFrame(
        [
            {
                "model": lp.model,
                "Procrustes disparity": lp.disparity,
                "floor (resampled images)": lp.floor,
                "relative silhouette change": lp.relative_silhouette_change,
                "layout change (unrelated = 1)": lp.layout_change,
                "score change (unrelated = 1)": lp.score_change,
            }
            for lp in study.layouts
        ]
    )
    return df.groupby("model").agg(["mean", "max"]).round(3)


def survey_figure(study: ResultsStudy):
    sv = study.survey
    panels = {
        "PCA (closed form)": sv.pca_silhouette,
        "AE": sv.per_pair("AE", "silhouette"),
        "DAE": sv.per_pair("DAE", "silhouette"),
    }
    collapsed: dict = {p: 0 for p in sv.pairs}
    for r in sv.collapsed:
        collapsed[r.pair] += 1
    fig, axes = plt.subplots(2, 2, figsize=(9, 8))
    for ax, (name, values) in zip(axes.ravel(), panels.items()):
        plotting.pair_heatmap(values, ax=ax, title=f"{name}: silhouette", vmin=0, vmax=0.8)
    plotting.pair_heatmap(
        collapsed,
        ax=axes[1, 1],
        title="collapsed trainings (AE + DAE)",
        cmap="magma",
        vmin=0,
        vmax=max(1, max(collapsed.values())),
        fmt="{:.0f}",
    )
    fig.tight_layout()
    return fig


def collapsed_table(study: ResultsStudy) -> pd.DataFrame:
    """Per model and attempt: trainings run, collapsed, and slots left out at the end."""
    sv = study.survey
    rows = []
    for model in ("AE", "DAE"):
        for attempt in sorted({r.attempt for r in sv.runs}):
            runs = [r for r in sv.runs if r.model == model and r.attempt == attempt]
            if runs:
                rows.append(
                    {
                        "model": model,
                        "attempt": "first training" if attempt == 0 else f"rerun {attempt}",
                        "trainings": len(runs),
                        "collapsed": sum(r.collapsed for r in runs),
                    }
                )
    table = pd.DataFrame(rows).set_index(["model", "attempt"])
    slots = sv.config.seeds * len(sv.pairs)
    left = {m: slots - sum(1 for r in sv.accepted if r.model == m) for m in ("AE", "DAE")}
    table["left out at the end"] = [
        left[m] if a == table.loc[m].index[-1] else "" for m, a in table.index
    ]
    return table


def survey_table(study: ResultsStudy) -> pd.DataFrame:
    sv = study.survey
    df = pd.DataFrame(
        {
            "PCA (closed form)": sv.pca_silhouette,
            "AE": sv.per_pair("AE", "silhouette"),
            "DAE": sv.per_pair("DAE", "silhouette"),
        }
    )
    df.index = [pair_label(p) for p in df.index]
    return df.describe().loc[["count", "mean", "std", "min", "max"]].round(3)
