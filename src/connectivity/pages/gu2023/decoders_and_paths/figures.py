"""The decoders-and-paths page's figures: strips of images along a path with their
softmax (Figs. 2-3), and test images with their decodings."""

from __future__ import annotations

import matplotlib.pyplot as plt

from connectivity.plotting import to_image

from .study import DecodersAndPathsStudy, Strip


def plot_strips(strips: list[Strip], classes: list[str], size: float = 1.0):
    """Each strip as a row of images above a row of softmax bars (the pair's class in red,
    the straight path's worst point framed in red); at most 10 inches wide."""
    if not strips:
        fig, ax = plt.subplots(figsize=(6, 0.6))
        ax.axis("off")
        ax.text(0, 0.5, "no such pair in this draw", fontsize=10, va="center")
        return fig
    k = max(len(st.t) for st in strips)
    size = min(size, 10 / k)
    fig = plt.figure(figsize=(k * size, len(strips) * size * 2.0))
    gs = fig.add_gridspec(
        2 * len(strips), k, height_ratios=[1, 0.7] * len(strips), hspace=0.35, wspace=0.08
    )
    n_cls = strips[0].probs.shape[1]
    for r, st in enumerate(strips):
        colors = ["red" if c == st.target else "0.6" for c in range(n_cls)]
        for j in range(len(st.t)):
            ax = fig.add_subplot(gs[2 * r, j])
            ax.imshow(to_image(st.images[j]))
            ax.set_xticks([])
            ax.set_yticks([])
            edge = "red" if j == st.worst else "none"
            for spine in ax.spines.values():
                spine.set_visible(edge != "none")
                spine.set_color(edge)
                spine.set_linewidth(2)
            ax.set_xlabel(f"t={float(st.t[j]):.2f}", fontsize=7, labelpad=1)
            if j == 0:
                ax.set_title(st.title, loc="left", fontsize=9)
            ax = fig.add_subplot(gs[2 * r + 1, j])
            ax.bar(range(n_cls), st.probs[j].numpy(), color=colors)
            ax.set_ylim(0, 1)
            ax.set_xticks([])
            if j:
                ax.set_yticks([])
            pred = int(st.probs[j].argmax())
            ax.set_title(
                classes[pred], fontsize=7, pad=1, color="black" if pred == st.target else "red"
            )
    return fig


def plot_examples(study: DecodersAndPathsStudy, size: float = 1.1):
    """Test images (top) and their decodings from the first hidden layer and the pooled
    features."""
    rows = [
        ("test image", study.examples),
        ("from first hidden layer", study.decoded["intermediate"]),
        ("from pooled features", study.decoded["last"]),
    ]
    n = len(study.examples)
    size = min(size, 10 / n)
    fig, axes = plt.subplots(3, n, figsize=(n * size, 3 * size * 1.1), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for j in range(n):
            ax = axes[r, j]
            ax.imshow(to_image(images[j]))
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.tight_layout()
    return fig
