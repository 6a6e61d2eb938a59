"""The question page's scorecard record and generated sentences."""

from __future__ import annotations

from connectivity import scorecard
from connectivity.latent.vae import VAEConfig
from connectivity.prose import glue, glue_say

from ..sentences import glue_paper_values, scale_note
from .study import QuestionStudy

SECTION_REGIONS = "How many pieces does each digit occupy?"


def report(study: QuestionStudy) -> dict[str, scorecard.Record]:
    """Scorecard records and the generated sentences of the page."""
    glue_paper_values()
    split_digits = [d for d, r in study.regions.items() if r > 1]
    rec = scorecard.test(
        "lancione.vae.some_digit_split",
        study.split,
        reproduced=max(study.regions.values()),
        section=SECTION_REGIONS,
        note=f"digits split: {', '.join(map(str, split_digits)) or 'none'}",
        split_digits=", ".join(map(str, split_digits)) or "none",
        most=max(study.regions.values()),
    )
    glue_say(
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
            if split_digits
            # p is 1 by rule here: a stable split needs one in the full codes
            else "In this build the full codes show no split digit, which a stable split "
            "needs; yet the subsamples do not show its absence either ({test}: p = "
            "{p_opposite:.2f} that fewer than half split). Undecided."
        ),
        failed="The region count failed.",
    )
    nowhere = [str(d) for d, r in study.regions.items() if r == 0]
    glue(
        "vae_nowhere",
        f"Digit(s) {', '.join(nowhere)} are nowhere the majority of a cell: their codes lie "
        "inside other digits' regions (0 regions in the table)."
        if nowhere
        else "",
    )
    cfg, paper = study.settings.vae, VAEConfig()
    glue(
        "vae_scale",
        scale_note(cfg.epochs, paper.epochs, "training epochs", study.settings.profile),
    )
    glue("vae_loss_last", study.vae.loss[-1])
    return {"split": rec}
