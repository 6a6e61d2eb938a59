"""The future-work page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.FutureWorkStudy` (:func:`records`)
and glues the sentences (:func:`sentences`). Tests:

* the denoising autoencoder fails on the hard pairs: its first trainings (reruns
  ignored) on 1–7 and 4–9 fail - collapse, or one digit reconstructed as the other - more
  often than on the other pairs (one-sided Fisher's exact test over trainings);
* PCA's reconstructions turn into the other digit more often, and are blurrier, than the
  autoencoder's (one-sided Wilcoxon over pairs);
* the report's two "no difference" conclusions over the surveyed pairs (AE against DAE,
  the autoencoders against PCA), by the one rule on the mean per-pair difference of
  silhouettes: equivalence within the report's own margin (:data:`NO_DIFFERENCE`);
* the wrong-reconstruction rates and the silhouette per latent dimension: measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from connectivity import prose, scorecard, stats
from connectivity.latent.digit_pairs import pair_label
from connectivity.paper_values.lancione import DAE_TRAININGS_SHOWN
from connectivity.stats import PairedDifference, fisher_greater, paired_difference

from ..sentences import paper_values
from ..trainings import HARD_PAIRS
from .study import FutureWorkStudy

SECTION_WRONG = "(i) Wrong reconstructions"
SECTION_SAME = "The report's two conclusions of no difference"
SECTION_DIM = "(ii) Latent dimension"
# the largest silhouette difference the report itself calls no difference: its two DAE
# trainings A and B (Figs. 3a-3b), whose silhouettes "do not seem as different"
NO_DIFFERENCE = round(abs(DAE_TRAININGS_SHOWN[1] - DAE_TRAININGS_SHOWN[0]), 12)
NO_DIFFERENCE_BASIS = (
    f"the largest silhouette difference the report calls no difference: its trainings A "
    f"and B ({DAE_TRAININGS_SHOWN[0]:g} and {DAE_TRAININGS_SHOWN[1]:g}, Figs. 3a–3b) 'do not "
    "seem as different' (§3); the report compares the difference with no other value"
)


def report(study: FutureWorkStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


# ------------------------------------------------------------------ records


def records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name (``hard``, ``pca``,
    ``blur``, ``ae_dae``, ``ae_pca``, ``pca_mean``, ``ae_mean``, ``dae_mean``, and ``d<k>``
    per latent dimension)."""
    return {
        "hard": _hard_pairs_record(study),
        **_pca_records(study),
        **_no_difference_records(study),
        **_wrong_rate_records(study),
        **_sweep_records(study),
    }


def _hard_pairs_record(study: FutureWorkStudy) -> scorecard.Record:
    """The denoising autoencoder fails on the hard pairs more often than on the others:
    its first trainings (collapsed, or most of one digit's reconstructions read as the
    other digit) on 1–7 and 4–9 against those on the other pairs, one-sided Fisher's exact
    test; ``failed`` when the survey has no other pair."""
    first = study.first_dae
    hard = [a for a in first if a.pair in HARD_PAIRS]
    rest = [a for a in first if a.pair not in HARD_PAIRS]
    if not hard or not rest:
        return scorecard.fail(
            "lancione.pairs.hard_pairs_dae_fails",
            f"the survey has {len(hard)} first trainings on the hard pairs and {len(rest)} on "
            "the others: no comparison",
            section=SECTION_WRONG,
        )

    def counts(group, prefix: str) -> dict[str, int]:
        return {
            f"{prefix}_n": len(group),
            f"{prefix}_failed": sum(a.failed for a in group),
            f"{prefix}_collapsed": sum(a.collapsed for a in group),
            f"{prefix}_other": sum(a.judged_as_other and not a.collapsed for a in group),
        }

    c = counts(hard, "hard") | counts(rest, "rest")
    # the saturation rule concerns what a layout's silhouette measures, not whether a
    # training reconstructs; screening would drop collapsed trainings (one code, at the
    # bound or not) - the failure tested - so it is given beside, not applied
    kept_h = [a for a in hard if not a.saturated]
    kept_r = [a for a in rest if not a.saturated]
    n_sat = len(first) - len(kept_h) - len(kept_r)
    if n_sat == 0:
        screen = "No first training is saturated (the chapter's rule)."
    elif not kept_h or not kept_r:
        screen = f"Without the {n_sat} saturated first trainings no comparison is left."
    else:
        res = fisher_greater(
            sum(a.failed for a in kept_h), len(kept_h), sum(a.failed for a in kept_r), len(kept_r)
        )
        screen = (
            f"Without the {n_sat} saturated first trainings (the chapter's rule, which "
            f"concerns layouts, not reconstructions): {sum(a.failed for a in kept_h)} of "
            f"{len(kept_h)} against {sum(a.failed for a in kept_r)} of {len(kept_r)}, p = "
            f"{res.p_value:.2g} ({res.verdict()})."
        )
    return scorecard.test(
        "lancione.pairs.hard_pairs_dae_fails",
        fisher_greater(c["hard_failed"], c["hard_n"], c["rest_failed"], c["rest_n"]),
        section=SECTION_WRONG,
        **c,
        screen_words=screen,
        n_saturated=n_sat,
        hard_pairs=" and ".join(pair_label(p) for p in HARD_PAIRS),
        hard_share=c["hard_failed"] / c["hard_n"],
        rest_share=c["rest_failed"] / c["rest_n"],
        n_pairs=len(study.survey.pairs),
        epochs=study.survey.config.epochs,
    )


def _pca_records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """PCA against the autoencoder over the surveyed pairs: wrong reconstructions
    (``pca``) and sharpness (``blur``)."""
    sv = study.survey
    ae = sv.per_pair("AE", "wrong")
    common = [p for p in sv.pairs if p in ae]
    diffs = [sv.pca_wrong[p] - ae[p] for p in common]
    recs = {}
    screened = {a: sv.per_pair("AE", a, screen=True) for a in ("wrong", "sharpness")}
    recs["pca"] = scorecard.test(
        "lancione.pairs.pca_reconstructs_worse",
        stats.wilcoxon_greater(diffs),
        reproduced=float(np.median(diffs)),
        section=SECTION_WRONG,
        pca=float(np.mean([sv.pca_wrong[p] for p in common])),
        epochs=sv.config.epochs,
        ae=float(np.mean([ae[p] for p in common])),
        screen_words=_screened_wilcoxon(
            {p: sv.pca_wrong[p] - v for p, v in screened["wrong"].items()}, sv
        ),
    )
    ae_sharp = sv.per_pair("AE", "sharpness")
    sharp_common = [p for p in sv.pairs if p in ae_sharp and p in sv.pca_sharpness]
    recs["blur"] = scorecard.test(
        "lancione.pairs.pca_blurrier",
        stats.wilcoxon_greater([ae_sharp[p] - sv.pca_sharpness[p] for p in sharp_common]),
        reproduced=float(np.median([ae_sharp[p] - sv.pca_sharpness[p] for p in sharp_common])),
        section=SECTION_WRONG,
        pca=float(np.mean([sv.pca_sharpness[p] for p in sharp_common])),
        ae=float(np.mean([ae_sharp[p] for p in sharp_common])),
        n_pairs=len(sharp_common),
        screen_words=_screened_wilcoxon(
            {
                p: v - sv.pca_sharpness[p]
                for p, v in screened["sharpness"].items()
                if p in sv.pca_sharpness
            },
            sv,
        ),
    )
    return recs


def _n_saturated(sv, models=("AE",)) -> tuple[int, int]:
    """(saturated, all) accepted trainings of ``models`` in the survey ``sv``."""
    runs = [r for r in sv.accepted if r.model in models]
    return sum(r.saturated for r in runs), len(runs)


def _screened_wilcoxon(diffs: dict, sv) -> str:
    """The sentence on the same Wilcoxon test without the saturated trainings (the
    chapter's rule), given beside: the rule concerns layouts, these statistics
    reconstructions."""
    n_sat, n_all = _n_saturated(sv)
    if n_sat == 0:
        return "No autoencoder training is saturated (the chapter's rule)."
    if len(diffs) < 2:
        return (
            f"Without the {n_sat} of {n_all} autoencoder trainings that are saturated (the "
            f"chapter's rule) {len(diffs)} pair(s) are left: too few to test."
        )
    res = stats.wilcoxon_greater(list(diffs.values()))
    return (
        f"Without the {n_sat} of {n_all} autoencoder trainings that are saturated (the "
        f"chapter's rule) the same test gives p = {res.p_value:.2g} ({res.verdict()}) over "
        f"{len(diffs)} pairs."
    )


def _no_difference_records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """The report's two conclusions of no difference, over the surveyed pairs (mean
    silhouette of the accepted, unsaturated trainings per pair - the chapter's saturation
    rule - ; closed-form PCA): the autoencoder against the denoising autoencoder
    (``ae_dae``), and the autoencoders (the mean of the two) against PCA (``ae_pca``).
    Each the mean per-pair difference against the report's 0, by the one rule within
    :data:`NO_DIFFERENCE`; the verdict without the saturation screen is given beside."""
    sv = study.survey
    out = {}
    for key, rid, names in (
        ("ae_dae", "lancione.pairs.ae_dae_silhouette_difference", ("ae", "dae")),
        (
            "ae_pca",
            "lancione.pairs.autoencoders_pca_silhouette_difference",
            ("autoencoders", "pca"),
        ),
    ):
        try:
            plain, _, _ = _silhouette_difference(sv, key, screen=False)
            words = _screen_words(sv, plain)
        except ValueError as err:
            out[key] = scorecard.fail(rid, str(err), section=SECTION_SAME)
            continue
        try:
            d, a, b = _silhouette_difference(sv, key, screen=True)
        except ValueError as err:
            out[key] = scorecard.fail(
                rid,
                f"with the saturation screen, {err}; {words[0].lower()}{words[1:-1]}",
                section=SECTION_SAME,
            )
            continue
        out[key] = scorecard.compare(
            rid,
            d.mean,
            d.tolerance,
            n=d.n,
            section=SECTION_SAME,
            **_paired_extra(d, a, b, names),
            screen_words=words,
        )
    return out


def _silhouette_difference(sv, key: str, screen: bool):
    """The per-pair silhouette differences of ``key`` (``ae_dae`` or ``ae_pca``), with or
    without the saturation screen: (:class:`PairedDifference`, a, b)."""
    ae = sv.per_pair("AE", "silhouette", screen=screen)
    dae = sv.per_pair("DAE", "silhouette", screen=screen)
    if key == "ae_dae":
        a, b = ae, dae
    else:
        a, b = {p: (ae[p] + dae[p]) / 2 for p in ae if p in dae}, sv.pca_silhouette
    return paired_difference(a, b, NO_DIFFERENCE, NO_DIFFERENCE_BASIS), a, b


def _screen_words(sv, plain: PairedDifference) -> str:
    """The sentence on the same comparison without the saturation screen."""
    n_sat, n_all = _n_saturated(sv, ("AE", "DAE"))
    if n_sat == 0:
        return "No training's codes are saturated (the chapter's rule)."
    return (
        f"Without the saturation screen ({n_sat} of the {n_all} accepted AE and DAE trainings "
        f"saturated) the mean difference is {plain.mean:+.3f} over {plain.n} pairs: "
        f"{plain.tolerance.verdict(plain.mean)}."
    )


def _paired_extra(d: PairedDifference, a: dict, b: dict, names: tuple[str, str]) -> dict:
    """The numbers a no-difference sentence quotes: both means over the compared pairs,
    the SE of the mean difference, the margin, and the power (%)."""
    return {
        names[0]: float(np.mean([a[p] for p in d.pairs])),
        names[1]: float(np.mean([b[p] for p in d.pairs])),
        "n_pairs": d.n,
        "se_diff": d.tolerance.se,
        "margin": d.tolerance.value,
        "power_pct": 100 * d.tolerance.power(),
        "a_higher": int(np.sum(d.differences > 0)),
    }


def _wrong_rate_records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """Each model's mean wrong-reconstruction rate over the surveyed pairs, measured."""
    sv = study.survey
    rates = {
        "pca": sv.pca_wrong,
        "ae": sv.per_pair("AE", "wrong"),
        "dae": sv.per_pair("DAE", "wrong"),
    }
    return {
        model + "_mean": scorecard.measure(
            f"lancione.wrong_reconstruction.{model}.mean",
            f"{model.upper()}: mean wrong-reconstruction rate over the surveyed pairs",
            float(np.mean(list(values.values()))),
            unit="fraction",
            section=SECTION_WRONG,
            note=f"judge accuracy {study.judge.test_accuracy:.3f}",
        )
        for model, values in rates.items()
    }


def _sweep_records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """The autoencoder's silhouette per latent dimension (mean over seeds), measured."""
    m = study.sweep_frame().groupby("latent").mean()
    return {
        f"d{d}": scorecard.measure(
            f"lancione.sweep.silhouette.d{d}",
            f"AE silhouette with a {d}-D latent space (mean over seeds)",
            float(row["silhouette"]),
            section=SECTION_DIM,
            note=f"{study.settings.sweep_epochs} epochs, {study.settings.sweep_seeds} trainings",
        )
        for d, row in m.iterrows()
    }


# ------------------------------------------------------------------ sentences


def sentences(study: FutureWorkStudy, recs: dict[str, scorecard.Record]) -> dict[str, Any]:
    """Every value the page glues, by glue name: the chapter's paper values
    (``paper.<id>``), ``says.<record id>`` of ``hard``, ``pca``, ``blur``, ``ae_dae`` and
    ``ae_pca``, the judge's accuracy ``judge_acc`` (%), ``collapsed_wrong`` and
    ``n_collapsed`` (the collapsed trainings), ``no_difference`` (the margin of the two
    no-difference claims), and the sweep's ``sweep_sil_trend``, ``sweep_mse_trend``,
    ``sweep_first``, ``sweep_last`` and ``sweep_last_dim``; ``recs`` as :func:`records`
    returns them."""
    says = {
        "hard": _hard_pairs_sentence(recs["hard"]),
        "pca": _pca_sentence(recs["pca"]),
        "blur": _blur_sentence(recs["blur"]),
        "ae_dae": _ae_dae_sentence(recs["ae_dae"]),
        "ae_pca": _ae_pca_sentence(recs["ae_pca"]),
    }
    collapsed = [r.wrong for r in study.survey.collapsed]
    return {
        **paper_values(),
        "judge_acc": 100 * study.judge.test_accuracy,
        **{prose.says_name(recs[key]): text for key, text in says.items()},
        "collapsed_wrong": f"{np.mean(collapsed):.2f}" if collapsed else "—",
        "n_collapsed": len(collapsed),
        "no_difference": NO_DIFFERENCE,
        **_sweep_numbers(study),
    }


def _hard_pairs_sentence(rec: scorecard.Record) -> str:
    counts = (
        "{hard_failed} of its {hard_n} first trainings on {hard_pairs} failed ({hard_collapsed} "
        "collapsed, {hard_other} reconstructed one digit as the other), against {rest_failed} "
        "of {rest_n} on the other pairs ({rest_collapsed} collapsed, {rest_other} one digit as "
        "the other)"
    )
    return prose.say(
        rec,
        reproduced="The denoising autoencoder does fail on the hard pairs: " + counts + " "
        "(one-sided Fisher's exact test, p = {p:.2g}). {screen_words}",
        differs="The denoising autoencoder fails *less* often on the hard pairs: " + counts + " "
        "(p = {p_opposite:.2g} for that direction). {screen_words}",
        not_significant="The denoising autoencoder does not fail significantly more often on "
        "the hard pairs: " + counts + " (one-sided Fisher's exact test, p = {p:.2f}); the "
        "survey's trainings are {epochs} epochs long in this build, the study's 20. {screen_words}",
        failed="The hard-pairs claim is not decided: {note}.",
    )


def _no_difference_words(rec: scorecard.Record, what: str, a: str, b: str) -> str:
    """The sentence of a no-difference record: ``what`` names the comparison, ``a`` and
    ``b`` the extra fields of the two means."""
    means = f"mean silhouette {{{a}:.3f}} against {{{b}:.3f}} over {{n_pairs}} pairs"
    diff = "mean per-pair difference {value:+.3f} (SE {se_diff:.3f})"
    return prose.say(
        rec,
        reproduced=f"The report's {what} holds over the surveyed pairs: {means}, a {diff} "
        "inside ± {margin:.2f}, the largest difference the report itself calls none (two "
        "one-sided tests, p = {p:.2g}). {screen_words}",
        differs=f"The report's {what} does not hold over the surveyed pairs: {means}, a "
        f"{diff}, not zero (p = {{p_opposite:.2g}}); the first is higher on {{a_higher}} of "
        "the {n_pairs} pairs. Within ± {margin:.2f}, the largest difference the report calls "
        "none, it is not shown (two one-sided tests, p = {p:.2g}). {screen_words}",
        not_significant=f"The report's {what} is consistent with the surveyed pairs but not "
        f"shown: {means}, a {diff} that is neither shown inside ± {{margin:.2f}} (two "
        "one-sided tests, p = {p:.2f}) nor different from zero (p = {p_opposite:.2f}); at "
        "this standard error an exact agreement would show equivalence {power_pct:.0f} % of "
        "the time. {screen_words}",
        failed=f"The report's {what} could not be tested: {{note}}.",
    )


def _ae_dae_sentence(rec: scorecard.Record) -> str:
    return _no_difference_words(
        rec, "'no difference' between the autoencoder and the denoising autoencoder", "ae", "dae"
    )


def _ae_pca_sentence(rec: scorecard.Record) -> str:
    return _no_difference_words(
        rec, "'no significant advantage' of the autoencoders over PCA", "autoencoders", "pca"
    )


def _pca_sentence(rec: scorecard.Record) -> str:
    return prose.say(
        rec,
        reproduced="PCA's reconstructions turn into the other digit more often than the "
        "autoencoder's ({pca:.1%} against {ae:.1%} averaged over pairs; Wilcoxon p = {p:.3g}). "
        "{screen_words}",
        differs="PCA's reconstructions turn into the other digit *less* often than the "
        "autoencoder's ({pca:.1%} against {ae:.1%}; p = {p_opposite:.3g}). The survey's "
        "autoencoders train {epochs} epochs in this build (the study's: 20); whether longer "
        "training reverses this is not measured here. {screen_words}",
        not_significant="PCA and the autoencoder reconstruct the wrong digit about equally often "
        "({pca:.1%} and {ae:.1%}; p = {p:.2f}). {screen_words}",
        failed="The comparison failed.",
    )


def _blur_sentence(rec: scorecard.Record) -> str:
    return prose.say(
        rec,
        reproduced="PCA's reconstructions are blurrier: they keep {pca:.0%} of the originals' "
        "edges against the autoencoder's {ae:.0%} (mean over {n_pairs} pairs; Wilcoxon "
        "p = {p:.3g}). {screen_words}",
        differs="PCA's reconstructions are *sharper* than the autoencoder's: they keep "
        "{pca:.0%} of the originals' edges against {ae:.0%} ({n_pairs} pairs; p = "
        "{p_opposite:.3g}). {screen_words}",
        not_significant="PCA's and the autoencoder's reconstructions keep a similar share of "
        "the originals' edges ({pca:.0%} and {ae:.0%}, {n_pairs} pairs; p = {p:.2f}). "
        "{screen_words}",
        failed="The sharpness comparison failed.",
    )


def _sweep_numbers(study: FutureWorkStudy) -> dict[str, Any]:
    """The sweep's trends of silhouette and validation loss with the latent dimension
    (one-sided Spearman, :func:`~connectivity.prose.trend`) and the mean silhouette at
    its first and last dimension, by glue name."""
    df = study.sweep_frame()
    m = df.groupby("latent").mean()
    words = {"up": "rises", "down": "falls", "flat": "shows no significant trend"}
    return {
        "sweep_sil_trend": prose.trend(df["latent"], df["silhouette"], **words),
        "sweep_mse_trend": prose.trend(df["latent"], df["val_loss"], **words),
        "sweep_first": float(m["silhouette"].iloc[0]),
        "sweep_last": float(m["silhouette"].iloc[-1]),
        "sweep_last_dim": int(m.index[-1]),
    }
