"""The §4.1 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.BypassStudy` (:func:`records`)
and glues the page's sentences (:func:`glue_sentences`, names ``bypass_*``): one round
lowers the barrier of every bypassed pair (a check: it is the optimisation's goal), one
round suffices for most pairs (binomial against one half), B' − B orthogonal to C − A
(a check when the iterate is projected, else a measurement), Fig. 3's one pattern (a
check), and the share of pairs below the threshold within the rounds (a measurement).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_modes import BYPASS_LOWERS, BYPASS_ONE_ROUND
from connectivity.stats import MIN_ONE_SIDED_N, binomial_greater

from .study import BypassStudy, fig3_pattern

SECTION_PATHS = "Loss along the paths (Figs. 1–2)"
SECTION_FIG3 = "What the bypass changes in the image (Fig. 3)"

LOWERS_CLAIM = (
    "One bypass round lowers the barrier of every bypassed pair: A → B' → C has a lower "
    "largest cross-entropy than the straight path (the optimisation's goal)"
)

# the exact binomial and Wilcoxon signed-rank tests reach p < 0.05 from 5 pairs on (1/32)
MIN_TESTABLE = MIN_ONE_SIDED_N


@dataclass
class BypassRecords:
    """The records of the page's claims (``connected_within_rounds``, a measurement, is
    written but not returned)."""

    lowers: object
    one_round: object
    orthogonality: object
    pattern: object


def report(study: BypassStudy) -> BypassRecords:
    """Write the page's scorecard records (:func:`records`) and glue the sentences that
    state their outcomes (:func:`glue_sentences`)."""
    recs = records(study)
    glue_sentences(study, recs)
    return recs


def records(study: BypassStudy) -> BypassRecords:
    """Scorecard records of the page (see the module docstring for the claims)."""
    s = study.settings
    res = study.result
    note = f"{study.model_name} on {study.source}; the paper: GoogLeNet on ImageNet"
    bypassed = study.bypassed
    none_bypassed = study.after_one is None or not len(bypassed)
    why = None
    if not study.pairs.all_modes:
        why = (
            f"the pairs are not all modes: only {study.pairs.candidates} images have "
            f"cross-entropy ≤ {s.mode_max_loss:g}; the endpoints reach "
            f"{float(study.pairs.loss.max()):.3g}"
        )
    elif none_bypassed or len(bypassed) < MIN_TESTABLE:
        why = (
            f"{len(bypassed)} straight path(s) exceed the threshold {s.bypass.threshold:g}: "
            f"a one-sided test at 5 % needs {MIN_TESTABLE} (all {MIN_TESTABLE - 1} in the "
            f"paper's direction give p = {0.5 ** (MIN_TESTABLE - 1):.4g})"
        )
    if not study.pairs.all_modes or none_bypassed:  # the check needs one bypassed pair
        lowers = scorecard.check(
            BYPASS_LOWERS,
            LOWERS_CLAIM,
            None,
            holds=False,
            reason=why
            if not study.pairs.all_modes
            else f"no straight path exceeds the threshold {s.bypass.threshold:g}, so none "
            "was bypassed",
            section=SECTION_PATHS,
        )
    else:
        before = study.straight.max_loss[bypassed]
        after = study.after_one.max_loss[bypassed]
        lowered = int((after < before).sum())
        # B' minimises the loss at the straight path's barrier point: the barrier of
        # A → B' → C stays as high only where a secondary barrier rises above the first.
        # Not lowering it is the optimisation missing its goal, so this is a check; the
        # paper's claim proper (one round suffices) is the test below.
        lowers = scorecard.check(
            BYPASS_LOWERS,
            LOWERS_CLAIM,
            f"{lowered}/{len(bypassed)}",
            holds=lowered == len(bypassed),
            reason="B' minimises the loss at the barrier point of the straight path",
            note=f"median barrier {np.median(before):.3g} → {np.median(after):.3g}; {note}",
            section=SECTION_PATHS,
            median_before=float(np.median(before)),
            median_after=float(np.median(after)),
        )
    if why:
        one_round = scorecard.fail(BYPASS_ONE_ROUND, why, section=SECTION_PATHS)
    else:
        below = int((after <= s.bypass.threshold).sum())
        one_round = scorecard.test(
            BYPASS_ONE_ROUND,
            binomial_greater(below, len(after), 0.5),
            reproduced=f"{below}/{len(after)}",
            note=f"threshold {s.bypass.threshold:g}; {note}",
            section=SECTION_PATHS,
        )
    cosine = float(f"{res.max_abs_cos:.3g}")
    cos_note = f"largest |cos| in the {s.bypass.coordinates} coordinates"
    if s.bypass.project_iterate:
        orthogonality = scorecard.check(
            "vrabel2024.bypass.orthogonality",
            "B' − B is orthogonal to C − A (the optimisation stays in its hyperplane)",
            cosine,
            holds=res.max_abs_cos < 1e-4,
            reason="the iterate is projected onto the hyperplane after every step",
            section=SECTION_FIG3,
            note=cos_note,
        )
    else:  # nothing forces orthogonality: a measurement, not a check
        orthogonality = scorecard.measure(
            "vrabel2024.bypass.orthogonality",
            "How far B' − B leaves the hyperplane orthogonal to C − A (the official loop "
            "projects the gradient only, and Adam rescales it per coordinate)",
            cosine,
            unit="|cos|",
            section=SECTION_FIG3,
            note=cos_note,
        )
    if len(bypassed):
        fig = fig3_pattern(study, int(bypassed[0]))
        pattern = scorecard.check(
            "vrabel2024.bypass.fig3_pattern",
            "Fig. 3: the images along A → B' → C differ from those along AC by one pattern, "
            "B' − B, scaled",
            round(fig["min_cos"], 6),
            holds=fig["min_cos"] > 1 - 1e-4,
            reason="both paths are piecewise linear through A and C, so their difference "
            "at t is a multiple of B' − B",
            section=SECTION_FIG3,
        )
    else:
        pattern = scorecard.fail(
            "vrabel2024.bypass.fig3_pattern", "no pair was bypassed", section=SECTION_FIG3
        )
    scorecard.measure(
        "vrabel2024.bypass.connected_within_rounds",
        f"Share of pairs whose path is below the threshold within {s.bypass.max_rounds} rounds",
        round(float((res.rounds_to_threshold >= 0).float().mean()), 4),
        unit="fraction",
        section=SECTION_PATHS,
        note=f"{len(res.rounds_to_threshold)} pairs; threshold {s.bypass.threshold:g}",
    )
    return BypassRecords(lowers, one_round, orthogonality, pattern)


def glue_sentences(study: BypassStudy, recs: BypassRecords) -> None:
    """Glue every outcome sentence of the §4.1 page (names ``bypass_*``)."""
    s = study.settings
    res = study.result
    pairs = study.pairs
    n = len(pairs.first)
    thr = s.bypass.threshold
    prose.glue("bypass_model", study.model_name)
    modes = (
        f"{n} pairs of images of the {study.source}, each pair of one class, classes taken "
        f"in turn; every endpoint is classified correctly with cross-entropy at most "
        f"{s.mode_max_loss:g} (the largest is {float(pairs.loss.max()):.2g})."
        if pairs.all_modes
        else f"{n} pairs of images of the {study.source}, each pair of one class; only "
        f"{pairs.candidates} images have cross-entropy at most {s.mode_max_loss:g}, so some "
        f"endpoints are **not modes** (cross-entropy up to {float(pairs.loss.max()):.2g}) and "
        "the claims below are marked failed."
    )
    prose.glue("bypass_modes", modes)
    k = len(study.bypassed)
    straight = (
        f"{k} of the {n} straight paths rise above the threshold {thr:g} (median barrier "
        f"height {np.median(study.straight.max_loss):.3g}, largest "
        f"{study.straight.max_loss.max():.3g})"
        + ("." if k == n else "; the others are below it on the straight line already.")
    )
    prose.glue("bypass_straight", straight)
    medians = "median barrier {median_before:.3g} → {median_after:.3g}"
    prose.glue_say(
        recs.lowers,
        check="One round lowers the barrier of every bypassed pair ({value}; " + medians + ").",
        failed=(
            "One round lowers the barrier of only {value} bypassed pairs (" + medians + "): "
            "on the others a secondary barrier rises above the first, so the optimisation "
            "missed its goal there."
            if recs.lowers.reproduced is not None
            else "Failed, so the claim is not tested: {note}."
        ),
    )
    prose.glue_say(
        recs.one_round,
        reproduced="After one round {value} of these paths are below the threshold — most, "
        "as the paper's one round suggests ({test}: p = {p:.2g}).",
        differs="After one round only {value} of these paths are below the threshold: most "
        "keep a secondary barrier above it, unlike the paper's example ({test}: "
        "p = {p_opposite:.2g}).",
        not_significant="After one round {value} of these paths are below the threshold; "
        "whether most are cannot be told at this number of pairs ({test}: p = {p:.2g}).",
        failed="Failed, so the claim is not tested: {note}.",
    )
    within = int((res.rounds_to_threshold >= 0).sum())
    prose.glue(
        "bypass_rounds",
        f"Within {s.bypass.max_rounds} rounds {within} of the {n} paths are below the "
        f"threshold; {int(res.final.all_target.sum())} of the final paths are classified as "
        f"the class at every evaluated point. The bypass took {res.seconds:.0f} s.",
    )
    if k:
        fig = fig3_pattern(study, int(study.bypassed[0]))
        prose.glue(
            "bypass_fig3",
            f"Every difference image is that one pattern: its cosine similarity with B' − B "
            f"is at least {fig['min_cos']:.6f}. Its size: ‖B' − B‖ = {fig['deviation']:.2f} "
            f"against ‖C − A‖ = {fig['ab']:.2f} ({fig['deviation'] / fig['ab']:.1%} of it), "
            f"and its largest pixel change is {fig['largest_change']:.3f} on the [0, 1] scale "
            "of the pixels.",
        )
    else:
        prose.glue("bypass_fig3", "No pair needed a bypass, so there is no B' to show.")
    prose.glue_say(
        recs.orthogonality,
        check="The optimised points stay in their hyperplanes: the largest "
        "|cos(B' − B, C − A)| is {value:.1e}.",
        failed="The optimised points left their hyperplanes (|cos| up to {value}).",
        no_paper_value="Without the projection of the iterate the optimised points drift "
        "from their hyperplanes: the largest |cos(B' − B, C − A)| is {value:.1e}.",
    )
    lens = study.lenses
    if lens is not None:
        others = lens.neb_ran < s.lens_pairs
        ran = (
            f"NEB ran on {lens.neb_ran} of the {s.lens_pairs} pairs"
            + (
                " (the straight path of the others is classified as the class everywhere, "
                "which is Gu & Borovykh's linear connection)"
                if others
                else ""
            )
            + f" and found a band classified as the class everywhere for {lens.neb_success} "
            "of them"
            + (
                f", after a median of {lens.neb_median_iterations:.0f} iterations"
                if lens.neb_success
                else ""
            )
            + f" ({lens.neb_seconds:.1f} s)."
            if lens.neb_ran
            else f"NEB did not run: the straight path of every one of the {s.lens_pairs} pairs "
            "is classified as the class everywhere, Gu & Borovykh's linear connection, even "
            "where its loss rises above the bypass threshold."
        )
        prose.glue("bypass_lenses", ran)
