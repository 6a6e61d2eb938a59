"""The methods page's figures and tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from connectivity import plotting
from connectivity.latent.digit_pairs import pair_label

from ..trainings import MODELS
from .study import MethodsStudy


def subsets_table(study: MethodsStudy) -> pd.DataFrame:
    return pd.DataFrame(study.subsets).set_index("subset")


def pixel_table(study: MethodsStudy) -> pd.DataFrame:
    rows = dict(study.pixel.variants)
    rows["mean over all 45 digit pairs (validation)"] = float(
        np.mean(list(study.pixel.all_pairs.values()))
    )
    return pd.Series(rows, name="pixel-space silhouette").round(3).to_frame()


def curves_figure(study: MethodsStudy):
    fig, axes = plt.subplots(1, 3, figsize=(10, 3), sharey=True)
    for ax, name in zip(axes, MODELS):
        val = study.runs[name].val_loss
        ax.plot(np.arange(1, val.shape[1] + 1), val.T.numpy(), color="C0", alpha=0.4)
        ax.set_title(f"{name}: {val.shape[0]} trainings")
        ax.set_xlabel("epoch")
    axes[0].set_ylabel("validation MSE")
    fig.tight_layout()
    return fig


def reconstructions_figure(study: MethodsStudy):
    s = study.settings
    g = torch.Generator().manual_seed(1)
    pick = torch.randperm(len(study.pair.y_val), generator=g)[: s.shown_images]
    clean = study.pair.x_val[pick]
    noisy = (clean + s.training.noise * torch.randn(clean.shape, generator=g)).clamp(0, 1)
    dae = study.runs["DAE"].model
    with torch.no_grad():
        out = dae.forward(noisy.unsqueeze(0), dae.select(0))[0]
    return plotting.image_grid(
        torch.cat([noisy, out, clean]).view(-1, 1, 28, 28), ncols=len(pick), size=1.0
    )


def angles_table(study: MethodsStudy) -> pd.DataFrame:
    lin = study.linear
    rows = {
        "the study's training": (lin.angles_study, lin.sil_study, lin.mse_study),
        "trained on, full batch": (lin.angles_converged, lin.sil_converged, lin.mse_converged),
    }
    table = pd.DataFrame(
        [
            {
                "linear autoencoder": name,
                "largest angle (°), median": np.median(a[:, 0]),
                "largest angle (°), max": a[:, 0].max(),
                "silhouette, mean": s.mean(),
                "validation MSE, mean": m.mean(),
            }
            for name, (a, s, m) in rows.items()
        ]
    )
    pca = {
        "linear autoencoder": "PCA, closed form",
        "largest angle (°), median": 0.0,
        "largest angle (°), max": 0.0,
        "silhouette, mean": lin.sil_pca,
        "validation MSE, mean": lin.mse_pca,
    }
    return pd.concat([table, pd.DataFrame([pca])]).set_index("linear autoencoder").round(4)


def activation_table(study: MethodsStudy) -> pd.DataFrame:
    return (
        pd.DataFrame(
            [
                {
                    "pair": pair_label(r.pair),
                    "activation": r.activation,
                    "silhouette, mean": r.silhouette.mean(),
                    "silhouette, SD": r.silhouette.std(ddof=1),
                    "validation MSE": r.val_loss.mean(),
                    "codes near the origin (%)": 100 * r.near_origin.mean(),
                    "codes with a zero coordinate (%)": 100 * r.zero_coordinate.mean(),
                    "collapsed trainings": f"{int(r.collapsed.sum())}/{len(r.collapsed)}",
                }
                for r in study.activation
            ]
        )
        .set_index(["pair", "activation"])
        .round(3)
    )


def activation_figure(study: MethodsStudy):
    fig, axes = plt.subplots(2, 2, figsize=(8, 7.5))
    for ax, r in zip(axes.ravel(), study.activation):
        plotting.latent_scatter(
            r.example_codes, r.labels, ax=ax, title=f"{r.activation}, {pair_label(r.pair)}"
        )
    fig.tight_layout()
    return fig
