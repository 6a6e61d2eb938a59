"""The future-work page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.FutureWorkStudy` (:func:`records`)
and glues the sentences (:func:`sentences`). Tests (qualitative, one-sided):

* the hard pairs' DAE reconstructions turn into the other digit more often than the other
  pairs' (Mann-Whitney over pairs; not decided with fewer than :data:`MIN_SEEDS`
  non-collapsed trainings of a hard pair);
* PCA's reconstructions turn into the other digit more often, and are blurrier, than the
  autoencoder's (Wilcoxon over pairs);
* the wrong-reconstruction rates and the silhouette per latent dimension: measured.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from connectivity import prose, scorecard, stats
from connectivity.latent.digit_pairs import pair_label

from ..sentences import paper_values
from ..trainings import HARD_PAIRS
from .study import FutureWorkStudy

SECTION_WRONG = "(i) Wrong reconstructions"
SECTION_DIM = "(ii) Latent dimension"
MIN_SEEDS = 3  # the hard-pairs verdict needs this many non-collapsed trainings per pair


def report(study: FutureWorkStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


# ------------------------------------------------------------------ records


def records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name (``hard``, ``pca``,
    ``blur``, ``pca_mean``, ``ae_mean``, ``dae_mean``, and ``d<k>`` per latent dimension)."""
    return {
        "hard": _hard_pairs_record(study),
        **_pca_records(study),
        **_wrong_rate_records(study),
        **_sweep_records(study),
    }


def _hard_pairs_record(study: FutureWorkStudy) -> scorecard.Record:
    """The DAE reconstructs the hard pairs wrong more often than the others; ``failed``
    when a hard pair has fewer than :data:`MIN_SEEDS` trainings or the survey fewer than
    five pairs."""
    sv = study.survey
    dae = sv.per_pair("DAE", "wrong")
    counts = sv.n_accepted("DAE")
    short = [p for p in HARD_PAIRS if p in sv.pairs and counts[p] < MIN_SEEDS]
    if short or len(dae) < 5:
        why = ", ".join(f"{pair_label(p)}: {counts[p]}" for p in short) or f"{len(dae)} pairs"
        return scorecard.fail(
            "lancione.pairs.hard_pairs_dae_wrong",
            f"fewer than {MIN_SEEDS} non-collapsed DAE trainings ({why}) or too few pairs",
            section=SECTION_WRONG,
        )
    hard = [dae[p] for p in HARD_PAIRS]
    rest = [v for p, v in dae.items() if p not in HARD_PAIRS]
    ranks = pd.Series(dae).rank(ascending=False)
    return scorecard.test(
        "lancione.pairs.hard_pairs_dae_wrong",
        stats.mann_whitney_greater(hard, rest),
        reproduced=float(np.mean(hard) - np.mean(rest)),
        section=SECTION_WRONG,
        hard=float(np.mean(hard)),
        rest=float(np.mean(rest)),
        n_pairs=len(dae),
        ranks=", ".join(f"{pair_label(p)} ranks {int(ranks[p])}" for p in HARD_PAIRS),
        epochs=sv.config.epochs,
    )


def _pca_records(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """PCA against the autoencoder over the surveyed pairs: wrong reconstructions
    (``pca``) and sharpness (``blur``)."""
    sv = study.survey
    ae = sv.per_pair("AE", "wrong")
    common = [p for p in sv.pairs if p in ae]
    diffs = [sv.pca_wrong[p] - ae[p] for p in common]
    recs = {}
    recs["pca"] = scorecard.test(
        "lancione.pairs.pca_reconstructs_worse",
        stats.wilcoxon_greater(diffs),
        reproduced=float(np.median(diffs)),
        section=SECTION_WRONG,
        pca=float(np.mean([sv.pca_wrong[p] for p in common])),
        epochs=sv.config.epochs,
        ae=float(np.mean([ae[p] for p in common])),
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
    )
    return recs


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
    (``paper.<id>``), ``says.<record id>`` of ``hard``, ``pca`` and ``blur``, the judge's
    accuracy ``judge_acc`` (%), ``collapsed_wrong`` and ``n_collapsed`` (the collapsed
    trainings), and the sweep's ``sweep_sil_trend``, ``sweep_mse_trend``, ``sweep_first``,
    ``sweep_last`` and ``sweep_last_dim``; ``recs`` as :func:`records` returns them."""
    says = {
        "hard": _hard_pairs_sentence(recs["hard"]),
        "pca": _pca_sentence(recs["pca"]),
        "blur": _blur_sentence(recs["blur"]),
    }
    collapsed = [r.wrong for r in study.survey.collapsed]
    return {
        **paper_values(),
        "judge_acc": 100 * study.judge.test_accuracy,
        **{prose.says_name(recs[key]): text for key, text in says.items()},
        "collapsed_wrong": f"{np.mean(collapsed):.2f}" if collapsed else "—",
        "n_collapsed": len(collapsed),
        **_sweep_numbers(study),
    }


def _hard_pairs_sentence(rec: scorecard.Record) -> str:
    return prose.say(
        rec,
        reproduced="The denoising autoencoder does fail on the hard pairs: their reconstructions "
        "turn into the other digit {hard:.1%} of the time against {rest:.1%} for the other pairs "
        "({ranks} of {n_pairs}; p = {p:.2g}).",
        differs="The hard pairs are reconstructed *better* than the others ({hard:.1%} wrong "
        "against {rest:.1%}; p = {p_opposite:.2g}).",
        not_significant="The hard pairs are not reconstructed significantly worse than the "
        "others: {hard:.1%} wrong against {rest:.1%} ({ranks} of {n_pairs}; p = {p:.2f}); the "
        "survey's trainings are {epochs} epochs long in this build, the study's 20.",
        failed="The hard-pairs claim is not decided: {note}.",
    )


def _pca_sentence(rec: scorecard.Record) -> str:
    return prose.say(
        rec,
        reproduced="PCA's reconstructions turn into the other digit more often than the "
        "autoencoder's ({pca:.1%} against {ae:.1%} averaged over pairs; Wilcoxon p = {p:.3g}).",
        differs="PCA's reconstructions turn into the other digit *less* often than the "
        "autoencoder's ({pca:.1%} against {ae:.1%}; p = {p_opposite:.3g}). The survey's "
        "autoencoders train {epochs} epochs in this build (the study's: 20); whether longer "
        "training reverses this is not measured here.",
        not_significant="PCA and the autoencoder reconstruct the wrong digit about equally often "
        "({pca:.1%} and {ae:.1%}; p = {p:.2f}).",
        failed="The comparison failed.",
    )


def _blur_sentence(rec: scorecard.Record) -> str:
    return prose.say(
        rec,
        reproduced="PCA's reconstructions are blurrier: they keep {pca:.0%} of the originals' "
        "edges against the autoencoder's {ae:.0%} (mean over {n_pairs} pairs; Wilcoxon "
        "p = {p:.3g}).",
        differs="PCA's reconstructions are *sharper* than the autoencoder's: they keep "
        "{pca:.0%} of the originals' edges against {ae:.0%} ({n_pairs} pairs; p = "
        "{p_opposite:.3g}).",
        not_significant="PCA's and the autoencoder's reconstructions keep a similar share of "
        "the originals' edges ({pca:.0%} and {ae:.0%}, {n_pairs} pairs; p = {p:.2f}).",
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
