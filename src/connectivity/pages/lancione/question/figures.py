"""The question page's figures and tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from connectivity import plotting

from .study import DecodedGrid, QuestionStudy

PIXELS = 28


def _edges(mask: np.ndarray) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """The cell edges (in pixels of the mosaic) between a cell of ``mask`` and a cell
    outside it or the border: the outline of the mask's regions."""
    padded = np.pad(mask, 1)
    segs = []
    for i, j in zip(*np.nonzero(mask), strict=True):
        x0, y0, x1, y1 = j * PIXELS, i * PIXELS, (j + 1) * PIXELS, (i + 1) * PIXELS
        if not padded[i, j + 1]:  # above
            segs.append(((x0, y0), (x1, y0)))
        if not padded[i + 2, j + 1]:  # below
            segs.append(((x0, y1), (x1, y1)))
        if not padded[i + 1, j]:  # left
            segs.append(((x0, y0), (x0, y1)))
        if not padded[i + 1, j + 2]:  # right
            segs.append(((x1, y0), (x1, y1)))
    return segs


def decoded_figure(study: QuestionStudy):
    """The decoded grid as the report drew it (black digits on white), each cell tinted by
    the digit the judge reads there and labelled with it; thin lines separate cells read
    as different digits, thick red lines outline the regions of every split digit."""
    from matplotlib.collections import LineCollection

    grid: DecodedGrid = study.decoded
    n = grid.digits.shape[0]
    mosaic = 1 - grid.images.reshape(n, n, PIXELS, PIXELS).permute(0, 2, 1, 3)
    mosaic = mosaic.reshape(n * PIXELS, n * PIXELS).numpy()
    tint = np.array([plotting.DIGIT_COLORS(int(d))[:3] for d in grid.digits.ravel()])
    tint = np.kron(tint.reshape(n, n, 3), np.ones((PIXELS, PIXELS, 1)))
    rgb = mosaic[..., None] * (0.72 + 0.28 * tint)  # white cells take a light tint

    fig, ax = plt.subplots(figsize=(7.2, 7.2))
    ax.imshow(rgb, interpolation="nearest")
    for d in np.unique(grid.digits):
        ax.add_collection(LineCollection(_edges(grid.digits == d), colors="0.35", linewidths=0.6))
    for d in grid.split:
        ax.add_collection(LineCollection(_edges(grid.digits == d), colors="red", linewidths=2.2))
    for i in range(n):
        for j in range(n):
            ax.text(
                j * PIXELS + 2, i * PIXELS + 2, str(grid.digits[i, j]), fontsize=5.5,
                ha="left", va="top", color="red" if grid.digits[i, j] in grid.split else "0.2",
            )  # fmt: skip
    ax.set_xlim(-0.5, n * PIXELS - 0.5)  # the outlines must not widen the view
    ax.set_ylim(n * PIXELS - 0.5, -0.5)
    ticks = np.arange(n) * PIXELS + PIXELS / 2
    shown = np.unique(np.linspace(0, n - 1, 5).round().astype(int))
    ax.set_xticks(ticks[shown], [f"{grid.z[k]:.2f}" for k in shown])
    ax.set_yticks(ticks[shown], [f"{grid.z[k]:.2f}" for k in shown])
    quantile = "$\\Phi^{-1}((k+0.5)/" + str(n) + ")$"
    ax.set_xlabel(f"$z_1$ (column $k$: {quantile})")
    ax.set_ylabel(f"$z_2$ (row $k$: {quantile})")
    fig.tight_layout()
    return fig


def decoded_regions_table(study: QuestionStudy) -> pd.DataFrame:
    """Per predicted digit: its cells in the decoded grid and the sizes of its regions."""
    regions = study.decoded.regions
    return (
        pd.DataFrame(
            {
                "cells": {d: sum(s) for d, s in regions.items()},
                "regions": {d: len(s) for d, s in regions.items()},
                "region sizes (cells)": {d: ", ".join(map(str, s)) for d, s in regions.items()},
            }
        )
        .rename_axis("digit read by the judge")
        .T
    )


def latent_figure(study: QuestionStudy):
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    plotting.latent_scatter(study.codes, study.labels, ax=ax, s=2)
    ax.legend(markerscale=4, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return fig


def loss_table(study: QuestionStudy) -> pd.DataFrame:
    """The training loss at epochs 1-3, every fifth and the last."""
    loss = study.vae.loss
    shown = [e for e in range(1, len(loss) + 1) if e <= 3 or e % 5 == 0 or e == len(loss)]
    return (
        pd.DataFrame({"epoch": shown, "training loss": [loss[e - 1] for e in shown]})
        .set_index("epoch")
        .T.round(2)
    )


def regions_table(study: QuestionStudy) -> pd.DataFrame:
    return pd.DataFrame({"regions": study.regions}).rename_axis("digit").T
