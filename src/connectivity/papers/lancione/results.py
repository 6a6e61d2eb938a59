"""Lancione §3: silhouettes over many trainings, how much a layout depends on the seed
(Figs. 3–4), and the survey of all 45 digit pairs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import torch

from connectivity import plotting, scorecard, stats
from connectivity.latent.collapse import PINNED, PINNED_SHARE, saturated_coordinates
from connectivity.latent.digit_pairs import DigitPair
from connectivity.latent.metrics import (
    procrustes_disparity,
    silhouette_samples,
    silhouette_score,
)
from connectivity.latent.pca import fit_pca
from connectivity.latent.stacked import TrainedStack, encode_each
from connectivity.papers import paper_value
from connectivity.prose import glue, glue_say

from .common import fmt_pair, glue_paper_values
from .settings import ResultsSettings
from .trainings import HARD_PAIRS, Survey, load_mnist, run_survey, study_runs
from .values import (
    HIGH_SILHOUETTE,
    ISOLATED_SHARE,
    REPORT_DAE_TRAININGS,
    SILHOUETTE_ROUNDING,
    VAL_LOSS_ROUNDING,
)

SECTION_SILHOUETTES = "Silhouettes over many trainings"
SECTION_LAYOUTS = "Figures 3 and 4: two trainings, two layouts"
SECTION_SURVEY = "All digit pairs"


@dataclass
class LayoutPair:
    """Two trainings compared by layout and by score, each also against its reference
    for unrelated layouts, so the two changes are on one scale (0: the same, 1: as
    different as unrelated layouts)."""

    model: str
    trainings: tuple[int, int]
    disparity: float  # Procrustes disparity of the two trainings' codes
    relative_silhouette_change: float  # |s_a - s_b| / mean(s_a, s_b)
    disparity_unrelated: float  # the same with the points of one layout shuffled (~1)
    silhouette_change_unrelated: float  # mean |s - s(labels shuffled)| of the two (~s)
    silhouette_change: float  # |s_a - s_b|

    @property
    def layout_change(self) -> float:
        return self.disparity / self.disparity_unrelated

    @property
    def score_change(self) -> float:
        return self.silhouette_change / self.silhouette_change_unrelated


@dataclass
class ResultsResult:
    settings: ResultsSettings
    pair: DigitPair
    runs: dict[str, TrainedStack]
    codes: dict[str, list[torch.Tensor]]  # validation codes per model and training
    silhouettes: dict[str, np.ndarray]  # "PCA" = the study's linear autoencoders
    # per training: a code coordinate pinned at tanh's bound (a binary code, screened from
    # the statistics compared with the report); never for the linear code
    saturated: dict[str, np.ndarray]
    sil_pca: float  # closed-form PCA
    pca_val_mse: float  # closed-form PCA's reconstruction MSE on the validation images
    layouts: list[LayoutPair]  # every pair of trainings of AE and DAE
    survey: Survey

    def disjoint_layouts(self) -> list[LayoutPair]:
        """Pairs of trainings (0, 1), (2, 3), ... of each model: independent comparisons."""
        return [
            lp
            for lp in self.layouts
            if lp.trainings[0] % 2 == 0 and lp.trainings[1] == lp.trainings[0] + 1
        ]


def results(settings: ResultsSettings) -> ResultsResult:
    """Everything the results page shows."""
    torch.manual_seed(0)
    mnist = load_mnist()
    pair = mnist.pair(settings.digits, settings.training.subset)
    runs = study_runs(pair, settings.training, settings.n_seeds)
    codes = {m: encode_each(r.model, [pair.x_val] * r.model.n_models) for m, r in runs.items()}
    sils = {m: np.array([silhouette_score(z, pair.y_val) for z in zs]) for m, zs in codes.items()}
    saturated = {
        m: np.array([m != "PCA" and saturated_coordinates(z) > 0 for z in zs], dtype=bool)
        for m, zs in codes.items()
    }
    pca = fit_pca(pair.x_train, 2)
    pca_codes = pca.transform(pair.x_val)
    layouts = []
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(len(pair.y_val))  # unrelated: no point or label matches
    for model in ("AE", "DAE"):
        unrelated = [
            abs(s - silhouette_score(z, pair.y_val[shuffled]))
            for z, s in zip(codes[model], sils[model])
        ]
        for i, j in itertools.combinations(range(settings.n_seeds), 2):
            si, sj = sils[model][i], sils[model][j]
            layouts.append(
                LayoutPair(
                    model,
                    (i, j),
                    procrustes_disparity(codes[model][i], codes[model][j]),
                    abs(si - sj) / ((si + sj) / 2),
                    procrustes_disparity(codes[model][i], codes[model][j][shuffled]),
                    (unrelated[i] + unrelated[j]) / 2,
                    abs(si - sj),
                )
            )
    return ResultsResult(
        settings,
        pair,
        runs,
        codes,
        sils,
        saturated,
        silhouette_score(pca_codes, pair.y_val),
        float(((pca.reconstruct(pair.x_val) - pair.x_val.double()) ** 2).mean()),
        layouts,
        run_survey(mnist, settings.training, settings.survey),
    )


# ------------------------------------------------------------------ tables, figures
def silhouette_table(result: ResultsResult) -> pd.DataFrame:
    """Silhouettes over the trainings of each model (all of them, screened ones included),
    their validation MSE and how many were screened as saturated; the closed form is one
    number (no SD, min or max: NaN, shown as a dash)."""
    rows = []
    for model, s in result.silhouettes.items():
        name = "PCA (linear AE, the study's training)" if model == "PCA" else model
        rows.append(
            {
                "model": name,
                "mean": s.mean(),
                "SD": s.std(ddof=1),
                "min": s.min(),
                "max": s.max(),
                "validation MSE": result.runs[model].final_val_loss.mean().item(),
                "saturated (screened)": int(result.saturated[model].sum()),
            }
        )
    rows.append(
        {
            "model": "PCA (closed form)",
            "mean": result.sil_pca,
            "SD": np.nan,
            "min": np.nan,
            "max": np.nan,
            "validation MSE": result.pca_val_mse,
            "saturated (screened)": 0,
        }
    )
    return pd.DataFrame(rows).set_index("model").round(3)


def silhouette_figure(result: ResultsResult):
    fig, ax = plt.subplots(figsize=(8, 3.2))
    rng = np.random.default_rng(0)
    for k, (model, s) in enumerate(result.silhouettes.items()):
        ax.scatter(
            s, k + rng.uniform(-0.12, 0.12, len(s)), color=f"C{k}", label=f"{model}, this book"
        )
    ax.axvline(result.sil_pca, color="C0", lw=1, label="PCA closed form, this book")
    refs = [
        ("lancione.silhouette.pca", "C0", "report: PCA"),
        ("lancione.silhouette.high", "C1", "report: 'up to' (AE)"),
        ("lancione.silhouette.dae", "C2", "report: DAE (mean of A, B)"),
    ]
    for pid, color, label in refs:
        value = HIGH_SILHOUETTE if pid == "lancione.silhouette.high" else paper_value(pid).value
        ax.axvline(value, color=color, ls=":", label=label)
    ax.set_yticks(range(len(result.silhouettes)), list(result.silhouettes))
    ax.set_xlabel("silhouette of the validation codes")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return fig


def layouts_figure(result: ResultsResult):
    fig, axes = plt.subplots(2, 2, figsize=(9, 8))
    y = result.pair.y_val
    for row, seed in enumerate(result.settings.shown):
        z = result.codes["DAE"][seed]
        plotting.silhouette_plot(
            silhouette_samples(z, y), y, ax=axes[row, 0], title=f"DAE training {seed}"
        )
        plotting.latent_scatter(
            z, y, ax=axes[row, 1], title=f"DAE training {seed}: validation codes"
        )
    fig.tight_layout()
    return fig


def layouts_table(result: ResultsResult) -> pd.DataFrame:
    df = pd.DataFrame(
        [
            {
                "model": lp.model,
                "Procrustes disparity": lp.disparity,
                "relative silhouette change": lp.relative_silhouette_change,
                "layout change (unrelated = 1)": lp.layout_change,
                "score change (unrelated = 1)": lp.score_change,
            }
            for lp in result.layouts
        ]
    )
    return df.groupby("model").agg(["mean", "max"]).round(3)


def survey_figure(result: ResultsResult):
    sv = result.survey
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


def collapsed_table(result: ResultsResult) -> pd.DataFrame:
    """Per model and attempt: trainings run, collapsed, and slots left out at the end."""
    sv = result.survey
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


def survey_table(result: ResultsResult) -> pd.DataFrame:
    sv = result.survey
    df = pd.DataFrame(
        {
            "PCA (closed form)": sv.pca_silhouette,
            "AE": sv.per_pair("AE", "silhouette"),
            "DAE": sv.per_pair("DAE", "silhouette"),
        }
    )
    df.index = [fmt_pair(p) for p in df.index]
    return df.describe().loc[["count", "mean", "std", "min", "max"]].round(3)


# ------------------------------------------------------------------------ records
def _saturated_words(result: ResultsResult, screened: dict[str, int]) -> str:
    """The sentence on the trainings screened from the comparisons (generated: counts and
    scores from this build)."""
    n = result.settings.n_seeds
    if not any(screened.values()):
        return (
            "No AE or DAE training pinned a code coordinate at tanh's bound for "
            f"{PINNED_SHARE:.0%} of the images: every training enters the comparisons."
        )
    sils = result.silhouettes
    scores = ", ".join(f"{v:.3f}" for m in ("AE", "DAE") for v in sils[m][result.saturated[m]])
    return (
        f"{screened['AE']} of the {n} AE and {screened['DAE']} of the {n} DAE trainings "
        f"pinned a code coordinate at tanh's bound (|z| > {PINNED}) for at least "
        f"{PINNED_SHARE:.0%} of the images: a sign per image on that axis, not a 2-D layout. "
        f"Their silhouettes ({scores}) are in the figure but not in the comparisons below; "
        f"with them the DAE mean would be {sils['DAE'].mean():.3f}."
    )


def report(result: ResultsResult) -> dict[str, scorecard.Record]:
    """Scorecard records and the generated sentences of the page."""
    glue_paper_values()
    s, sils = result.settings, result.silhouettes
    n = s.n_seeds
    recs = {}
    # the report's PCA is one training of its linear autoencoder (§2.3): compared with the
    # mean of the study's linear-AE trainings; closed-form PCA is shown beside it
    linear = sils["PCA"]
    recs["pca"] = scorecard.compare(
        "lancione.silhouette.pca",
        float(linear.mean()),
        stats.Tolerance.mean_of_trainings(
            linear, 1, SILHOUETTE_ROUNDING, what="linear-AE trainings"
        ),
        n=len(linear),
        section=SECTION_SILHOUETTES,
        closed_form=result.sil_pca,
        linear_lo=float(linear.min()),
        linear_hi=float(linear.max()),
    )
    glue_say(
        recs["pca"],
        reproduced="The report's PCA is one training of its linear autoencoder: the study's "
        "trainings score {value:.3f} on average ({linear_lo:.3f}–{linear_hi:.3f} over {n}), the "
        "report's {paper} within ± {tolerance:.3f} (two standard errors of one training "
        "against our mean, plus rounding); closed-form PCA, where they converge, scores "
        "{closed_form:.3f}.",
        differs="The report's PCA is one training of its linear autoencoder: the study's "
        "trainings score {value:.3f} on average ({linear_lo:.3f}–{linear_hi:.3f} over {n}), not "
        "the report's {paper} (± {tolerance:.3f}, two standard errors of one training against "
        "our mean, plus rounding); closed-form PCA scores {closed_form:.3f}.",
        failed="The linear autoencoders could not be trained.",
    )
    # trainings whose code is a sign on one axis are not 2-D layouts (latent.collapse)
    kept = {m: sils[m][~result.saturated[m]] for m in ("AE", "DAE")}
    screened = {m: int(result.saturated[m].sum()) for m in ("AE", "DAE")}
    both = np.concatenate([kept["AE"], kept["DAE"]])
    reach = HIGH_SILHOUETTE - SILHOUETTE_ROUNDING
    high = int(np.sum(both >= reach))
    recs["best"] = scorecard.test(
        "lancione.silhouette.ae_best",
        stats.binomial_greater(high, len(both), ISOLATED_SHARE),
        reproduced=high / len(both),
        section=SECTION_SILHOUETTES,
        high=high,
        trainings=len(both),
        reach=reach,
        report=HIGH_SILHOUETTE,
        isolated=ISOLATED_SHARE,
        ae_high=int(np.sum(kept["AE"] >= reach)),
        dae_high=int(np.sum(kept["DAE"] >= reach)),
        best=float(both.max()),
        screened=screened["AE"] + screened["DAE"],
        screened_best=float(np.concatenate([sils["AE"], sils["DAE"]]).max()),
    )
    glue_say(
        recs["best"],
        reproduced="{high} of the {trainings} autoencoder trainings ({ae_high} AE, {dae_high} "
        "DAE) reach the report's 'up to {report:.2f}' (≥ {reach:.3f}): not isolated cases, "
        "a share above {isolated:.0%} ({test}, p = {p:.2g}); the best scores {best:.3f}.",
        differs="Only {high} of the {trainings} autoencoder trainings reach the report's "
        "'up to {report:.2f}' (≥ {reach:.3f}): fewer than {isolated:.0%} ({test}, p = "
        "{p_opposite:.2g}), so such scores are isolated here; the best scores {best:.3f}.",
        not_significant="{high} of the {trainings} autoencoder trainings reach the report's "
        "'up to {report:.2f}' (≥ {reach:.3f}): too few trainings to tell whether that share "
        "exceeds {isolated:.0%} ({test}, p = {p:.2g}); the best scores {best:.3f}.",
        failed="The autoencoder trainings failed.",
    )
    glue("saturated_words", _saturated_words(result, screened))
    dae = kept["DAE"]
    recs["dae"] = scorecard.compare(
        "lancione.silhouette.dae",
        float(dae.mean()),
        stats.Tolerance.mean_of_trainings(
            dae, REPORT_DAE_TRAININGS, SILHOUETTE_ROUNDING, what="unsaturated DAE trainings"
        ),
        n=len(dae),
        section=SECTION_SILHOUETTES,
        sd=float(dae.std(ddof=1)),
        lo=float(dae.min()),
        hi=float(dae.max()),
        screened=screened["DAE"],
        all_mean=float(sils["DAE"].mean()),
    )
    glue_say(
        recs["dae"],
        reproduced="The denoising autoencoder scores {value:.3f} on average "
        "({lo:.3f}–{hi:.3f} over {n} trainings); the mean of the report's two trainings, "
        "{paper}, is within ± {tolerance:.3f} (two standard errors of the difference of the "
        "two means, plus rounding).",
        differs="The denoising autoencoder scores {value:.3f} on average "
        "({lo:.3f}–{hi:.3f} over {n} trainings), away from the mean of the report's two "
        "trainings, {paper}, by more than ± {tolerance:.3f} (two standard errors of the "
        "difference of the two means, plus rounding).",
        failed="The denoising-autoencoder trainings failed.",
    )
    val = result.runs["DAE"].final_val_loss.numpy()[~result.saturated["DAE"]]
    recs["val"] = scorecard.compare(
        "lancione.dae.val_loss",
        float(val.mean()),
        stats.Tolerance.mean_of_trainings(
            val, REPORT_DAE_TRAININGS, VAL_LOSS_ROUNDING, what="unsaturated DAE trainings"
        ),
        n=len(val),
        section=SECTION_SILHOUETTES,
    )
    glue_say(
        recs["val"],
        reproduced="Its validation loss, {value:.4f}, matches the report's {paper} "
        "(± {tolerance:.4f}).",
        differs="Its validation loss, {value:.4f}, differs from the report's {paper} (both "
        "trainings) by more than ± {tolerance:.4f} (two standard errors of the difference, "
        "plus rounding).",
        failed="The denoising-autoencoder trainings failed.",
    )
    disjoint = result.disjoint_layouts()
    diff = [lp.layout_change - lp.score_change for lp in disjoint]
    raw = stats.wilcoxon_greater([lp.disparity - lp.relative_silhouette_change for lp in disjoint])
    recs["layouts"] = scorecard.test(
        "lancione.layouts.vary_more_than_silhouettes",
        stats.wilcoxon_greater(diff),
        section=SECTION_LAYOUTS,
        disparity=float(np.mean([lp.disparity for lp in result.layouts])),
        relative=float(np.mean([lp.relative_silhouette_change for lp in result.layouts])),
        layout=float(np.mean([lp.layout_change for lp in result.layouts])),
        score=float(np.mean([lp.score_change for lp in result.layouts])),
        p_raw=raw.p_value,
        pairs=len(disjoint),
        agree=1 - float(np.mean([lp.disparity for lp in result.layouts])),
    )
    glue_say(
        recs["layouts"],
        reproduced="Between two trainings the layout changes more than the score, each measured "
        "against unrelated layouts (= 1): layout change {layout:.2f} (mean Procrustes "
        "disparity {disparity:.2f}: the layouts agree to {agree:.0%} after rotation and "
        "scaling), score change {score:.2f} (Wilcoxon over {pairs} independent pairs of "
        "trainings, p = {p:.2g}; on the raw scales p = {p_raw:.2g}).",
        differs="Between two trainings the score changes more than the layout, each measured "
        "against unrelated layouts (= 1): layout change {layout:.2f}, score change {score:.2f} "
        "(p = {p_opposite:.2g}; mean Procrustes disparity {disparity:.2f}).",
        not_significant="Layout and score change by comparable amounts between trainings, "
        "each measured against unrelated layouts (= 1): layout change {layout:.2f} (mean "
        "Procrustes disparity {disparity:.2f}: the layouts agree to {agree:.0%} after rotation "
        "and scaling), score change {score:.2f} (p = {p:.2f} over {pairs} independent pairs "
        "of trainings; on the raw scales p = {p_raw:.2g}).",
        failed="The layout comparison failed.",
    )
    sv = result.survey
    n_runs = len(sv.runs)
    recs["collapsed"] = scorecard.measure(
        "lancione.pairs.collapsed_trainings",
        "survey trainings that collapsed (AE and DAE, reruns included)",
        len(sv.collapsed),
        section=SECTION_SURVEY,
        note=f"of {n_runs} trainings; each rerun with a new seed",
    )
    first = [r for r in sv.runs if r.attempt == 0]
    hard = [r for r in first if r.pair in HARD_PAIRS]
    other = [r for r in first if r.pair not in HARD_PAIRS]
    rate_hard = sum(r.collapsed for r in hard) / max(len(hard), 1)
    rate_other = sum(r.collapsed for r in other) / max(len(other), 1)
    recs["collapse_hard"] = scorecard.measure(
        "lancione.pairs.collapse_rate_hard_pairs",
        "share of first trainings (AE and DAE) that collapsed on 1–7 and 4–9",
        rate_hard,
        unit="fraction",
        section=SECTION_SURVEY,
        note=f"other pairs: {rate_other:.2f} ({len(other)} trainings)",
    )
    glue("survey_collapse_hard", f"{sum(r.collapsed for r in hard)} of {len(hard)}")
    glue("survey_collapse_other", f"{sum(r.collapsed for r in other)} of {len(other)}")
    lost = [
        (r.pair, r.model, r.slot)
        for r in sv.collapsed
        if (r.pair, r.model, r.slot) not in {(a.pair, a.model, a.slot) for a in sv.accepted}
    ]
    glue("survey_collapsed", len(sv.collapsed))
    glue("survey_runs", n_runs)
    glue("survey_lost", len(set(lost)))
    glue("survey_epochs", sv.config.epochs)
    glue("survey_seeds", sv.config.seeds)
    glue("survey_pairs", len(sv.pairs))
    glue("survey_retries", sv.config.retries)
    for model in ("AE", "DAE"):
        per_pair = sv.per_pair(model, "silhouette")
        recs[model] = scorecard.measure(
            f"lancione.pairs.{model.lower()}.mean_silhouette",
            f"{model}: mean silhouette over the surveyed pairs",
            float(np.mean(list(per_pair.values()))),
            section=SECTION_SURVEY,
            note=f"{sv.config.epochs} epochs, non-collapsed trainings",
        )
    glue("n_seeds", n)
    return recs
