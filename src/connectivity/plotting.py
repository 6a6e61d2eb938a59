"""Figures shared by the chapters (image grids, curves, confusion matrices)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch


def setup() -> None:
    """One style for every figure of the book."""
    plt.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "axes.spines.top": False,
                         "axes.spines.right": False, "font.size": 10, "axes.titlesize": 10})


def to_image(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W[, 3]) array for ``imshow``."""
    x = x.detach().cpu().clamp(0, 1)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


def image_grid(images: torch.Tensor, titles: list[str] | None = None, ncols: int = 8, size: float = 1.3,
               axes=None, title_colors: list[str] | None = None):
    """Show images (N, C, H, W) in [0, 1] on a grid; returns the figure."""
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    if axes is None:
        fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * (1.25 if titles else 1)),
                                 squeeze=False)
    else:
        fig = np.ravel(axes)[0].figure
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < n:
            ax.imshow(to_image(images[i]), cmap="gray" if images.shape[1] == 1 else None, vmin=0, vmax=1)
            if titles:
                ax.set_title(titles[i], fontsize=8, color=(title_colors[i] if title_colors else "black"))
    fig.tight_layout()
    return fig


def training_curves(histories: dict[str, dict], ax=None):
    """Train and test accuracy per epoch for several models; returns the figure."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 3.5))
    fig = ax.figure
    for k, (name, h) in enumerate(histories.items()):
        ep = np.arange(1, len(h["test_acc"]) + 1)
        color = f"C{k}"
        ax.plot(ep, h["train_acc"], "--", color=color, label=f"{name} (train, augmented)")
        ax.plot(ep, h["test_acc"], "-o", color=color, label=f"{name} (test)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def confusion_matrix_plot(y_true, y_pred, classes: list[str], ax=None, normalize: bool = True):
    """Row-normalised confusion matrix as a heat map; returns the figure."""
    from sklearn.metrics import confusion_matrix

    cm = confusion_matrix(np.asarray(y_true), np.asarray(y_pred), labels=range(len(classes)))
    if normalize:
        cm = cm / np.maximum(cm.sum(1, keepdims=True), 1)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 4.8))
    fig = ax.figure
    im = ax.imshow(cm, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    ax.set_xticks(range(len(classes)), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(classes)), classes, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if len(classes) <= 12:
        for i in range(len(classes)):
            for j in range(len(classes)):
                ax.text(j, i, f"{cm[i, j]:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if cm[i, j] > 0.5 else "black")
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
