"""The results page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.ResultsStudy` (:func:`records`)
and glues the sentences (:func:`sentences`). Every statistic over trainings is computed
on all of them, saturated ones included, as the report computed its own (its trainings
are saturated by the same rule: :func:`report_saturation`), and again without the
saturated ones (the chapter's one rule,
:func:`~connectivity.pages.lancione.trainings.saturated`); the second verdict is in the
record (``*_screened``) and in its sentence.

* the PCA, DAE silhouettes and the DAE's validation loss: our mean over trainings
  against the report's one or two trainings by the one rule
  (:meth:`connectivity.stats.Tolerance.mean_of_trainings`), the margin half the
  distance to the nearest silhouette the report sets against it
  (:func:`connectivity.stats.ranking_margin`; the loss: its printed rounding);
* 'up to 0.60' (qualitative): 0.60 against the bootstrap distribution of the best of nine
  trainings, as many as the report's repository holds (:func:`.study.band_test`);
* layouts vary more than silhouettes, relative to unrelated layouts, and no
  convergence (layouts of two trainings differ by more than a layout differs from
  itself on resampled images): Wilcoxon over independent pairs of trainings;
* the survey of all digit pairs: measured (no paper value).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from connectivity import prose, scorecard, stats
from connectivity.paper_values import paper_value
from connectivity.paper_values.lancione import (
    DAE_TRAININGS_SHOWN,
    HIGH_SILHOUETTE,
    REPORT_DAE_TRAININGS,
    REPORT_DRAWN_BOUND_SHARE,
    REPORT_PAIR_TRAININGS,
    SILHOUETTE_ROUNDING,
    VAL_LOSS_ROUNDING,
)

from ..sentences import paper_values
from ..trainings import HARD_PAIRS, SATURATED_SHARE, TANH_BOUND, SurveyRun
from .study import LayoutPair, ResultsStudy, band_test, bootstrap_max

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


def _kept(study: ResultsStudy, model: str, values: np.ndarray) -> np.ndarray:
    """``values`` (one per training of ``model``) of the unsaturated trainings."""
    return np.asarray(values)[~study.saturated[model]]


def _screened(study: ResultsStudy) -> dict[str, int]:
    """The number of AE and DAE trainings the saturation rule flags."""
    return {m: int(study.saturated[m].sum()) for m in AUTOENCODERS}


def _first_runs(study: ResultsStudy) -> tuple[list[SurveyRun], list[SurveyRun]]:
    """The survey's first trainings (no reruns), on the hard pairs and on the others."""
    first = [r for r in study.survey.runs if r.attempt == 0]
    return [r for r in first if r.pair in HARD_PAIRS], [
        r for r in first if r.pair not in HARD_PAIRS
    ]


def report_saturation(
    study: ResultsStudy, readings: dict[str, float] = REPORT_DRAWN_BOUND_SHARE
) -> dict[str, str]:
    """Each of the report's nine plots of digits 1 and 2 under the saturation rule, as
    far as its figure shows (``readings``: :data:`REPORT_DRAWN_BOUND_SHARE`):
    ``saturated`` when its drawn share at the bound exceeds that of every unsaturated
    training of this book drawn the same way (:attr:`.study.ResultsStudy.drawn`) and
    reaches the least of the saturated ones', ``not saturated`` in the mirror case, else
    ``cannot tell`` (it falls between them, or where they overlap)."""
    drawn = np.concatenate([study.drawn[m] for m in AUTOENCODERS])
    sat = np.concatenate([study.saturated[m] for m in AUTOENCODERS])
    lo = float(drawn[~sat].max()) if (~sat).any() else -np.inf  # unsaturated, most drawn
    hi = float(drawn[sat].min()) if sat.any() else np.inf  # saturated, least drawn
    out = {}
    for name, d in readings.items():
        if d > lo and d >= hi:
            out[name] = "saturated"
        elif d < hi and d <= lo:
            out[name] = "not saturated"
        else:
            out[name] = "cannot tell"
    return out


# ------------------------------------------------------------------ records


def records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name (``pca``, ``best``,
    ``dae``, ``val``, ``layouts``, ``converge``, ``collapsed``, ``collapse_hard``, ``AE``,
    ``DAE``)."""
    return {
        **_silhouette_records(study),
        **_layouts_records(study),
        **_survey_records(study),
    }


def _silhouette_margin(pid: str) -> tuple[float, str]:
    """The one rule's margin for the report's silhouette ``pid``: half the distance to the
    nearest other silhouette the report sets against it in §3 (PCA against the DAE's two
    trainings and the best; the DAE against PCA and the best)."""
    value = paper_value(pid).value
    others = {
        "lancione.silhouette.pca": {
            "DAE training A": DAE_TRAININGS_SHOWN[0],
            "DAE training B": DAE_TRAININGS_SHOWN[1],
            "the best autoencoder": HIGH_SILHOUETTE,
        },
        "lancione.silhouette.dae": {
            "PCA": paper_value("lancione.silhouette.pca").value,
            "the best autoencoder": HIGH_SILHOUETTE,
        },
    }[pid]
    return stats.ranking_margin(value, others)


def _tolerance(values: np.ndarray, paper_trainings: int, margin, rounding: float, what: str):
    return stats.Tolerance.mean_of_trainings(
        values,
        paper_trainings,
        margin=margin[0],
        margin_basis=margin[1],
        rounding=rounding,
        what=what,
    )


def _screened_verdict(
    pid: str, values: np.ndarray, paper_trainings: int, margin, rounding: float
) -> dict[str, Any]:
    """The one rule's verdict on the unsaturated trainings ``values`` (their mean, its
    power), or ``failed`` below two trainings: the record's ``*_screened`` extras."""
    if len(values) < 2:
        return {
            "mean_screened": None,
            "verdict_screened": "failed",
            "power_screened": None,
            "n_screened": len(values),
        }
    tol = _tolerance(values, paper_trainings, margin, rounding, "unsaturated trainings")
    mean = float(values.mean())
    return {
        "mean_screened": mean,
        "verdict_screened": tol.verdict(mean - paper_value(pid).value),
        "power_screened": tol.power(),
        "n_screened": len(values),
    }


def _silhouette_records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """The study's trainings against the report: the linear autoencoder (PCA), the best
    of nine trainings, the DAE's silhouette and validation loss."""
    sils = study.silhouettes
    recs = {}
    # the report's PCA is one training of its linear autoencoder (§2.3): compared with the
    # mean of the study's linear-AE trainings (a linear code has no bound: never screened)
    linear = sils["PCA"]
    margin = _silhouette_margin("lancione.silhouette.pca")
    recs["pca"] = scorecard.compare(
        "lancione.silhouette.pca",
        float(linear.mean()),
        _tolerance(linear, 1, margin, SILHOUETTE_ROUNDING, "linear-AE trainings"),
        n=len(linear),
        section=SECTION_SILHOUETTES,
        closed_form=study.sil_pca,
        linear_lo=float(linear.min()),
        linear_hi=float(linear.max()),
    )
    recs["best"] = _best_record(study)
    dae = sils["DAE"]
    margin = _silhouette_margin("lancione.silhouette.dae")
    recs["dae"] = scorecard.compare(
        "lancione.silhouette.dae",
        float(dae.mean()),
        _tolerance(dae, REPORT_DAE_TRAININGS, margin, SILHOUETTE_ROUNDING, "DAE trainings"),
        n=len(dae),
        section=SECTION_SILHOUETTES,
        lo=float(dae.min()),
        hi=float(dae.max()),
        screened=_screened(study)["DAE"],
        **_screened_verdict(
            "lancione.silhouette.dae",
            _kept(study, "DAE", dae),
            REPORT_DAE_TRAININGS,
            margin,
            SILHOUETTE_ROUNDING,
        ),
    )
    # the report gives no other validation loss to rank 0.034 against (§2.2-2.3 compare
    # losses in words only): the margin is its printed rounding, the precision at which
    # it calls its two trainings' losses the same
    loss_margin = (
        VAL_LOSS_ROUNDING,
        "stated: the report gives no other validation loss to rank its 0.034 against; a "
        "loss within half its last printed digit prints as the report's",
    )
    val = study.runs["DAE"].final_val_loss.numpy().astype(float)
    recs["val"] = scorecard.compare(
        "lancione.dae.val_loss",
        float(val.mean()),
        _tolerance(val, REPORT_DAE_TRAININGS, loss_margin, VAL_LOSS_ROUNDING, "DAE trainings"),
        n=len(val),
        section=SECTION_SILHOUETTES,
        **_screened_verdict(
            "lancione.dae.val_loss",
            _kept(study, "DAE", val),
            REPORT_DAE_TRAININGS,
            loss_margin,
            VAL_LOSS_ROUNDING,
        ),
    )
    return recs


def _best_record(study: ResultsStudy) -> scorecard.Record:
    """'Up to 0.60': the report's best of its nine trainings of the pair (6 DAE, 3 AE)
    against the bootstrap distribution of the best of nine of this book's trainings, all
    of them and the unsaturated ones."""
    sils = study.silhouettes
    what = "the best of " + " + ".join(f"{k} {m}" for m, k in REPORT_PAIR_TRAININGS.items())
    best = bootstrap_max({m: sils[m] for m in AUTOENCODERS}, REPORT_PAIR_TRAININGS)
    result = band_test(HIGH_SILHOUETTE, best, SILHOUETTE_ROUNDING, what)
    kept = {m: _kept(study, m, sils[m]) for m in AUTOENCODERS}
    screened: dict[str, Any] = {"verdict_screened": "failed", "p_screened": None}
    if all(len(v) for v in kept.values()):
        best_kept = bootstrap_max(kept, REPORT_PAIR_TRAININGS)
        r = band_test(HIGH_SILHOUETTE, best_kept, SILHOUETTE_ROUNDING, what)
        screened = {
            "verdict_screened": r.verdict(),
            "p_screened": r.p_value,
            "median_screened": float(np.median(best_kept)),
            "band_screened": [float(q) for q in np.percentile(best_kept, [5, 95])],
        }
    q = np.percentile(best, [2.5, 5, 95, 97.5])
    return scorecard.test(
        "lancione.silhouette.ae_best",
        result,
        reproduced=float(np.median(best)),
        section=SECTION_SILHOUETTES,
        report=HIGH_SILHOUETTE,
        draws=dict(REPORT_PAIR_TRAININGS),
        q2_5=float(q[0]),
        q5=float(q[1]),
        q95=float(q[2]),
        q97_5=float(q[3]),
        top=float(max(sils[m].max() for m in AUTOENCODERS)),
        screened=sum(_screened(study).values()),
        **screened,
    )


def _layouts_records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """Figures 3 and 4: the layout changes more than the score between two trainings
    (relative to unrelated layouts), and more than a layout changes on resampled images
    (the floor: no convergence). Each on independent pairs of all trainings, and of the
    unsaturated ones beside."""
    every, kept = study.disjoint_layouts(), study.disjoint_layouts(screen=True)

    def relative(pairs: list[LayoutPair]) -> stats.TestResult:
        return stats.wilcoxon_greater([lp.layout_change - lp.score_change for lp in pairs])

    def above_floor(pairs: list[LayoutPair]) -> stats.TestResult:
        return stats.wilcoxon_greater([lp.disparity - lp.floor for lp in pairs])

    def mean(attr: str, pairs: list[LayoutPair]) -> float:
        return float(np.mean([getattr(lp, attr) for lp in pairs])) if pairs else float("nan")

    raw = stats.wilcoxon_greater([lp.disparity - lp.relative_silhouette_change for lp in every])
    disparity = mean("disparity", study.layouts)
    recs = {}
    recs["layouts"] = scorecard.test(
        "lancione.layouts.vary_more_than_silhouettes",
        relative(every),
        section=SECTION_LAYOUTS,
        disparity=disparity,
        agree=1 - disparity,
        relative=mean("relative_silhouette_change", study.layouts),
        layout=mean("layout_change", study.layouts),
        score=mean("score_change", study.layouts),
        p_raw=raw.p_value,
        pairs=len(every),
        pairs_screened=len(kept),
        verdict_screened=relative(kept).verdict() if kept else "failed",
        p_screened=relative(kept).p_value if kept else None,
    )
    per_model = {
        m: (
            mean("disparity", [lp for lp in study.layouts if lp.model == m]),
            float(np.mean(study.floors[m])),
        )
        for m in AUTOENCODERS
    }
    recs["converge"] = scorecard.test(
        "lancione.layouts.no_convergence",
        above_floor(every),
        section=SECTION_LAYOUTS,
        disparity=disparity,
        floor=float(np.mean([f for m in AUTOENCODERS for f in study.floors[m]])),
        ae_disparity=per_model["AE"][0],
        ae_floor=per_model["AE"][1],
        dae_disparity=per_model["DAE"][0],
        dae_floor=per_model["DAE"][1],
        pairs=len(every),
        above=sum(lp.disparity > lp.floor for lp in every),
        pairs_screened=len(kept),
        verdict_screened=above_floor(kept).verdict() if kept else "failed",
        p_screened=above_floor(kept).p_value if kept else None,
    )
    return recs


def _survey_records(study: ResultsStudy) -> dict[str, scorecard.Record]:
    """The survey of digit pairs, measured: collapsed trainings, the collapse rate on the
    hard pairs and each autoencoder's mean silhouette (with and without the saturated
    trainings)."""
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
        screened = sv.per_pair(model, "silhouette", screen=True)
        saturated = sum(r.saturated for r in sv.accepted if r.model == model)
        without = (
            f"without the {saturated} saturated: {np.mean(list(screened.values())):.3f} over "
            f"{len(screened)} pairs"
            if screened
            else f"all {saturated} saturated"
        )
        recs[model] = scorecard.measure(
            f"lancione.pairs.{model.lower()}.mean_silhouette",
            f"{model}: mean silhouette over the surveyed pairs",
            float(np.mean(list(per_pair.values()))),
            section=SECTION_SURVEY,
            note=f"{sv.config.epochs} epochs, non-collapsed trainings; {without}",
            saturated=saturated,
        )
    return recs


# ------------------------------------------------------------------ sentences


def sentences(study: ResultsStudy, recs: dict[str, scorecard.Record]) -> dict[str, Any]:
    """Every value the page glues, by glue name: the chapter's paper values
    (``paper.<id>``), ``says.<record id>`` of ``pca``, ``best``, ``dae``, ``val``,
    ``layouts`` and ``converge``, ``saturated_words``, ``report_saturated_words``, the
    survey's numbers (``survey_*``) and ``n_seeds``; ``recs`` as :func:`records` returns
    them."""
    says = {
        **_silhouette_sentences(recs),
        "layouts": _layouts_sentence(recs["layouts"]),
        "converge": _converge_sentence(recs["converge"]),
    }
    return {
        **paper_values(),
        **{prose.says_name(recs[key]): text for key, text in says.items()},
        "saturated_words": _saturated_words(study),
        "report_saturated_words": _report_saturated_words(study),
        **_survey_numbers(study),
        "n_seeds": study.settings.n_seeds,
    }


def _without(rec: scorecard.Record, what: str = "mean", digits: int = 3) -> str:
    """The clause that gives ``rec``'s verdict without the saturated trainings (its
    ``*_screened`` extras): the value, the verdict and, for a number, the power."""
    x = rec.extra
    verdict = x.get("verdict_screened", "failed")
    left = f" ({x['n_screened']} left)" if "n_screened" in x else ""
    if verdict == "failed":
        return f"Without the saturated trainings{left} there are too few to compare."
    value = x.get(f"{what}_screened")
    shown = f"{value:.{digits}f}, " if isinstance(value, float) else ""
    power = x.get("power_screened")
    power = f" (power {power:.0%})" if isinstance(power, float) else ""
    return f"Without the saturated trainings{left}: {shown}{verdict}{power}."


def _silhouette_sentences(recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """The sentences of ``pca``, ``best``, ``dae`` and ``val``, by short name."""
    pca_head = (
        "The report's PCA is one training of its linear autoencoder: the study's trainings "
        "score {value:.3f} on average ({linear_lo:.3f}–{linear_hi:.3f} over {n}); "
    )
    pca_tail = (
        " (margin ± {tolerance:.4g}: half the distance to the report's nearest other "
        "silhouette; SE of the difference {se:.3f}, power {power:.0%}). Closed-form PCA, "
        "where the trainings converge, scores {closed_form:.3f}. A linear code has no bound: "
        "the saturation rule leaves these trainings alone."
    )
    dae_head = (
        "The denoising autoencoder scores {value:.3f} on average ({lo:.3f}–{hi:.3f} over {n} "
        "trainings, {screened} of them saturated); the mean of the report's two trainings "
        "is {paper}: "
    )
    dae_tail = (
        " (margin ± {tolerance:.4g}: half the distance to the report's PCA; SE of the "
        "difference {se:.3f}, from the spread between trainings over this book's {n} and "
        "the report's two: power {power:.0%}, the chance of 'reproduced' were the report's "
        "number exact). "
    )
    val_tail = (
        " (margin ± {tolerance:.4g}, the report's printed rounding: it gives no other loss "
        "to rank it against; SE of the difference {se:.4f}, power {power:.0%}). "
    )
    return {
        "pca": prose.say(
            recs["pca"],
            reproduced=pca_head + "the report's {paper} is within the margin" + pca_tail,
            differs=pca_head + "the report's {paper} differs" + pca_tail,
            not_significant=pca_head + "the report's {paper} is consistent with it, but "
            "not shown within the margin" + pca_tail,
            failed="The linear autoencoders could not be trained.",
        ),
        "best": prose.say(
            recs["best"],
            reproduced="The report's 'up to {report:.2f}' is the best of about nine "
            "trainings (its repository holds {draws[DAE]} DAE and {draws[AE]} AE plots of "
            "the pair). The best of nine of this book's trainings, drawn alike, is "
            "{value:.3f} in the median, between {q5:.3f} and {q95:.3f} nine times in ten: "
            "{report:.2f} lies inside (two-sided percentile p = {p:.2g}).",
            differs="The report's 'up to {report:.2f}' is the best of about nine trainings "
            "(its repository holds {draws[DAE]} DAE and {draws[AE]} AE plots of the pair). "
            "The best of nine of this book's trainings, drawn alike, is {value:.3f} in the "
            "median, between {q2_5:.3f} and {q97_5:.3f} in 95 % of draws: {report:.2f} lies "
            "outside (p = {p:.2g}); this book's best training scores {top:.3f}.",
            not_significant="The report's 'up to {report:.2f}' is the best of about nine "
            "trainings (its repository holds {draws[DAE]} DAE and {draws[AE]} AE plots of "
            "the pair). The best of nine of this book's trainings, drawn alike, is "
            "{value:.3f} in the median: {report:.2f} lies in the tail between its central "
            "90 % ({q5:.3f}–{q95:.3f}) and 95 % ({q2_5:.3f}–{q97_5:.3f}; p = {p:.2g}).",
            failed="The autoencoder trainings failed.",
        )
        + " "
        + _without(recs["best"], "median"),
        "dae": prose.say(
            recs["dae"],
            reproduced=dae_head + "within the margin" + dae_tail,
            differs=dae_head + "a difference" + dae_tail,
            not_significant=dae_head + "consistent, but not shown within the margin" + dae_tail,
            failed="Not compared: {note}.",
        )
        + _without(recs["dae"]),
        "val": prose.say(
            recs["val"],
            reproduced="Its validation loss, {value:.4f} on average, is the report's {paper}"
            + val_tail,
            differs="Its validation loss, {value:.4f} on average, differs from the report's "
            "{paper}" + val_tail,
            not_significant="Its validation loss, {value:.4f} on average, is consistent with "
            "the report's {paper} but not shown within the margin" + val_tail,
            failed="Not compared: {note}.",
        )
        + _without(recs["val"], digits=4),
    }


def _layouts_sentence(rec: scorecard.Record) -> str:
    agree = (
        "The layouts of two trainings agree to about {agree:.0%} after rotation and scaling "
        "(mean Procrustes disparity {disparity:.2f}), so the claim is relative: "
    )
    tail = (
        " (Wilcoxon over {pairs} independent pairs of trainings, p = {p:.2g}; on the raw "
        "scales p = {p_raw:.2g})."
    )
    text = prose.say(
        rec,
        reproduced=agree + "measured against unrelated layouts (= 1), the layout changes "
        "more than the score between trainings — layout change {layout:.2f}, score change "
        "{score:.2f}" + tail,
        differs=agree + "measured against unrelated layouts (= 1), the score changes more "
        "than the layout — layout change {layout:.2f}, score change {score:.2f}" + tail,
        not_significant=agree + "measured against unrelated layouts (= 1), layout and score "
        "change by comparable amounts — layout change {layout:.2f}, score change {score:.2f}"
        + tail,
        failed="The layout comparison failed.",
    )
    return f"{text} {_pairs_without(rec)}"


def _pairs_without(rec: scorecard.Record) -> str:
    """The clause that gives a layout record's verdict on the independent pairs of
    unsaturated trainings."""
    x = rec.extra
    if x.get("verdict_screened", "failed") == "failed":
        return "Without the saturated trainings no independent pair of trainings is left."
    return (
        f"Without the saturated trainings ({x['pairs_screened']} independent pairs): "
        f"{x['verdict_screened']} (p = {x['p_screened']:.2g})."
    )


def _converge_sentence(rec: scorecard.Record) -> str:
    numbers = (
        "Two trainings' layouts differ by a disparity of {disparity:.2f} on average (AE "
        "{ae_disparity:.2f}, DAE {dae_disparity:.2f}); one training's layout differs from "
        "itself by {floor:.2f} when each image is replaced by its nearest same-digit image "
        "in the other half of the validation set (AE {ae_floor:.2f}, DAE {dae_floor:.2f}). "
    )
    tail = " ({above} of {pairs} independent pairs above their floor; Wilcoxon p = {p:.2g})."
    text = prose.say(
        rec,
        reproduced=numbers + "Trainings differ by more than that floor: no convergence to "
        "one layout, as the report says" + tail,
        differs=numbers + "Trainings differ by less than that floor: they converge to one "
        "layout up to rotation and scale, against the report" + tail,
        not_significant=numbers + "Trainings do not differ significantly from that floor: "
        "these trainings cannot tell convergence from its absence" + tail,
        failed="The layout floor could not be computed.",
    )
    return f"{text} {_pairs_without(rec)}"


def _saturated_words(study: ResultsStudy) -> str:
    """The rule, and which of this build's trainings it flags (generated)."""
    n, flagged = study.settings.n_seeds, _screened(study)
    share = {m: study.bound[m] for m in AUTOENCODERS}
    ranges = "; ".join(
        f"{m} {share[m].min():.0%}–{share[m].max():.0%}, {flagged[m]} of {n} saturated"
        for m in AUTOENCODERS
    )
    return (
        "Saturation, one rule for the chapter: a code coordinate is at tanh's bound when "
        f"|z| > {TANH_BOUND:.3f}, where tanh's derivative is below a tenth of its largest "
        "value (training can hardly move a code there: it records on which side of the "
        "axis an image fell, not where), and a training is saturated when more than "
        f"{SATURATED_SHARE:.0%} of its validation codes have a coordinate there (more of "
        "its layout is the edge of the code square than its inside). Neither number is "
        "fitted to a run. Share of codes at the bound here: "
        f"{ranges}. Every comparison below uses all trainings, saturated ones included, as "
        "the report did with its own (next paragraph), and gives the verdict without the "
        "saturated ones beside it."
    )


def _report_saturated_words(study: ResultsStudy) -> str:
    """Whether the report's own trainings are saturated by the rule, as far as its
    figures show (generated from the readings and this build's trainings)."""
    calls = report_saturation(study)
    drawn = np.concatenate([study.drawn[m] for m in AUTOENCODERS])
    sat = np.concatenate([study.saturated[m] for m in AUTOENCODERS])

    def group(word: str) -> str:
        names = [k for k, v in calls.items() if v == word]
        return ", ".join(f"{k} ({REPORT_DRAWN_BOUND_SHARE[k]:.0%})" for k in names) or "none"

    parts = []
    if (~sat).any():
        parts.append(f"this book's unsaturated trainings show at most {drawn[~sat].max():.0%}")
    if sat.any():
        parts.append(f"its saturated ones at least {drawn[sat].min():.0%}")
    ours = "; ".join(parts)
    keep = (
        "The report computed its statistics on such trainings, unscreened, so the "
        "comparisons keep them."
        if "saturated" in calls.values()
        else "The report computed its statistics on all its trainings, so the comparisons "
        "keep every training."
    )
    return (
        "The report's own trainings: read off its nine scatter plots of digits 1 and 2, the "
        "share of the drawn points' area at the bound is "
        f"{min(REPORT_DRAWN_BOUND_SHARE.values()):.0%}–"
        f"{max(REPORT_DRAWN_BOUND_SHARE.values()):.0%}. A plot draws overlapping points "
        "once, so it shows fewer of the codes piled on the edges than there are; drawn the "
        f"same way, {ours}. By that measure the report's plots are "
        f"saturated: {group('saturated')}; not saturated: {group('not saturated')}; "
        f"cannot tell: {group('cannot tell')}. {keep}"
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
        "survey_saturated": sum(r.saturated for r in sv.accepted),
        "survey_accepted": len(sv.accepted),
    }
