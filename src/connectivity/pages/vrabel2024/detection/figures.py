"""The detection page's figures (``plot_*``) and tables (``*_table``), drawn from a
:class:`~.study.DetectionStudy`."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from connectivity import detection as det
from connectivity import plotting
from connectivity.attacks import UNTARGETED
from connectivity.paper_values.vrabel2024_adversarial import (
    ATTACK_NAMES,
    DATASET_NAMES,
    DETECTOR_NAMES,
    DETECTORS,
    TABLE1,
)

from .settings import MAHALANOBIS_ROWS
from .study import REFIT_MAX_FEATURES, DetectionStudy
from .tolerances import (
    BORDERLINE,
    borderline,
    cell_margins,
    cell_tolerances,
    cell_z,
    paper_pairs,
)

# ---------------------------------------------------------------- tables


def attack_table(study: DetectionStudy) -> pd.DataFrame:
    """Per data set and attack: images attacked, success rate, median distances, cost."""
    rows = [
        {
            "data set": DATASET_NAMES[ds],
            "attack": ATTACK_NAMES[a],
            "attacked": s.attacked,
            "success (%)": round(100 * s.success_rate, 1),
            "median L∞": round(s.median_linf, 4),
            "median L2": round(s.median_l2, 3),
            "ms per image": round(1000 * s.seconds / max(1, s.attacked), 1),
        }
        for ds, run in study.runs.items()
        for a, s in run.attacks.items()
    ]
    return pd.DataFrame(rows).set_index(["data set", "attack"])


def _z_text(z: float) -> str:
    return "—" if np.isnan(z) else f"{z:+.1f}"


def _table1_cell(
    score: det.DetectionScore, paper: tuple[float, float], dataset: str, detector: str, j: int
) -> str:
    """One cell: this build's accuracy / AUC ± the SE of the AUC, the benchmark's own
    split (fold 1) where the score is the mean of five folds, the paper's in brackets,
    and each number's z (difference / its SE) with ◆ where it is borderline."""
    if np.isnan(score.auc):
        return f"—\n({paper[0]:.1f} / {paper[1]:.1f})"
    if score.constant:
        return f"— (constant output)\n({paper[0]:.1f} / {paper[1]:.1f})"
    got = f"{score.accuracy:.1f} / {score.auc:.1f} ±{score.auc_se:.1f}"
    one = score.benchmark_split
    fold1 = f"\nfold 1: {one.accuracy:.1f} / {one.auc:.1f}" if one is not score else ""
    margins = cell_margins(dataset, detector, j)
    tols = cell_tolerances(score, *paper, dataset, margins, paper_pairs(dataset, detector))
    diffs = (score.accuracy - paper[0], score.auc - paper[1])
    z = " / ".join(_z_text(cell_z(d, t)) for d, t in zip(diffs, tols))
    mark = " ◆" if any(borderline(d, t) for d, t in zip(diffs, tols)) else ""
    return f"{got}{fold1}\n({paper[0]:.1f} / {paper[1]:.1f})\nz {z}{mark}"


def spread_sentence(study: DetectionStudy) -> str:
    """What the Table 1 tolerances' spread is made of and how large it was (generated
    from the refits kept on the scores), and what it leaves out."""
    scored = [
        s
        for run in study.runs.values()
        for by_attack in run.scores.values()
        for s in by_attack.values()
        if s.n_test and not s.constant
    ]
    refits = [s.refit for s in scored if s.refit is not None]
    left_out = (
        "The seeds of the image draw and of the VGG's training need a GPU to vary (a new "
        "draw is new attacks, a new training a new network) and are not varied here; nor "
        "is PGD's random start, whose attacks are cached for one start only."
    )
    if not refits:
        return (
            "No cell was fitted again on its features, so the tolerances carry no spread "
            "between fits. " + left_out
        )
    n = refits[0].n - 1
    sd = np.array([r.auc_sd for r in refits])
    wide = len(scored) - len(refits)
    return (
        f"{len(refits)} of the {len(scored)} cells scored were fitted again {n} "
        f"time{'s' if n > 1 else ''} on their cached features, each time with another "
        f"{refits[0].varied}"
        + (
            f" (the other {wide}: features of more than {REFIT_MAX_FEATURES:,} columns, "
            "too costly to refit)"
            if wide
            else ""
        )
        + f"; the SD of a cell's AUC over its {n + 1} fits, median {np.median(sd):.2f} and "
        f"at most {sd.max():.2f} points, enters its tolerance in quadrature. " + left_out
    )


def table1_table(study: DetectionStudy, dataset: str):
    """Table 1 for one data set: per detector and attack, this book's accuracy / AUC ±
    the standard error of the AUC (%; between-fold when cross-validated, with the
    benchmark's own split, fold 1, below), the paper's in brackets, and each number's z
    (difference / SE of the difference; ◆: borderline, |difference| within 10 % of its
    margin from it). A styled table; its caption says what the SEs hold."""
    run = study.runs[dataset]
    frame = pd.DataFrame(
        {
            ATTACK_NAMES[a]: {
                DETECTOR_NAMES[d]: _table1_cell(
                    run.scores[d][a], TABLE1[dataset][d][j], dataset, d, j
                )
                for d in DETECTORS
            }
            for j, a in enumerate(UNTARGETED)
        }
    )
    frame.index.name = "detector"
    scored = [s for by_attack in run.scores.values() for s in by_attack.values() if s.n_test]
    kind = scored[0].se_kind if scored else "Hanley–McNeil"
    caption = (
        f"Table 1 on {DATASET_NAMES[dataset]}: accuracy / AUC ± the {kind} standard error of "
        "the AUC (%)"
        + ("; fold 1: the benchmark's own split" if kind == "between-fold" else "")
        + "; the paper's in brackets; z = (this build − paper) / SE of the difference, "
        f"accuracy / AUC; ◆ borderline (|difference| within {100 * BORDERLINE:.0f} % of "
        "the margin from it). " + spread_sentence(study)
    )
    # laid out at the page's width (equal columns), so a wide cell wraps instead of
    # pushing the table past the page's right edge
    return (
        frame.style.set_caption(caption)
        .set_properties(**{"white-space": "pre-wrap"})
        .set_table_styles(
            [{"selector": "", "props": "table-layout: fixed; width: 100%; font-size: 0.8em"}]
        )
    )


def ablation_table(study: DetectionStudy):
    """AUC (%) of the mode-connectivity detector with its loss curve only, its sorted
    logits only, and both, per data set and attack, with the KNN chosen for each (per
    fold when cross-validated). A styled table: the KNN column is shown whole."""
    label = {"both": "curve + logits", "curve": "loss curve only", "logits": "sorted logits only"}
    rows = []
    for ds, run in study.runs.items():
        for part, by_attack in run.ablation.items():
            rows.append(
                {
                    "data set": DATASET_NAMES[ds],
                    "features": label[part],
                    **{ATTACK_NAMES[a]: round(s.auc, 1) for a, s in by_attack.items()},
                    "KNN": det.describe_specs(run.knn[part]) if part in run.knn else "—",
                }
            )
    frame = pd.DataFrame(rows).set_index(["data set", "features"])
    # at the page's width, the KNN column wrapping: the table never reaches past the
    # page's right edge
    return (
        frame.style.format(precision=1)
        .set_properties(subset=["KNN"], **{"font-size": "0.85em"})
        .set_table_styles([{"selector": "", "props": "width: 100%; font-size: 0.85em"}])
    )


def cost_table(study: DetectionStudy) -> pd.DataFrame:
    """Milliseconds per image to compute each detector's features."""
    frame = pd.DataFrame(
        {
            DATASET_NAMES[ds]: {DETECTOR_NAMES[d]: round(ms, 2) for d, ms in run.feature_ms.items()}
            for ds, run in study.runs.items()
        }
    )
    frame.index.name = "detector"
    return frame


# ---------------------------------------------------------------- figures


def _panel_grid(n_panels: int, width: float = 9.5, row_height: float = 2.9):
    """A figure of 2 rows x 3 columns (panels readable at 1280 px); the sixth axis is
    left for a legend."""
    rows = (n_panels + 1 + 2) // 3
    fig, axes = plt.subplots(rows, 3, figsize=(width, row_height * rows), squeeze=False)
    return fig, axes.ravel()


def plot_examples(study: DetectionStudy, dataset: str):
    """Four clean test images (first column) and their adversarials under each attack."""
    run = study.runs[dataset]
    columns = [("clean", run.clean_images)] + [
        (ATTACK_NAMES[a], run.adversarial_images[a]) for a in UNTARGETED
    ]
    n = len(run.clean_images)
    images = torch.stack([imgs[i] for i in range(n) for _, imgs in columns])
    titles = [name for _ in range(n) for name, _ in columns]
    return plotting.image_grid(images, titles, ncols=len(columns), size=1.5)


def plot_loss_curves(study: DetectionStudy, dataset: str):
    """The mode-connectivity detector's loss curves (image -> its class reference), clean
    (blue) and adversarial (red), one panel per attack, in two rows."""
    fig, axes = _panel_grid(len(UNTARGETED))
    run = study.runs[dataset]
    t = np.linspace(0, 1, study.settings.path_points)
    for ax, a in zip(axes, UNTARGETED):
        ax.set_title(ATTACK_NAMES[a])
        ax.set_xlabel("position on the path to the reference")
        if a not in run.curves:
            ax.text(0.5, 0.5, "too few adversarials", ha="center", transform=ax.transAxes)
            continue
        clean, adv = run.curves[a]
        for i in range(len(clean)):
            ax.plot(t, clean[i], color="C0", alpha=0.45, lw=0.9)
            ax.plot(t, adv[i], color="C3", alpha=0.45, lw=0.9)
        ax.set_yscale("symlog", linthresh=1e-2)
    for ax in axes[::3]:
        ax.set_ylabel("cross-entropy of the\npredicted class")
    legend = axes[len(UNTARGETED)]
    legend.axis("off")
    legend.plot([], [], color="C0", label="clean image")
    legend.plot([], [], color="C3", label="adversarial")
    legend.legend(loc="center", frameon=False)
    for ax in axes[len(UNTARGETED) + 1 :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def plot_roc(study: DetectionStudy, dataset: str):
    """ROC curves of the six detectors on the test split (cross-validated: the five
    folds' curves averaged vertically), one panel per attack (AUC in the legend), the
    mode-connectivity detector thick and red."""
    fig, axes = _panel_grid(len(UNTARGETED))
    run = study.runs[dataset]
    for ax, a in zip(axes, UNTARGETED):
        for k, d in enumerate(DETECTORS):
            s = run.scores[d][a]
            if s.n_test == 0:
                continue
            mc = d == det.MODE_CONNECTIVITY
            ax.plot(
                s.fpr,
                s.tpr,
                lw=2.2 if mc else 1.0,
                color="C3" if mc else f"C{k if k < 3 else k + 1}",
                label=f"{DETECTOR_NAMES[d].split(' (')[0]} ({s.auc:.0f})",
            )
        ax.plot([0, 1], [0, 1], color="0.7", lw=0.6, ls=":")
        ax.set_title(ATTACK_NAMES[a])
        ax.set_xlabel("false positive rate")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7, loc="lower right")
        else:
            ax.text(0.5, 0.5, "too few adversarials", ha="center", transform=ax.transAxes)
    for ax in axes[::3]:
        ax.set_ylabel("true positive rate")
    for ax in axes[len(UNTARGETED) :]:
        ax.axis("off")
    fig.tight_layout()
    return fig


def mahalanobis_rows_table(study: DetectionStudy) -> pd.DataFrame:
    """Per data set and attack: the Mahalanobis AUC (%) with aligned rows, with the
    benchmark's shuffled rows, and the paper's."""
    used = study.settings.mahalanobis_rows
    other = next(r for r in MAHALANOBIS_ROWS if r != used)
    rows = []
    for ds, run in study.runs.items():
        for j, a in enumerate(UNTARGETED):
            both = {
                used: run.scores["mahalanobis"][a],
                other: run.mahalanobis_other.get(a, det.DetectionScore.empty()),
            }
            rows.append(
                {
                    "data set": DATASET_NAMES[ds],
                    "attack": ATTACK_NAMES[a],
                    "AUC, aligned rows": both["aligned"].auc,
                    "AUC, shuffled rows (benchmark)": both["shuffled"].auc,
                    "AUC, paper": TABLE1[ds]["mahalanobis"][j][1],
                }
            )
    return pd.DataFrame(rows).set_index(["data set", "attack"]).round(1)
