"""Figures shared by the chapters (image grids, curves, confusion matrices)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch


def setup() -> None:
    """One style for every figure of the book."""
    plt.rcParams.update(
        {
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
            "axes.titlesize": 10,
        }
    )


def to_image(x: torch.Tensor) -> np.ndarray:
    """(C, H, W) in [0, 1] -> (H, W[, 3]) array for ``imshow``."""
    x = x.detach().cpu().clamp(0, 1)
    return x[0].numpy() if x.shape[0] == 1 else x.permute(1, 2, 0).numpy()


def image_grid(
    images: torch.Tensor,
    titles: list[str] | None = None,
    ncols: int = 8,
    size: float = 1.3,
    axes=None,
    title_colors: list[str] | None = None,
):
    """Show images (N, C, H, W) in [0, 1] on a grid; returns the figure."""
    n = len(images)
    nrows = int(np.ceil(n / ncols))
    if axes is None:
        fig, axes = plt.subplots(
            nrows,
            ncols,
            figsize=(ncols * size, nrows * size * (1.25 if titles else 1)),
            squeeze=False,
        )
    else:
        fig = np.ravel(axes)[0].figure
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i < n:
            ax.imshow(
                to_image(images[i]), cmap="gray" if images.shape[1] == 1 else None, vmin=0, vmax=1
            )
            if titles:
                ax.set_title(
                    titles[i], fontsize=8, color=(title_colors[i] if title_colors else "black")
                )
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
                ax.text(
                    j,
                    i,
                    f"{cm[i, j]:.2f}",
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if cm[i, j] > 0.5 else "black",
                )
    fig.colorbar(im, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig


DIGIT_COLORS = plt.get_cmap("tab10")


def latent_scatter(z, labels, ax=None, title: str = "", s: float = 4, alpha: float = 0.6):
    """Scatter of 2-D codes z (n, 2) coloured by label; returns the axes."""
    z, labels = np.asarray(z), np.asarray(labels)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    for k in np.unique(labels):
        m = labels == k
        ax.scatter(
            z[m, 0], z[m, 1], s=s, alpha=alpha, color=DIGIT_COLORS(int(k) % 10), label=str(k)
        )
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title)
    ax.legend(markerscale=3, fontsize=7, loc="best")
    return ax


def silhouette_plot(s_values, labels, ax=None, title: str = ""):
    """Silhouette plot: per-sample s, sorted within each cluster, as horizontal bars."""
    s_values, labels = np.asarray(s_values), np.asarray(labels)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    y0 = 0
    for k in np.unique(labels):
        v = np.sort(s_values[labels == k])
        ax.fill_betweenx(
            np.arange(y0, y0 + len(v)), 0, v, color=DIGIT_COLORS(int(k) % 10), alpha=0.8
        )
        ax.text(-0.05, y0 + len(v) / 2, str(k), ha="right", va="center")
        y0 += len(v) + 20
    ax.axvline(s_values.mean(), color="red", ls="--", lw=1, label=f"mean {s_values.mean():.2f}")
    ax.set_xlim(-0.3, 1)
    ax.set_yticks([])
    ax.set_xlabel("silhouette $s_i$")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def pair_heatmap(
    values: dict, ax=None, title: str = "", vmin=None, vmax=None, cmap="viridis", fmt="{:.2f}"
):
    """Heat map of a value per digit pair {(a, b): v} on a 10 x 10 grid (lower triangle)."""
    grid = np.full((10, 10), np.nan)
    for (a, b), v in values.items():
        grid[max(a, b), min(a, b)] = v
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 3.8))
    im = ax.imshow(grid, cmap=cmap, vmin=vmin, vmax=vmax)
    for (a, b), v in values.items():
        ax.text(
            min(a, b),
            max(a, b),
            fmt.format(v),
            ha="center",
            va="center",
            fontsize=5.5,
            color="white",
        )
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_title(title)
    ax.figure.colorbar(im, ax=ax, fraction=0.046)
    return ax


def bypass_rounds(
    curves,
    threshold: float | None = None,
    lengths=None,
    ax=None,
    title: str = "",
    legend: bool = True,
    rounds: list[int] | None = None,
):
    """Loss along a path after each bypass round (Vrabel et al. Figs. 2, 5, 8): one line per
    round, ``curves[r]`` the loss along the path at round r, (segments, points) (round 0:
    the straight path, one segment). The segments are laid one after the other over
    [0, 1], each over a share proportional to its length (``lengths[r]`` (segments,)) or
    to an equal share. Log scale; the dashed line is ``threshold``. Returns the figure.

    >>> import torch
    >>> fig = bypass_rounds([torch.rand(1, 50) + 1, torch.rand(2, 20) * 0.1], threshold=0.1)
    """
    if ax is None:
        fig, ax = plt.subplots(figsize=(4.5, 3))
    rounds = list(range(len(curves))) if rounds is None else rounds

    def array(v):
        return np.asarray(v.detach().cpu() if hasattr(v, "detach") else v, dtype=float)

    for k, (r, curve) in enumerate(zip(rounds, curves)):
        curve = array(curve)
        curve = curve.reshape(1, -1) if curve.ndim == 1 else curve
        share = np.ones(len(curve)) if lengths is None else array(lengths[k])
        edges = np.concatenate([[0.0], np.cumsum(share / max(share.sum(), 1e-30))])
        pos = np.concatenate(
            [np.linspace(edges[s], edges[s + 1], curve.shape[1]) for s in range(len(curve))]
        )
        ax.plot(
            pos,
            np.maximum(curve.ravel(), 1e-12),
            lw=1.2,
            color="0.55" if r == 0 else f"C{r - 1}",
            label="straight path" if r == 0 else f"after round {r}",
        )
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("position along the path")
    ax.set_ylabel("cross-entropy")
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(fontsize=7)
    return ax.figure


def bypass_rounds_grid(
    panels: list[dict],
    threshold: float | None = None,
    ncols: int = 2,
    size: tuple[float, float] = (4.4, 2.9),
):
    """Several :func:`bypass_rounds` panels on a grid (at most ``ncols`` per row), one per
    path: each panel a dict with ``curves`` and optionally ``lengths`` and ``title``.
    The legend is drawn in the first panel only. Returns the figure."""
    n = len(panels)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size[0] * ncols, size[1] * nrows), squeeze=False
    )
    for k, ax in enumerate(axes.ravel()):
        if k >= n:
            ax.axis("off")
            continue
        p = panels[k]
        bypass_rounds(
            p["curves"], threshold, p.get("lengths"), ax=ax, title=p.get("title", ""), legend=k == 0
        )
        if k % ncols:
            ax.set_ylabel("")
    fig.tight_layout()
    return fig
