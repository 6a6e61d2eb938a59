"""The question page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.QuestionStudy` (:func:`records`)
and glues the sentences (:func:`sentences`). The records:

* ``decoded`` - the report's Fig. 1 claim, as its figure shows it: some digit occupies
  two or more 4-connected regions of the decoded 20 x 20 grid as the digit judge reads
  it. A count, not a sample: :func:`decoded_count` states it as a test whose verdict
  is the count's (``reproduced`` when some digit is split, ``differs`` when none is);
* ``split`` - beyond the report, a measurement: the share of half-subsamples of the
  encoded test means in which some digit occupies two or more regions, with the
  stability test of :func:`connectivity.latent.metrics.split_test` in its note.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from connectivity import prose, scorecard
from connectivity.latent.vae import VAEConfig
from connectivity.stats import TestResult

from ..sentences import paper_values, scale_note
from .study import MIN_REGION_CELLS, DecodedGrid, QuestionStudy

SECTION_DECODED = "The report's figure: a grid of decoded digits"
SECTION_REGIONS = "Beyond the report: the encoded test images"
REPORT_DIGIT = 6  # the digit the report's Fig. 1 circles twice


def report(study: QuestionStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def decoded_count(grid: DecodedGrid) -> TestResult:
    """Whether some predicted digit is split in the decoded grid, as a test whose verdict
    is the count's: p = 0 for the claim when some digit has two or more regions (and 1
    for its opposite), the reverse when none has. Effect: regions of the most divided
    digit - 1."""
    split = bool(grid.split)
    most = _most_regions(grid)
    side = grid.digits.shape[0]
    return TestResult(
        "count of the 4-connected regions of each digit the judge reads in the decoded "
        "grid (no sampling: the count decides)",
        0.0 if split else 1.0,
        1.0 if split else 0.0,
        float(most - 1),
        f"regions (of at least {MIN_REGION_CELLS} images) of the most divided digit − 1",
        f"{side} × {side} decoded images",
    )


def _most_regions(grid: DecodedGrid) -> int:
    """The counted regions (at least :data:`MIN_REGION_CELLS` images) of the most
    divided digit of the decoded grid."""
    return max(sum(s >= MIN_REGION_CELLS for s in sizes) for sizes in grid.regions.values())


def _decoded_split_words(grid: DecodedGrid) -> str:
    """``6 (2 regions: 14, 3 cells); 5 (...)`` or ``none``."""
    return (
        "; ".join(
            f"{d} ({len(s)} regions: {', '.join(map(str, s))} cells)"
            for d, s in sorted(grid.split.items())
        )
        or "none"
    )


def _six_words(grid: DecodedGrid) -> str:
    """Whether the report's split digit, the 6, is split here too."""
    six = grid.regions.get(REPORT_DIGIT)
    if six is None:
        return f"no image of the grid is read as a {REPORT_DIGIT}"
    if len(six) > 1:
        return f"the {REPORT_DIGIT} is among them, as in the report"
    return (
        f"the {REPORT_DIGIT} is not among them: it holds one region of {six[0]} cells "
        "(the report's split digit is the 6)"
    )


def _six_here_words(grid: DecodedGrid) -> str:
    """Where the report's split digit, the 6, lies in this grid (for the "no split" case)."""
    six = grid.regions.get(REPORT_DIGIT)
    if six is None:
        return f"no image of this grid is read as a {REPORT_DIGIT}"
    return f"here the {REPORT_DIGIT} holds one region of {six[0]} cells" + (
        f" and {len(six) - 1} stray cell(s)" if len(six) > 1 else ""
    )


def _caveat_words(grid: DecodedGrid) -> str:
    """The regions smaller than :data:`MIN_REGION_CELLS` that the count leaves out (one
    image the judge reads differently makes such a region), or an empty string."""
    if not grid.single_cells:
        return ""
    where = ", ".join(f"{n} of the {d}" for d, n in sorted(grid.single_cells.items()))
    return (
        f" Regions of fewer than {MIN_REGION_CELLS} images are not counted ({where}): one "
        "blurred image the judge reads differently is enough to make one."
    )


def _split_digits(study: QuestionStudy) -> str:
    """The digits whose encoded test means occupy more than one region, or ``none``."""
    return ", ".join(str(d) for d, r in study.regions.items() if r > 1) or "none"


def records(study: QuestionStudy) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name (``decoded``,
    ``split``)."""
    grid = study.decoded
    decoded = scorecard.test(
        "lancione.vae.decoded_digit_split",
        decoded_count(grid),
        reproduced=_most_regions(grid),
        section=SECTION_DECODED,
        note=f"digits split: {_decoded_split_words(grid)}; {_six_words(grid)}; judge test "
        f"accuracy {study.judge.test_accuracy:.3f}",
        split_digits=_decoded_split_words(grid),
        six=_six_words(grid),
        six_here=_six_here_words(grid),
        caveat=_caveat_words(grid),
        judge_accuracy=study.judge.test_accuracy,
    )
    split = study.split
    split_digits = _split_digits(study)
    measured = scorecard.measure(
        "lancione.vae.some_digit_split",
        "Beyond the report: some digit's encoded test images (latent means) occupy two or "
        "more regions of the VAE's latent space, in most half-subsamples of the codes",
        split.effect + 0.5,
        unit="share of half-subsamples with a split digit",
        section=SECTION_REGIONS,
        note=f"{split.test}, {split.n}: p = {split.p_value:.2g} for a stable split, "
        f"{split.p_opposite:.2g} for none; digits split in the full codes: {split_digits}",
        split_digits=split_digits,
        most=max(study.regions.values()),
        p_split=split.p_value,
        p_none=split.p_opposite,
    )
    return {"decoded": decoded, "split": measured}


def sentences(study: QuestionStudy, recs: dict[str, scorecard.Record]) -> dict[str, Any]:
    """Every value the page glues, by glue name: the chapter's paper values
    (``paper.<id>``), ``says.`` of both records, ``vae_source``, ``decoded_reading``,
    ``vae_nowhere``, ``vae_scale`` and ``vae_loss_last``; ``recs`` as :func:`records`
    returns them."""
    nowhere = [str(d) for d, r in study.regions.items() if r == 0]
    cfg, paper = study.settings.vae, VAEConfig()
    return {
        **paper_values(),
        prose.says_name(recs["decoded"]): _decoded_sentence(recs["decoded"]),
        prose.says_name(recs["split"]): _split_sentence(study, recs["split"]),
        "vae_source": _source_sentence(study),
        "decoded_reading": _reading_sentence(study.decoded),
        "vae_nowhere": f"Digit(s) {', '.join(nowhere)} are nowhere the majority of a cell: "
        "their codes lie inside other digits' regions (0 regions in the table)."
        if nowhere
        else "",
        "vae_scale": scale_note(
            cfg.epochs, paper.epochs, "training epochs", study.settings.profile
        ),
        "vae_loss_last": study.vae.loss[-1],
    }


def _source_sentence(study: QuestionStudy) -> str:
    cfg = study.settings.vae
    if study.committed:
        return (
            f"The VAE of this page ({cfg.epochs} epochs on {cfg.train_images:,} images) is "
            "trained once by `make models` and committed with the book; its file is checked "
            "against the sha256 in the models' manifest every time it is loaded."
        )
    return (
        f"The VAE of this page ({cfg.epochs} epoch(s) on {cfg.train_images:,} images) is "
        "trained here: no committed model has this recipe."
    )


def _reading_sentence(grid: DecodedGrid) -> str:
    """How legible the decoded images are to the judge, and which digits it never reads."""
    conf = grid.confidence.ravel()
    absent = [str(d) for d in range(10) if d not in grid.regions]
    return (
        f"The judge reads the {conf.size} decoded images with a median confidence of "
        f"{np.median(conf):.2f}; {int((conf < 0.5).sum())} of them below 0.5."
        + (f" It reads no image as a {', '.join(absent)}." if absent else "")
    )


def _decoded_sentence(rec: scorecard.Record) -> str:
    """Whether some digit is split in the decoded grid, worded by the record's verdict."""
    return prose.say(
        rec,
        reproduced="In this build's decoded grid the judge reads a digit in two or more "
        "separate regions - {split_digits}; {six}. As in the report's Fig. 1, a digit is "
        "cut into pieces by other digits.{caveat}",
        differs="In this build's decoded grid every digit the judge reads occupies one "
        "connected region: no digit is split, unlike the report's Fig. 1, where the 6 is "
        "({six_here}). This is one training of the VAE, as the report's is one: whether a "
        "decoded digit splits may vary between trainings, which this page does not "
        "sample.{caveat}",
        not_significant="The count of the decoded grid's regions left the claim undecided.",
        failed="The decoded grid could not be read.",
    )


def _split_sentence(study: QuestionStudy, rec: scorecard.Record) -> str:
    """Whether some digit's encoded test means are split stably (a measurement)."""
    if _split_digits(study) == "none":  # a stable split needs one in the full codes
        text = (
            "Among the encoded test images no digit occupies two regions in the full codes, "
            "which a stable split needs; {value:.0%} of the half-subsamples show one (p = "
            "{p_none:.2g} that fewer than half do)."
        )
    else:
        stable = prose.direction(
            study.split,
            yes="in the full codes and in most half-subsamples (p = {p:.2g}): the split is stable",
            no="in the full codes, yet most half-subsamples show no split digit (p = "
            "{p_opposite:.2g}): no split is stable",
            unclear="in the full codes; the half-subsamples leave its stability open (p = "
            "{p:.2f} for a stable split, {p_opposite:.2f} for none)",
        )
        text = (
            "Among the encoded test images, digit(s) {split_digits} occupy two or more "
            "regions (at most {most}) " + stable.replace("{", "{{").replace("}", "}}") + "."
        )
    return prose.say(rec, no_paper_value=text, failed="The region count failed.")
