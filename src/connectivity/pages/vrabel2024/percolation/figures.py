"""The §5 page's figures (``plot_*``: Fig. 9, the thresholds, the mean field, the
conjecture) and tables (``*_table``), drawn from a :class:`~.study.PercolationStudy`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import ndimage

# the maths (this package's name is the same, so the import is absolute)
from connectivity import percolation as perc

from .study import PercolationStudy

# ---------------------------------------------------------------- tables


def pc_table(study: PercolationStudy) -> pd.DataFrame:
    """One row per dimension n: the lattice size L, the estimated p_c, the literature's
    (infinite lattice) and the mean field's 1/(2n − 1)."""
    return pd.DataFrame(
        [
            {
                "n": n,
                "L": study.pc_sizes[n],
                "estimate": study.pc[n],
                "literature (infinite lattice)": perc.PC_HYPERCUBIC_SITE.get(n, np.nan),
                "mean field 1/(2n−1)": 1 / (2 * n - 1),
            }
            for n in study.pc
        ]
    ).set_index("n")


def conjecture_table(study: PercolationStudy) -> pd.DataFrame:
    """One row per n: fraction found with its 95 % exact interval, straight line,
    exact answer (n = 2, 3), the network's width and the seconds the search took."""
    conj = study.conjecture
    rows = []
    for n, w in zip(conj.dims, conj.widths):
        f = conj.found[n]
        lo, hi = perc.binomial_interval(int(f.sum()), len(f))
        rows.append(
            {
                "n": n,
                "hidden width": w,
                "found connected": f.mean(),
                "95 % interval": f"{lo:.2f}–{hi:.2f}",
                "straight line suffices": conj.straight[n].mean(),
                # the flood fill runs for n = 2, 3 only: a dash, not NaN, elsewhere
                "exact (flood fill)": (
                    round(float(conj.exact[n].mean()), 3) if n in conj.exact else "—"
                ),
                "seconds": round(conj.seconds[n], 1),
            }
        )
    return pd.DataFrame(rows).set_index("n")


# ---------------------------------------------------------------- figures


def plot_fig9(study: PercolationStudy):
    """Fig. 9: a square lattice below, at and above p_c; the largest cluster in colour."""
    L = study.settings.figure_size
    u = np.random.default_rng(0).random((L, L))
    fig, axes = plt.subplots(1, 3, figsize=(9, 3.4))
    for ax, p in zip(axes, (0.55, perc.PC_SQUARE_SITE, 0.63)):
        lab, n = ndimage.label(u < p)
        rgb = np.stack([np.where(u < p, 0.75, 1.0)] * 3, -1)
        if n:
            rgb[lab == np.bincount(lab.ravel())[1:].argmax() + 1] = (0.85, 0.2, 0.2)
        ax.imshow(rgb, interpolation="nearest")
        ax.set_title(f"p = {p:.4f}" + ("  (p_c)" if p == perc.PC_SQUARE_SITE else ""))
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_thresholds(study: PercolationStudy):
    """Left: spanning probability of square lattices of growing size against p. Right: the
    estimated p_c per dimension against the literature and the mean field 1/(2n − 1)."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.4))
    for L, probs in study.spanning.items():
        left.plot(study.ps, probs, "o-", ms=3, label=f"L = {L}")
    left.axvline(perc.PC_SQUARE_SITE, color="k", ls=":", lw=1, label="p_c (literature)")
    left.set_xlabel("occupation probability p")
    left.set_ylabel("spanning probability")
    left.legend(fontsize=7)
    dims = np.array(list(study.pc))
    right.plot(dims, [study.pc[n] for n in dims], "o-", label="estimate (finite L)")
    known = [n for n in dims if n in perc.PC_HYPERCUBIC_SITE]  # tabulated up to n = 7
    right.plot(known, [perc.PC_HYPERCUBIC_SITE[n] for n in known], "s--", label="literature")
    right.plot(dims, 1 / (2 * dims - 1), "k:", label="mean field 1/(2n−1)")
    right.set_xlabel("dimension n")
    right.set_ylabel("threshold p_c")
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_mean_field(study: PercolationStudy):
    """P∞ of the Bethe lattice (z = 2n) against the largest-cluster fraction of finite
    lattices, one panel per dimension, three per row."""
    dims = list(study.mf_lattice)
    ncols = 3
    nrows = int(np.ceil(len(dims) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(9.5, 2.8 * nrows), squeeze=False, sharey=True)
    for ax, n in zip(axes.ravel(), dims):
        ax.plot(study.mf_ps, study.mf_bethe[n], "k-", label="Bethe, z = 2n")
        ax.plot(study.mf_ps, study.mf_lattice[n], "o", ms=2.5, color="C3", label="lattice")
        ax.set_title(f"n = {n}")
        ax.set_xlabel("p")
    for ax in axes.ravel()[len(dims) :]:
        ax.axis("off")
    for ax in axes[:, 0]:
        ax.set_ylabel("P∞ / largest cluster")
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return fig


def plot_conjecture(study: PercolationStudy):
    """Fraction of ε-similar pairs connected against n: the search (95 % exact intervals),
    the straight line, and the exact flood fill for n = 2, 3."""
    conj = study.conjecture
    dims = np.array(conj.dims)
    frac = np.array([conj.found[n].mean() for n in dims])
    ci = np.array(
        [perc.binomial_interval(int(conj.found[n].sum()), len(conj.found[n])) for n in dims]
    )
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.errorbar(
        dims,
        frac,
        yerr=[frac - ci[:, 0], ci[:, 1] - frac],
        fmt="o-",
        capsize=3,
        label="found by the search (95 % interval)",
    )
    ax.plot(dims, [conj.straight[n].mean() for n in dims], "s--", label="straight line suffices")
    ex = [n for n in dims if n in conj.exact]
    ax.plot(ex, [conj.exact[n].mean() for n in ex], "k*", ms=10, label="exact (flood fill)")
    ax.set_xscale("log")
    ax.set_xlabel("input dimension n")
    ax.set_ylabel("fraction of pairs")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
