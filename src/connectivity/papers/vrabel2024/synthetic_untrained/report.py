"""The §4.3–4.4 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.ModesStudy` (:func:`records`:
exact binomial tests against one half, ``failed`` when the inputs are not modes) and
glues the page's sentences (:func:`glue_sentences`, names ``modes_*``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from connectivity import prose, scorecard
from connectivity.stats import MIN_ONE_SIDED_N, binomial_greater
from connectivity.synthesis import SynthesisConfig

from ..values_modes import SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS
from .study import ModesStudy

SECTION_SYNTHETIC = "§4.3, Fig. 7: a natural-looking and a high-frequency mode of a class"
SECTION_UNTRAINED = "§4.4, Fig. 8: an untrained network"


@dataclass
class ModesRecords:
    synthetic: object
    untrained: object


def report(study: ModesStudy) -> ModesRecords:
    """Write the page's scorecard records (:func:`records`) and glue the sentences that
    state their outcomes (:func:`glue_sentences`)."""
    recs = records(study)
    glue_sentences(study, recs)
    return recs


def records(study: ModesStudy) -> ModesRecords:
    """The §4.3 and §4.4 claims (exact binomial tests against one half), ``failed`` when
    the inputs are not modes."""
    synthetic, untrained = study.synthetic, study.untrained
    if not synthetic.modes:
        n = len(synthetic.classes)
        each = "; ".join(
            f"{int(m.reached.sum())} of {n} {name} inputs reached cross-entropy "
            f"{m.threshold:g} within {int(m.iterations.max()):,} iterations"
            for name, m in (
                ("natural", synthetic.natural),
                ("high-frequency", synthetic.high_frequency),
            )
        )
        syn = scorecard.fail(
            SYNTHETIC_ONE_ROUND,
            f"the synthetic inputs are not modes: {each}",
            section=SECTION_SYNTHETIC,
        )
    else:
        connected = synthetic.result.rounds_to_threshold
        ok = int(((connected >= 0) & (connected <= 1)).sum())
        syn = scorecard.test(
            SYNTHETIC_ONE_ROUND,
            binomial_greater(ok, len(connected), 0.5),
            reproduced=f"{ok}/{len(connected)}",
            note=f"{synthetic.model_name}; threshold {synthetic.threshold:g}; the paper: "
            "GoogLeNet on ImageNet, a surrogate objective",
            section=SECTION_SYNTHETIC,
        )
    modes = untrained.pair_modes
    budget = (
        f"within {int(untrained.inputs.iterations.max()):,} Adam iterations (the paper's "
        f"budget: up to {SynthesisConfig().iterations:,})"
    )
    if modes.sum() < MIN_ONE_SIDED_N:
        unt = scorecard.fail(
            UNTRAINED_TWO_ROUNDS,
            f"the optimal inputs are not modes: {int(modes.sum())} of {len(modes)} pairs have "
            f"both inputs below cross-entropy {untrained.mode_threshold:g} {budget}, and a "
            f"one-sided test at 5 % needs {MIN_ONE_SIDED_N}",
            section=SECTION_UNTRAINED,
        )
    else:
        # the claim is about modes: pairs with an input above the threshold are left out
        rounds = untrained.result.rounds_to_threshold[torch.from_numpy(modes)]
        ok = int(((rounds >= 0) & (rounds <= 2)).sum())
        left_out = (
            f"; {int((~modes).sum())} pair(s) left out, not modes {budget}"
            if not modes.all()
            else ""
        )
        unt = scorecard.test(
            UNTRAINED_TWO_ROUNDS,
            binomial_greater(ok, len(rounds), 0.5),
            reproduced=f"{ok}/{len(rounds)}",
            note=f"untrained {untrained.arch}; path threshold {untrained.threshold:g}{left_out}",
            section=SECTION_UNTRAINED,
        )
    scorecard.measure(
        "vrabel2024.untrained.modes_reached",
        "Share of the untrained network's optimal inputs below the mode threshold",
        round(float(untrained.inputs.reached.float().mean()), 4),
        unit="fraction",
        section=SECTION_UNTRAINED,
        note=f"threshold {untrained.mode_threshold:g}; median iterations "
        f"{float(untrained.inputs.iterations.float().median()):.0f}",
    )
    return ModesRecords(syn, unt)


def glue_sentences(study: ModesStudy, recs: ModesRecords) -> None:
    """Glue every outcome sentence of the page (names ``modes_*``, and each record's
    ``says.<id>``)."""
    syn = study.synthetic
    prose.glue("modes_model", syn.model_name)
    reached = (
        "Every synthetic input reached the threshold"
        if syn.modes
        else f"Only {int(syn.natural.reached.sum())} natural and "
        f"{int(syn.high_frequency.reached.sum())} high-frequency inputs of "
        f"{len(syn.classes)} reached the threshold: they are **not all modes**"
    )
    prose.glue(
        "modes_synthetic",
        f"{reached} (cross-entropy {syn.natural.threshold:g}; largest "
        f"{float(torch.cat([syn.natural.loss, syn.high_frequency.loss]).max()):.2g}). The "
        f"straight paths between the two kinds rise to a median barrier height of "
        f"{np.median(syn.straight.max_loss):.3g} (largest {syn.straight.max_loss.max():.3g}); "
        f"after the bypass the largest loss on any path is {syn.final.max_loss.max():.3g} "
        f"(threshold {syn.threshold:g}), and {int(syn.result.final.all_target.sum())} of the "
        f"{len(syn.classes)} final paths are classified as their class everywhere.",
    )
    prose.glue_say(
        recs.synthetic,
        reproduced="As in the paper, the two kinds of mode are connected after one round: "
        "{value} pairs ({test}: p = {p:.2g}).",
        differs="Unlike the paper, most pairs keep a barrier above the threshold after one "
        "round: {value} connected ({test}: p = {p_opposite:.2g}).",
        not_significant="{value} pairs are connected after one round; too few to tell "
        "whether most are ({test}: p = {p:.2g}).",
        failed="Failed, so the claim is not tested: {note}.",
    )
    unt = study.untrained
    modes = unt.pair_modes
    prose.glue("modes_untrained_arch", unt.arch)
    prose.glue(
        "modes_untrained",
        f"{int(modes.sum())} of the {len(modes)} pairs have both inputs below cross-entropy "
        f"{unt.mode_threshold:g} (largest {float(unt.inputs.loss.max()):.2g}; median "
        f"{float(unt.inputs.iterations.float().median()):.0f} iterations)"
        + (
            "."
            if modes.all()
            else ": the others are **not modes** and are left out of the test below."
            if modes.sum() >= MIN_ONE_SIDED_N
            else f": fewer than {MIN_ONE_SIDED_N} are modes, so the claim is failed."
        )
        + f" The straight paths rise to a median barrier height of "
        f"{np.median(unt.straight.max_loss):.3g}; after "
        f"{len(unt.result.rounds) - 1} round(s) the largest loss on any path is "
        f"{unt.final.max_loss.max():.3g} (path threshold {unt.threshold:g}).",
    )
    prose.glue_say(
        recs.untrained,
        reproduced="As in the paper, the optimal inputs of the untrained network are "
        "connected within two rounds: {value} pairs ({test}: p = {p:.2g}).",
        differs="Unlike the paper, most pairs keep a barrier above the threshold after two "
        "rounds: {value} connected ({test}: p = {p_opposite:.2g}).",
        not_significant="{value} pairs are connected within two rounds; too few to tell "
        "whether most are ({test}: p = {p:.2g}).",
        failed="Failed, so the claim is not tested: {note}.",
    )
