"""The question page's scorecard record and the sentences that state its outcome.

:func:`report` writes the record of a :class:`~.study.QuestionStudy` (:func:`records`)
and glues the sentences (:func:`sentences`). The record: whether some digit occupies
two or more regions of the VAE's latent space, decided by a bootstrap of the codes
(:func:`connectivity.latent.metrics.split_test`).
"""

from __future__ import annotations

from typing import Any

from connectivity import prose, scorecard
from connectivity.latent.vae import VAEConfig

from ..sentences import paper_values, scale_note
from .study import QuestionStudy

SECTION_REGIONS = "How many pieces does each digit occupy?"


def report(study: QuestionStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard record (:func:`records`, by short name) and the
    sentences that state its outcome (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def _split_digits(study: QuestionStudy) -> str:
    """The digits that occupy more than one region, comma-separated, or ``none``."""
    return ", ".join(str(d) for d, r in study.regions.items() if r > 1) or "none"


def records(study: QuestionStudy) -> dict[str, scorecard.Record]:
    """Write the page's scorecard record; returns it by short name (``split``)."""
    split_digits = _split_digits(study)
    rec = scorecard.test(
        "lancione.vae.some_digit_split",
        study.split,
        reproduced=max(study.regions.values()),
        section=SECTION_REGIONS,
        note=f"digits split: {split_digits}",
        split_digits=split_digits,
        most=max(study.regions.values()),
    )
    return {"split": rec}


def sentences(study: QuestionStudy, recs: dict[str, scorecard.Record]) -> dict[str, Any]:
    """Every value the page glues, by glue name: the chapter's paper values
    (``paper.<id>``), ``says.lancione.vae.some_digit_split``, ``vae_nowhere``,
    ``vae_scale`` and ``vae_loss_last``; ``recs`` as :func:`records` returns them."""
    nowhere = [str(d) for d, r in study.regions.items() if r == 0]
    cfg, paper = study.settings.vae, VAEConfig()
    return {
        **paper_values(),
        prose.says_name(recs["split"]): _split_sentence(study, recs["split"]),
        "vae_nowhere": f"Digit(s) {', '.join(nowhere)} are nowhere the majority of a cell: "
        "their codes lie inside other digits' regions (0 regions in the table)."
        if nowhere
        else "",
        "vae_scale": scale_note(
            cfg.epochs, paper.epochs, "training epochs", study.settings.profile
        ),
        "vae_loss_last": study.vae.loss[-1],
    }


def _split_sentence(study: QuestionStudy, rec: scorecard.Record) -> str:
    """Whether some digit is split, worded by the record's verdict."""
    return prose.say(
        rec,
        reproduced="In this build the VAE splits digit(s) {split_digits} (at most {most} "
        "regions), in the full codes and in most half-subsamples ({test}: p = {p:.2g}): as in "
        "the report's Fig. 1, a digit is cut into pieces.",
        differs="In this build no digit is split stably: most half-subsamples of the codes "
        "show no split digit ({test}: p = {p_opposite:.2g}; split in the full codes: "
        "{split_digits}), unlike the report's Fig. 1.",
        not_significant=(
            "In this build the evidence is weak either way: split in the full codes: "
            "{split_digits} (at most {most} regions); {test}: p = {p:.2f} for a stable "
            "split, {p_opposite:.2f} for none."
            if _split_digits(study) != "none"
            # p is 1 by rule here: a stable split needs one in the full codes
            else "In this build the full codes show no split digit, which a stable split "
            "needs; yet the subsamples do not show its absence either ({test}: p = "
            "{p_opposite:.2f} that fewer than half split). Undecided."
        ),
        failed="The region count failed.",
    )
