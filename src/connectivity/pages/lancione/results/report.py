"""The results page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.ResultsStudy` (:func:`records`)
and glues the sentences (:func:`sentences`). Tolerances and tests:

* the PCA, DAE silhouettes and the DAE's validation loss: our mean over trainings
  against the report's one or two trainings
  (:meth:`connectivity.stats.Tolerance.mean_of_trainings`), trainings whose code is a
  sign on one axis screened out (:mod:`connectivity.latent.collapse`);
* 'up to 0.60, not an isolated case' (qualitative): exact binomial test of the share of
  trainings reaching it against one in twenty;
* layouts vary more than silhouettes (qualitative): Wilcoxon over independent pairs of
  trainings;
* the survey of all digit pairs: measured (no paper value).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from connectivity import prose, scorecard, stats
from connectivity.latent.collapse import PINNED, PINNED_SHARE
from connectivity.paper_values.lancione import (
    HIGH_SILHOUETTE,
    ISOLATED_SHARE,
    REPORT_DAE_TRAININGS,
    SILHOUETTE_ROUNDING,
    VAL_LOSS_ROUNDING,
)

from ..sentences import paper_values
from ..trainings import HARD_PAIRS, SurveyRun
from .study import ResultsStudy

SECTION_SILHOUETTES = "Silhouettes over many trainings"
SECTION_LAYOUTS = "Figures 3 and 4: two trainings, two layouts"
SECTION_SURVEY = "All digit pairs"
AUTOENCODERS = ("AE", "DAE")


def report(study: ResultsStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


# ------------------------------------------------------------------ what both sides read


def _kept(study: ResultsStudy) -> dict[str, np.ndarray]:
    """The silhouettes of the AE and DAE trainings that enter the comparisons: those whose
    code is a sign on one axis are not 2-D layouts (:mod:`connectivity.latent.collapse`)."""
    return {m: study.silhouettes[m][~study.saturated[m]] for m in AUTOENCODERS}


def _screened(study: ResultsStudy) -> dict[str, int]:
    """The number of AE and DAE trainings screened from the comparisons (saturated)."""
    return {m: int(study.saturated[m].sum()) for m in AUTOENCODERS}


def _first_runs(study: ResultsStudy) -> tuple[list[SurveyRun], list[SurveyRun]]:
    """The survey's first trainings (no reruns), on the hard pairs and on the others."""
    first = [r for r in study.survey.runs if r.attempt == 0]
    return [r for r in first if r.pair in HARD_PAIRS], [
        r for r in first if r.pair not in HARD_PAIRS
    ]


# ------------------------------------------------------------------ records


def records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name (``pca``, ``best``,
    ``dae``, ``val``, ``layouts``, ``collapsed``, ``collapse_hard``, ``AE``, ``DAE``)."""
    return {
        **_silhouette_records(study),
        "layouts": _layouts_record(study),
        **_survey_records(study),
    }


def _silhouette_records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """The study's trainings against the report: the linear autoencoder (PCA), the share
    reaching 'up to 0.60', the DAE's silhouette and validation loss."""
    s, sils = study.settings, study.silhouettes
    kept, screened = _kept(study), _screened(study)
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
    val = study.runs["DAE"].final_val_loss.numpy()[~study.saturated["DAE"]]
    recs["val"] = _against_report_trainings(
        "lancione.dae.val_loss", val, VAL_LOSS_ROUNDING, s.n_seeds
    )
    return recs


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


def _layouts_record(study: ResultsStudy) -> scorecard.Record:
    """Between two trainings the layout changes more than the score (Figures 3 and 4)."""
    disjoint = study.disjoint_layouts()
    diff = [lp.layout_change - lp.score_change for lp in disjoint]
    raw = stats.wilcoxon_greater([lp.disparity - lp.relative_silhouette_change for lp in disjoint])
    return scorecard.test(
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


def _survey_records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """The survey of digit pairs, measured: collapsed trainings, the collapse rate on the
    hard pairs and each autoencoder's mean silhouette."""
    sv = study.survey
    recs = {}
    recs["collapsed"] = scorecard.measure(
        "lancione.pairs.collapsed_trainings",
        "survey trainings that collapsed (AE and DAE, reruns included)",
        len(sv.collapsed),
        section=SECTION_SURVEY,
        note=f"of {len(sv.runs)} trainings; each rerun with a new seed",
    )
    hard, other = _first_runs(study)
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
    for model in AUTOENCODERS:
        per_pair = sv.per_pair(model, "silhouette")
        recs[model] = scorecard.measure(
            f"lancione.pairs.{model.lower()}.mean_silhouette",
            f"{model}: mean silhouette over the surveyed pairs",
            float(np.mean(list(per_pair.values()))),
            section=SECTION_SURVEY,
            note=f"{sv.config.epochs} epochs, non-collapsed trainings",
        )
    return recs


# ------------------------------------------------------------------ sentences


def sentences(study: ResultsStudy, recs: dict[str, scorecard.Record]) -> dict[str, Any]:
    """Every value the page glues, by glue name: the chapter's paper values
    (``paper.<id>``), ``says.<record id>`` of ``pca``, ``best``, ``dae``, ``val`` and
    ``layouts``, ``saturated_words``, the survey's numbers (``survey_*``) and ``n_seeds``;
    ``recs`` as :func:`records` returns them."""
    says = {**_silhouette_sentences(recs), "layouts": _layouts_sentence(recs["layouts"])}
    return {
        **paper_values(),
        **{prose.says_name(recs[key]): text for key, text in says.items()},
        "saturated_words": _saturated_words(study),
        **_survey_numbers(study),
        "n_seeds": study.settings.n_seeds,
    }


def _silhouette_sentences(recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """The sentences of ``pca``, ``best``, ``dae`` and ``val``, by short name."""
    return {
        "pca": prose.say(
            recs["pca"],
            reproduced="The report's PCA is one training of its linear autoencoder: the "
            "study's trainings score {value:.3f} on average ({linear_lo:.3f}–{linear_hi:.3f} "
            "over {n}), the report's {paper} within ± {tolerance:.3f} (two standard errors of "
            "one training against our mean, plus rounding); closed-form PCA, where they "
            "converge, scores {closed_form:.3f}.",
            differs="The report's PCA is one training of its linear autoencoder: the study's "
            "trainings score {value:.3f} on average ({linear_lo:.3f}–{linear_hi:.3f} over {n}), "
            "not the report's {paper} (± {tolerance:.3f}, two standard errors of one training "
            "against our mean, plus rounding); closed-form PCA scores {closed_form:.3f}.",
            failed="The linear autoencoders could not be trained.",
        ),
        "best": prose.say(
            recs["best"],
            reproduced="{high} of the {trainings} autoencoder trainings ({ae_high} AE, "
            "{dae_high} DAE) reach the report's 'up to {report:.2f}' (≥ {reach:.3f}): not "
            "isolated cases, a share above {isolated:.0%} ({test}, p = {p:.2g}); the best "
            "scores {best:.3f}.",
            differs="Only {high} of the {trainings} autoencoder trainings reach the report's "
            "'up to {report:.2f}' (≥ {reach:.3f}): fewer than {isolated:.0%} ({test}, p = "
            "{p_opposite:.2g}), so such scores are isolated here; the best scores {best:.3f}.",
            not_significant="{high} of the {trainings} autoencoder trainings reach the "
            "report's 'up to {report:.2f}' (≥ {reach:.3f}): too few trainings to tell whether "
            "that share exceeds {isolated:.0%} ({test}, p = {p:.2g}); the best scores "
            "{best:.3f}.",
            failed="The autoencoder trainings failed.",
        ),
        "dae": prose.say(
            recs["dae"],
            reproduced="The denoising autoencoder scores {value:.3f} on average "
            "({lo:.3f}–{hi:.3f} over {n} trainings); the mean of the report's two trainings, "
            "{paper}, is within ± {tolerance:.3f} (two standard errors of the difference of "
            "the two means, plus rounding).",
            differs="The denoising autoencoder scores {value:.3f} on average "
            "({lo:.3f}–{hi:.3f} over {n} trainings), away from the mean of the report's two "
            "trainings, {paper}, by more than ± {tolerance:.3f} (two standard errors of the "
            "difference of the two means, plus rounding).",
            failed="Not compared: {note}.",
        ),
        "val": prose.say(
            recs["val"],
            reproduced="Its validation loss, {value:.4f}, matches the report's {paper} "
            "(± {tolerance:.4f}).",
            differs="Its validation loss, {value:.4f}, differs from the report's {paper} (both "
            "trainings) by more than ± {tolerance:.4f} (two standard errors of the difference, "
            "plus rounding).",
            failed="Not compared: {note}.",
        ),
    }


def _layouts_sentence(rec: scorecard.Record) -> str:
    return prose.say(
        rec,
        reproduced="Between two trainings the layout changes more than the score, each "
        "measured against unrelated layouts (= 1): layout change {layout:.2f} (mean "
        "Procrustes disparity {disparity:.2f}: the layouts agree to {agree:.0%} after "
        "rotation and scaling), score change {score:.2f} (Wilcoxon over {pairs} independent "
        "pairs of trainings, p = {p:.2g}; on the raw scales p = {p_raw:.2g}).",
        differs="Between two trainings the score changes more than the layout, each measured "
        "against unrelated layouts (= 1): layout change {layout:.2f}, score change {score:.2f} "
        "(p = {p_opposite:.2g}; mean Procrustes disparity {disparity:.2f}).",
        not_significant="Layout and score change by comparable amounts between trainings, "
        "each measured against unrelated layouts (= 1): layout change {layout:.2f} (mean "
        "Procrustes disparity {disparity:.2f}: the layouts agree to {agree:.0%} after "
        "rotation and scaling), score change {score:.2f} (p = {p:.2f} over {pairs} "
        "independent pairs of trainings; on the raw scales p = {p_raw:.2g}).",
        failed="The layout comparison failed.",
    )


def _saturated_words(study: ResultsStudy) -> str:
    """The sentence on the trainings screened from the comparisons (generated: counts and
    scores from this build)."""
    n, screened = study.settings.n_seeds, _screened(study)
    if not any(screened.values()):
        return (
            "No AE or DAE training pinned a code coordinate at tanh's bound for "
            f"{PINNED_SHARE:.0%} of the images: every training enters the comparisons."
        )
    sils = study.silhouettes
    scores = ", ".join(f"{v:.3f}" for m in AUTOENCODERS for v in sils[m][study.saturated[m]])
    return (
        f"{screened['AE']} of the {n} AE and {screened['DAE']} of the {n} DAE trainings "
        f"pinned a code coordinate at tanh's bound (|z| > {PINNED}) for at least "
        f"{PINNED_SHARE:.0%} of the images: a sign per image on that axis, not a 2-D layout. "
        f"Their silhouettes ({scores}) are in the figure but not in the comparisons below; "
        f"with them the DAE mean would be {sils['DAE'].mean():.3f}."
    )


def _survey_numbers(study: ResultsStudy) -> dict[str, Any]:
    """The survey's numbers the prose quotes, by glue name: collapsed first trainings on
    the hard pairs and the others ("k of n"), collapsed trainings, trainings, slots left
    without a non-collapsed training, and the survey's epochs, seeds, pairs and retries."""
    sv = study.survey
    hard, other = _first_runs(study)
    accepted = {(a.pair, a.model, a.slot) for a in sv.accepted}
    lost = {(r.pair, r.model, r.slot) for r in sv.collapsed} - accepted
    return {
        "survey_collapse_hard": f"{sum(r.collapsed for r in hard)} of {len(hard)}",
        "survey_collapse_other": f"{sum(r.collapsed for r in other)} of {len(other)}",
        "survey_collapsed": len(sv.collapsed),
        "survey_runs": len(sv.runs),
        "survey_lost": len(lost),
        "survey_epochs": sv.config.epochs,
        "survey_seeds": sv.config.seeds,
        "survey_pairs": len(sv.pairs),
        "survey_retries": sv.config.retries,
    }
