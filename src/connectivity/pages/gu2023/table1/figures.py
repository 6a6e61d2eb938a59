"""The Table 1 page's figures (``plot_*``) and tables (``*_table``), drawn from a
:class:`~.study.Table1Study`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from connectivity.paper_values import paper_value

from .study import KIND_LABELS, KINDS, SPACE_LABELS, Table1Study

# ------------------------------------------------------------------ tables


def _paper_count(pid: str):
    try:
        return paper_value(pid).value
    except KeyError:
        return "—"


def count_table(study: Table1Study) -> pd.DataFrame:
    """Table 1's layout: per space, the paper's count and this book's mean ± SD."""
    k = len(study.settings.pair_seeds)
    rows = {}
    for space in study.runs:
        counts = study.counts(space)
        for j, kind in enumerate(KINDS):
            pid = f"gu2023.table1.{space}.{kind}"
            paper = _paper_count(pid)
            label = SPACE_LABELS[space]
            rows.setdefault(KIND_LABELS[kind], {})[(label, "paper")] = paper
            rows[KIND_LABELS[kind]][(label, f"mean ± SD, {k} draws")] = (
                f"{counts[:, j].mean():.1f} ± {counts[:, j].std(ddof=1):.1f}"
            )
    table = pd.DataFrame(rows).T
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table.fillna("—")


def neb_summary_table(study: Table1Study) -> pd.DataFrame:
    """Per space and outcome of the pairs NEB ran on: pairs, median iterations and
    departures."""
    return (
        study.neb.groupby(["space", "outcome"], sort=False)
        .agg(
            pairs=("pair", "size"),
            median_iterations=("iterations", "median"),
            median_Linf=("L∞ departure", "median"),
            median_Linf_in_Adam_steps=("L∞ in Adam steps", "median"),
            median_relative_L2=("relative L2 departure", "median"),
        )
        .round(4)
        .rename(columns=lambda c: c.replace("_", " ").replace("Linf", "L∞"))
    )


def depth_table(study: Table1Study) -> pd.DataFrame:
    """Counts per stage of the depth sweep (first draw), with the latent dimension."""
    return pd.DataFrame(
        [
            {
                "layer": r.layer,
                "dimension": int(np.prod(study.shapes[r.layer])),
                **{k: r.count(k) for k in KINDS},
            }
            for r in study.depth
        ]
    ).set_index("layer")


def shape_table(study: Table1Study) -> pd.DataFrame:
    """Per space: its layer, the shape of one point and its dimension."""
    layers = study.settings.spaces.as_dict()
    return pd.DataFrame(
        [
            {
                "space": SPACE_LABELS[s],
                "layer": layers[s],
                "shape of a point": " × ".join(map(str, study.shapes[s])),
                "dimension": int(np.prod(study.shapes[s])),
            }
            for s in study.runs
        ]
    ).set_index("space")


# ------------------------------------------------------------------ figures


def plot_linear_loss(study: Table1Study):
    """Largest target cross-entropy on each pair's straight path, per space (all draws)."""
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    for i, runs in enumerate(study.runs.values()):
        loss = torch.cat([r.connection.linear_max_loss for r in runs]).numpy()
        cat = np.concatenate([r.connection.category for r in runs])
        x = i + np.linspace(-0.3, 0.3, len(loss))
        for kind, color in (("linear", "C0"), ("nonlinear", "C1"), ("none", "C3")):
            sel = cat == kind
            ax.scatter(x[sel], loss[sel], s=12, color=color, label=kind if i == 0 else None)
    ax.axhline(np.log(2), color="0.5", ls=":", lw=1)
    ax.set_xticks(range(len(study.runs)), [SPACE_LABELS[s] for s in study.runs])
    ax.set_ylabel("largest target CE on the segment")
    ax.set_yscale("log")
    ax.legend(fontsize=8, title="pair", title_fontsize=8, loc="upper right")
    fig.tight_layout()
    return fig


def plot_neb(study: Table1Study):
    """Iterations to success against the band's relative departure from the segment."""
    neb = study.neb
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    for i, (space, group) in enumerate(neb.groupby("space", sort=False)):
        done = group[group.outcome == "nonlinear"]
        ax.scatter(done.iterations, done["relative L2 departure"], s=14, color=f"C{i}", label=space)
        fail = group[group.outcome == "none"]
        ax.scatter(
            np.full(len(fail), study.settings.neb.steps),
            fail["relative L2 departure"],
            s=20,
            marker="x",
            color=f"C{i}",
        )
    ax.set_xlabel("NEB iterations until all target class (× : never)")
    ax.set_ylabel("largest pivot distance / |z₂ − z₁|")
    if len(neb):
        ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_depth(study: Table1Study):
    """Share of linear / nonlinear / unconnected pairs per stage (first draw)."""
    table = depth_table(study)
    fig, ax = plt.subplots(figsize=(7.5, 3.2))
    bottom = np.zeros(len(table))
    for kind, color in (("linear", "C0"), ("nonlinear", "C1"), ("none", "C3")):
        share = table[kind].to_numpy() / study.settings.n_pairs
        ax.bar(table.index, share, bottom=bottom, color=color, label=kind)
        bottom += share
    ax.set_ylabel("share of pairs")
    ax.set_xlabel("space (input → pooled features)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig
