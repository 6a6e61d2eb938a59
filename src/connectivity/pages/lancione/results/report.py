"""The results page's scorecard records and generated sentences."""

from __future__ import annotations

import numpy as np

from connectivity import scorecard, stats
from connectivity.latent.collapse import PINNED, PINNED_SHARE
from connectivity.paper_values.lancione import (
    HIGH_SILHOUETTE,
    ISOLATED_SHARE,
    REPORT_DAE_TRAININGS,
    SILHOUETTE_ROUNDING,
    VAL_LOSS_ROUNDING,
)
from connectivity.prose import glue, glue_say

from ..sentences import glue_paper_values
from ..trainings import HARD_PAIRS
from .study import ResultsStudy

SECTION_SILHOUETTES = "Silhouettes over many trainings"
SECTION_LAYOUTS = "Figures 3 and 4: two trainings, two layouts"
SECTION_SURVEY = "All digit pairs"


def _saturated_words(study: ResultsStudy, screened: dict[str, int]) -> str:
    """The sentence on the trainings screened from the comparisons (generated: counts and
    scores from this build)."""
    n = study.settings.n_seeds
    if not any(screened.values()):
        return (
            "No AE or DAE training pinned a code coordinate at tanh's bound for "
            f"{PINNED_SHARE:.0%} of the images: every training enters the comparisons."
        )
    sils = study.silhouettes
    scores = ", ".join(f"{v:.3f}" for m in ("AE", "DAE") for v in sils[m][study.saturated[m]])
    return (
        f"{screened['AE']} of the {n} AE and {screened['DAE']} of the {n} DAE trainings "
        f"pinned a code coordinate at tanh's bound (|z| > {PINNED}) for at least "
        f"{PINNED_SHARE:.0%} of the images: a sign per image on that axis, not a 2-D layout. "
        f"Their silhouettes ({scores}) are in the figure but not in the comparisons below; "
        f"with them the DAE mean would be {sils['DAE'].mean():.3f}."
    )


def _against_report_trainings(
    id: str, values: np.ndarray, rounding: float, n_seeds: int, **extra
) -> scorecard.Record:
    """Our mean over the unsaturated DAE trainings ``values`` against the mean of the
    report's two trainings (:meth:`stats.Tolerance.mean_of_trainings`); ``failed`` with
    the count when fewer than two remain (a spread between trainings needs two)."""
    if len(values) < 2:
        reason = (
            f"{len(values)} unsaturated DAE training(s) of {n_seeds}: a spread between "
            "trainings needs two"
        )
        return scorecard.fail(id, reason, section=SECTION_SILHOUETTES)
    return scorecard.compare(
        id,
        float(values.mean()),
        stats.Tolerance.mean_of_trainings(
            values, REPORT_DAE_TRAININGS, rounding, what="unsaturated DAE trainings"
        ),
        n=len(values),
        section=SECTION_SILHOUETTES,
        **extra,
    )


def report(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """Scorecard records and the generated sentences of the page."""
    glue_paper_values()
    s, sils = study.settings, study.silhouettes
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
        closed_form=study.sil_pca,
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
    kept = {m: sils[m][~study.saturated[m]] for m in ("AE", "DAE")}
    screened = {m: int(study.saturated[m].sum()) for m in ("AE", "DAE")}
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
    glue("saturated_words", _saturated_words(study, screened))
    dae = kept["DAE"]
    recs["dae"] = _against_report_trainings(
        "lancione.silhouette.dae",
        dae,
        SILHOUETTE_ROUNDING,
        s.n_seeds,
        # the spread is only asked of two or more trainings (else the record fails)
        **(
            {"sd": float(dae.std(ddof=1)), "lo": float(dae.min()), "hi": float(dae.max())}
            if len(dae) > 1
            else {}
        ),
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
        failed="Not compared: {note}.",
    )
    val = study.runs["DAE"].final_val_loss.numpy()[~study.saturated["DAE"]]
    recs["val"] = _against_report_trainings(
        "lancione.dae.val_loss", val, VAL_LOSS_ROUNDING, s.n_seeds
    )
    glue_say(
        recs["val"],
        reproduced="Its validation loss, {value:.4f}, matches the report's {paper} "
        "(± {tolerance:.4f}).",
        differs="Its validation loss, {value:.4f}, differs from the report's {paper} (both "
        "trainings) by more than ± {tolerance:.4f} (two standard errors of the difference, "
        "plus rounding).",
        failed="Not compared: {note}.",
    )
    disjoint = study.disjoint_layouts()
    diff = [lp.layout_change - lp.score_change for lp in disjoint]
    raw = stats.wilcoxon_greater([lp.disparity - lp.relative_silhouette_change for lp in disjoint])
    recs["layouts"] = scorecard.test(
        "lancione.layouts.vary_more_than_silhouettes",
        stats.wilcoxon_greater(diff),
        section=SECTION_LAYOUTS,
        disparity=float(np.mean([lp.disparity for lp in study.layouts])),
        relative=float(np.mean([lp.relative_silhouette_change for lp in study.layouts])),
        layout=float(np.mean([lp.layout_change for lp in study.layouts])),
        score=float(np.mean([lp.score_change for lp in study.layouts])),
        p_raw=raw.p_value,
        pairs=len(disjoint),
        agree=1 - float(np.mean([lp.disparity for lp in study.layouts])),
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
    sv = study.survey
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
