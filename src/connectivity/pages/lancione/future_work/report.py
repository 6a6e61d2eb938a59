"""The future-work page's scorecard records and generated sentences."""

from __future__ import annotations

import numpy as np
import pandas as pd

from connectivity import scorecard, stats
from connectivity.latent.digit_pairs import pair_label
from connectivity.prose import glue, glue_say, trend

from ..sentences import glue_paper_values
from ..trainings import HARD_PAIRS
from .study import FutureWorkStudy

SECTION_WRONG = "(i) Wrong reconstructions"
SECTION_DIM = "(ii) Latent dimension"
MIN_SEEDS = 3  # the hard-pairs verdict needs this many non-collapsed trainings per pair


def report(study: FutureWorkStudy) -> dict[str, scorecard.Record]:
    """Scorecard records and the generated sentences of the page."""
    glue_paper_values()
    sv, recs = study.survey, {}
    glue("judge_acc", 100 * study.judge.test_accuracy)
    dae = sv.per_pair("DAE", "wrong")
    counts = sv.n_accepted("DAE")
    short = [p for p in HARD_PAIRS if p in sv.pairs and counts[p] < MIN_SEEDS]
    if short or len(dae) < 5:
        why = ", ".join(f"{pair_label(p)}: {counts[p]}" for p in short) or f"{len(dae)} pairs"
        recs["hard"] = scorecard.fail(
            "lancione.pairs.hard_pairs_dae_wrong",
            f"fewer than {MIN_SEEDS} non-collapsed DAE trainings ({why}) or too few pairs",
            section=SECTION_WRONG,
        )
    else:
        hard = [dae[p] for p in HARD_PAIRS]
        rest = [v for p, v in dae.items() if p not in HARD_PAIRS]
        ranks = pd.Series(dae).rank(ascending=False)
        recs["hard"] = scorecard.test(
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
    glue_say(
        recs["hard"],
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
    ae = sv.per_pair("AE", "wrong")
    common = [p for p in sv.pairs if p in ae]
    diffs = [sv.pca_wrong[p] - ae[p] for p in common]
    recs["pca"] = scorecard.test(
        "lancione.pairs.pca_reconstructs_worse",
        stats.wilcoxon_greater(diffs),
        reproduced=float(np.median(diffs)),
        section=SECTION_WRONG,
        pca=float(np.mean([sv.pca_wrong[p] for p in common])),
        epochs=sv.config.epochs,
        ae=float(np.mean([ae[p] for p in common])),
    )
    glue_say(
        recs["pca"],
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
    glue_say(
        recs["blur"],
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
    collapsed = [r.wrong for r in sv.collapsed]
    glue("collapsed_wrong", f"{np.mean(collapsed):.2f}" if collapsed else "—")
    glue("n_collapsed", len(collapsed))
    for model, values in (("pca", sv.pca_wrong), ("ae", ae), ("dae", dae)):
        recs[model + "_mean"] = scorecard.measure(
            f"lancione.wrong_reconstruction.{model}.mean",
            f"{model.upper()}: mean wrong-reconstruction rate over the surveyed pairs",
            float(np.mean(list(values.values()))),
            unit="fraction",
            section=SECTION_WRONG,
            note=f"judge accuracy {study.judge.test_accuracy:.3f}",
        )
    df = study.sweep_frame()
    glue(
        "sweep_sil_trend",
        trend(
            df["latent"],
            df["silhouette"],
            up="rises",
            down="falls",
            flat="shows no significant trend",
        ),
    )
    glue(
        "sweep_mse_trend",
        trend(
            df["latent"],
            df["val_loss"],
            up="rises",
            down="falls",
            flat="shows no significant trend",
        ),
    )
    m = df.groupby("latent").mean()
    glue("sweep_first", float(m["silhouette"].iloc[0]))
    glue("sweep_last", float(m["silhouette"].iloc[-1]))
    glue("sweep_last_dim", int(m.index[-1]))
    for d, row in m.iterrows():
        recs[f"d{d}"] = scorecard.measure(
            f"lancione.sweep.silhouette.d{d}",
            f"AE silhouette with a {d}-D latent space (mean over seeds)",
            float(row["silhouette"]),
            section=SECTION_DIM,
            note=f"{study.settings.sweep_epochs} epochs, {study.settings.sweep_seeds} trainings",
        )
    return recs
