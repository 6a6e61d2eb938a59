"""The §4.3–4.4 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.SyntheticUntrainedStudy` (:func:`records`:
exact binomial tests against one half, ``failed`` when the inputs are not modes) and
glues the page's sentences (:func:`sentences`, names ``modes_*`` and each claim's
``says.<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_modes import SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS
from connectivity.stats import MIN_ONE_SIDED_N, binomial_greater
from connectivity.synthesis import SynthesisConfig

from .settings import SyntheticUntrainedSettings
from .study import SyntheticStudy, SyntheticUntrainedStudy, UntrainedStudy

SECTION_SYNTHETIC = "§4.3, Fig. 7: a natural-looking and a high-frequency mode of a class"
SECTION_UNTRAINED = "§4.4, Fig. 8: an untrained network"


@dataclass(frozen=True)
class SyntheticUntrainedRecords:
    """The page's records: the §4.3 claim (``synthetic``), the §4.4 claim (``untrained``)
    and the share of the untrained network's optimal inputs that are modes
    (``modes_reached``, a measurement)."""

    synthetic: scorecard.Record
    untrained: scorecard.Record
    modes_reached: scorecard.Record


def report(study: SyntheticUntrainedStudy) -> prose.PageReport[SyntheticUntrainedRecords]:
    """The page's report: its scorecard records (:func:`records`) and the sentences that
    state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def _budget(iterations: int, paper: str) -> str:
    return f"within {iterations:,} Adam iterations ({paper})"


def _tested_on_modes(
    claim: str,
    modes: np.ndarray,
    rounds_to_threshold: torch.Tensor,
    max_rounds: int,
    mode_threshold: float,
    budget: str,
    note: str,
    section: str,
) -> scorecard.Record:
    """The claim that most pairs of modes are connected within ``max_rounds`` rounds:
    an exact binomial test on the pairs whose inputs are both modes (the others left
    out, named in the note); ``failed`` when fewer are modes than the test needs."""
    if modes.sum() < MIN_ONE_SIDED_N:
        return scorecard.fail(
            claim,
            f"the optimal inputs are not modes: {int(modes.sum())} of {len(modes)} pairs have "
            f"both inputs below cross-entropy {mode_threshold:g} {budget}, and a "
            f"one-sided test at 5 % needs {MIN_ONE_SIDED_N}",
            section=section,
        )
    rounds = rounds_to_threshold[torch.from_numpy(modes)]
    ok = int(((rounds >= 0) & (rounds <= max_rounds)).sum())
    left_out = (
        f"; {int((~modes).sum())} pair(s) left out, not modes {budget}" if not modes.all() else ""
    )
    return scorecard.test(
        claim,
        binomial_greater(ok, len(rounds), 0.5),
        reproduced=f"{ok}/{len(rounds)}",
        note=note + left_out,
        section=section,
    )


def records(study: SyntheticUntrainedStudy) -> SyntheticUntrainedRecords:
    """Write the page's scorecard records: the §4.3 and §4.4 claims (exact binomial tests
    against one half on the pairs that are modes, ``failed`` when too few pairs are modes)
    and the share of the untrained network's inputs that are modes; returns them as a
    :class:`SyntheticUntrainedRecords`."""
    synthetic, untrained = study.synthetic, study.untrained
    syn = _tested_on_modes(
        SYNTHETIC_ONE_ROUND,
        synthetic.pair_modes,
        synthetic.result.rounds_to_threshold,
        1,
        synthetic.natural.threshold,
        _budget(
            int(
                torch.cat([synthetic.natural.iterations, synthetic.high_frequency.iterations]).max()
            ),
            "the paper gives none; the paper profile: "
            f"{SyntheticUntrainedSettings().natural.iterations:,}",
        ),
        f"{synthetic.model_name}; path threshold {synthetic.threshold:g}; the paper: "
        "GoogLeNet on ImageNet, a surrogate objective",
        SECTION_SYNTHETIC,
    )
    unt = _tested_on_modes(
        UNTRAINED_TWO_ROUNDS,
        untrained.pair_modes,
        untrained.result.rounds_to_threshold,
        2,
        untrained.mode_threshold,
        _budget(
            int(untrained.inputs.iterations.max()),
            f"the paper's budget: up to {SynthesisConfig().iterations:,}",
        ),
        f"untrained {untrained.arch}; path threshold {untrained.threshold:g}",
        SECTION_UNTRAINED,
    )
    modes_reached = scorecard.measure(
        "vrabel2024.untrained.modes_reached",
        "Share of the untrained network's optimal inputs below the mode threshold",
        round(float(untrained.inputs.reached.float().mean()), 4),
        unit="fraction",
        section=SECTION_UNTRAINED,
        note=f"threshold {untrained.mode_threshold:g}; median iterations "
        f"{float(untrained.inputs.iterations.float().median()):.0f}",
    )
    return SyntheticUntrainedRecords(syn, unt, modes_reached)


def _left_out(modes: np.ndarray) -> str:
    """The end of a sentence on how many pairs are modes: what happens to the others."""
    if modes.all():
        return "."
    if modes.sum() >= MIN_ONE_SIDED_N:
        return ": the others are **not modes** and are left out of the test below."
    return f": fewer than {MIN_ONE_SIDED_N} are modes, so the claim is failed."


def sentences(study: SyntheticUntrainedStudy, recs: SyntheticUntrainedRecords) -> dict[str, Any]:
    """Every value the page glues, by glue name: ``modes_model``, ``modes_synthetic``, the
    §4.3 claim's ``says.<id>``, ``modes_untrained_arch``, ``modes_untrained`` and the §4.4
    claim's ``says.<id>``; ``recs`` as :func:`records` returns them."""
    return {
        "modes_model": study.synthetic.model_name,
        "modes_synthetic": _synthetic_sentence(study.synthetic),
        prose.says_name(recs.synthetic): prose.say(
            recs.synthetic,
            reproduced="As in the paper, the two kinds of mode are connected after one round: "
            "{value} pairs ({test}: p = {p:.2g}).",
            differs="Unlike the paper, most pairs keep a barrier above the threshold after one "
            "round: {value} connected ({test}: p = {p_opposite:.2g}).",
            not_significant="{value} pairs are connected after one round; too few to tell "
            "whether most are ({test}: p = {p:.2g}).",
            failed="Failed, so the claim is not tested: {note}.",
        ),
        "modes_untrained_arch": study.untrained.arch,
        "modes_untrained": _untrained_sentence(study.untrained),
        prose.says_name(recs.untrained): prose.say(
            recs.untrained,
            reproduced="As in the paper, the optimal inputs of the untrained network are "
            "connected within two rounds: {value} pairs ({test}: p = {p:.2g}).",
            differs="Unlike the paper, most pairs keep a barrier above the threshold after two "
            "rounds: {value} connected ({test}: p = {p_opposite:.2g}).",
            not_significant="{value} pairs are connected within two rounds; too few to tell "
            "whether most are ({test}: p = {p:.2g}).",
            failed="Failed, so the claim is not tested: {note}.",
        ),
    }


def _synthetic_sentence(syn: SyntheticStudy) -> str:
    """§4.3: how many pairs are modes, and the barriers before and after the bypass."""
    modes = syn.pair_modes
    return (
        f"{int(modes.sum())} of the {len(modes)} pairs ({len(set(syn.classes))} classes) have "
        f"both inputs below cross-entropy {syn.natural.threshold:g} within "
        f"{int(syn.natural.iterations.max()):,} iterations: "
        f"{int(syn.natural.reached.sum())} natural and {int(syn.high_frequency.reached.sum())} "
        f"high-frequency inputs reached it (median "
        f"{float(syn.natural.iterations.float().median()):.0f} and "
        f"{float(syn.high_frequency.iterations.float().median()):.0f} iterations; largest "
        f"cross-entropy {float(torch.cat([syn.natural.loss, syn.high_frequency.loss]).max()):.2g})"
        + _left_out(modes)
        + f" The straight paths between the two kinds rise to a median barrier height of "
        f"{np.median(syn.straight.max_loss):.3g} (largest {syn.straight.max_loss.max():.3g}); "
        f"after the bypass the largest loss on any path is {syn.final.max_loss.max():.3g} "
        f"(path threshold {syn.threshold:g}), and {int(syn.result.final.all_target.sum())} of "
        f"the {len(modes)} final paths are classified as their class everywhere."
    )


def _untrained_sentence(unt: UntrainedStudy) -> str:
    """§4.4: how many pairs are modes, and the barriers before and after the rounds."""
    modes = unt.pair_modes
    return (
        f"{int(modes.sum())} of the {len(modes)} pairs have both inputs below cross-entropy "
        f"{unt.mode_threshold:g} (largest {float(unt.inputs.loss.max()):.2g}; median "
        f"{float(unt.inputs.iterations.float().median()):.0f} iterations)"
        + _left_out(modes)
        + f" The straight paths rise to a median barrier height of "
        f"{np.median(unt.straight.max_loss):.3g}; after "
        f"{len(unt.result.rounds) - 1} round(s) the largest loss on any path is "
        f"{unt.final.max_loss.max():.3g} (path threshold {unt.threshold:g})."
    )
