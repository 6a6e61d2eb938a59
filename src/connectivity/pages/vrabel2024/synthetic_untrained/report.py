"""The §4.3–4.4 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.SyntheticUntrainedStudy` (:func:`records`:
exact binomial tests against one half on the pairs of modes with a primary barrier,
:class:`TestedPairs`; ``failed`` when too few are) and glues the page's sentences
(:func:`sentences`, names ``modes_*`` and each claim's ``says.<id>``).

Both claims are about what the bypass leaves once a primary barrier is bypassed (§4.3:
no secondary barrier after one round; §4.4: a low path after two). A pair of modes whose
straight path is already below the path threshold is connected at round 0, with nothing
to bypass: it is counted and said, not tested (as §4.1 tests only the bypassed pairs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_modes import SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS
from connectivity.stats import MIN_ONE_SIDED_N, binomial_greater, binomial_power
from connectivity.synthesis import SynthesisConfig

from .settings import SyntheticUntrainedSettings
from .study import SyntheticStudy, SyntheticUntrainedStudy, UntrainedStudy

SECTION_SYNTHETIC = "§4.3, Fig. 7: a natural-looking and a high-frequency mode of a class"
SECTION_UNTRAINED = "§4.4, Fig. 8: an untrained network"

# the true share of connected pairs at which a test's power is stated: the paper shows
# each claim on one example, read here as holding for most pairs; "most" taken as four
# pairs in five
POWER_SHARE = 0.8


@dataclass(frozen=True)
class SyntheticUntrainedRecords:
    """The page's records: the §4.3 claim (``synthetic``), the §4.4 claim (``untrained``)
    and the share of the untrained network's optimal inputs that are modes
    (``modes_reached``, a measurement)."""

    synthetic: scorecard.Record
    untrained: scorecard.Record
    modes_reached: scorecard.Record


@dataclass(frozen=True)
class TestedPairs:
    """Which pairs a claim is tested on: the pairs of modes (both inputs below the mode
    threshold, ``modes``) whose straight path rises above the path threshold (a primary
    barrier, ``barrier``). A pair of modes without one is connected at round 0: counted
    (:attr:`round0`), not tested.

    >>> t = TestedPairs(np.array([True, True, True, False]), np.array([True, False, True, True]))
    >>> t.tested.tolist(), t.n_modes, t.round0, t.n_tested
    ([True, False, True, False], 3, 1, 2)
    """

    __test__ = False  # not a pytest test class

    modes: np.ndarray  # (P,) bool
    barrier: np.ndarray  # (P,) bool

    @property
    def tested(self) -> np.ndarray:
        return self.modes & self.barrier

    @property
    def n_modes(self) -> int:
        return int(self.modes.sum())

    @property
    def round0(self) -> int:
        """Pairs of modes connected at round 0 (no primary barrier)."""
        return int((self.modes & ~self.barrier).sum())

    @property
    def n_tested(self) -> int:
        return int(self.tested.sum())


def report(study: SyntheticUntrainedStudy) -> prose.PageReport[SyntheticUntrainedRecords]:
    """The page's report: its scorecard records (:func:`records`) and the sentences that
    state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def _budget(iterations: int, paper: str) -> str:
    return f"within {iterations:,} Adam iterations ({paper})"


def _tested_on_barriers(
    claim: str,
    pairs: TestedPairs,
    rounds_to_threshold: torch.Tensor,
    max_rounds: int,
    thresholds: tuple[float, float],
    budget: str,
    note: str,
    section: str,
) -> scorecard.Record:
    """The claim that most pairs with a primary barrier are connected within
    ``max_rounds`` rounds: an exact binomial test on the pairs of modes whose straight
    path exceeds the path threshold (:class:`TestedPairs`; the others left out, counted in
    the note); ``failed`` when fewer are than the test needs. ``thresholds``: the modes'
    and the path's."""
    mode_threshold, path_threshold = thresholds
    counted = {"round0": pairs.round0, "modes": pairs.n_modes, "tested": pairs.n_tested}
    if pairs.n_modes < MIN_ONE_SIDED_N:
        return scorecard.fail(
            claim,
            f"the optimal inputs are not modes: {pairs.n_modes} of {len(pairs.modes)} pairs "
            f"have both inputs below cross-entropy {mode_threshold:g} {budget}, and a "
            f"one-sided test at 5 % needs {MIN_ONE_SIDED_N}",
            section=section,
            **counted,
        )
    round0 = (
        f"{pairs.round0} of the {pairs.n_modes} pairs of modes connected at round 0 (straight "
        f"path below the path threshold {path_threshold:g}: no barrier to bypass)"
    )
    if pairs.n_tested < MIN_ONE_SIDED_N:
        return scorecard.fail(
            claim,
            f"too few pairs of modes have a primary barrier: {round0}, {pairs.n_tested} with "
            f"one, and a one-sided test at 5 % needs {MIN_ONE_SIDED_N} (power 0)",
            section=section,
            **counted,
        )
    rounds = rounds_to_threshold[torch.from_numpy(pairs.tested)]
    ok = int(((rounds >= 1) & (rounds <= max_rounds)).sum())
    needs, power = binomial_power(len(rounds), POWER_SHARE)
    not_modes = len(pairs.modes) - pairs.n_modes
    left_out = f"; {not_modes} pair(s) left out, not modes {budget}" if not_modes else ""
    return scorecard.test(
        claim,
        binomial_greater(ok, len(rounds), 0.5),
        reproduced=f"{ok}/{len(rounds)}",
        note=f"{note}; tested on the {len(rounds)} pairs of modes with a primary barrier; "
        f"{round0}, counted, not tested{left_out}; at p < 5 % it needs {needs} of "
        f"{len(rounds)} connected: power {power:.0%} if {POWER_SHARE:.0%} of pairs connect",
        section=section,
        needs=needs,
        test_power=power,
        power_share=POWER_SHARE,
        **counted,
    )


def _pairs(study: SyntheticStudy | UntrainedStudy) -> TestedPairs:
    return TestedPairs(study.pair_modes, study.primary_barrier)


def records(study: SyntheticUntrainedStudy) -> SyntheticUntrainedRecords:
    """Write the page's scorecard records: the §4.3 and §4.4 claims (exact binomial tests
    against one half on the pairs of modes with a primary barrier, ``failed`` when too few
    pairs are) and the share of the untrained network's inputs that are modes; returns
    them as a :class:`SyntheticUntrainedRecords`."""
    synthetic, untrained = study.synthetic, study.untrained
    syn = _tested_on_barriers(
        SYNTHETIC_ONE_ROUND,
        _pairs(synthetic),
        synthetic.result.rounds_to_threshold,
        1,
        (synthetic.natural.threshold, synthetic.threshold),
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
    unt = _tested_on_barriers(
        UNTRAINED_TWO_ROUNDS,
        _pairs(untrained),
        untrained.result.rounds_to_threshold,
        2,
        (untrained.mode_threshold, untrained.threshold),
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


def _population(pairs: TestedPairs, threshold: float) -> str:
    """The end of the sentence on how many pairs are modes (what happens to the others),
    and the sentence on which pairs of modes the test is on: those with a primary barrier
    above the path ``threshold``, those connected at round 0 counted apart."""
    if pairs.n_modes < MIN_ONE_SIDED_N:
        return f": fewer than {MIN_ONE_SIDED_N} are modes, so the claim is failed."
    head = (
        "."
        if pairs.modes.all()
        else ": the others are **not modes** and are left out of the test below."
    )
    r0, n = pairs.round0, pairs.n_tested
    tested = (
        ": the test below is on these."
        if n >= MIN_ONE_SIDED_N
        else f": fewer than {MIN_ONE_SIDED_N}, so the claim is failed."
    )
    return (
        f"{head} Of the {pairs.n_modes} pairs of modes, {r0} {'is' if r0 == 1 else 'are'} "
        f"connected at round 0 already (the straight path stays below the path threshold "
        f"{threshold:g}, so there is no barrier to bypass: counted here, not tested), and "
        f"{n} {'has' if n == 1 else 'have'} a primary barrier above it{tested}"
    )


def sentences(study: SyntheticUntrainedStudy, recs: SyntheticUntrainedRecords) -> dict[str, Any]:
    """Every value the page glues, by glue name: ``modes_model``, ``modes_synthetic``, the
    §4.3 claim's ``says.<id>``, ``modes_untrained_arch``, ``modes_untrained`` and the §4.4
    claim's ``says.<id>``; ``recs`` as :func:`records` returns them."""
    power = (
        "at p < 5 % the test needs {needs} of {tested} connected, a chance of "
        "{test_power:.0%} if {power_share:.0%} of pairs connect"
    )
    return {
        "modes_model": study.synthetic.model_name,
        "modes_synthetic": _synthetic_sentence(study.synthetic),
        prose.says_name(recs.synthetic): prose.say(
            recs.synthetic,
            reproduced="As in the paper, once the primary barrier is bypassed no secondary "
            "barrier is left above the threshold: {value} pairs with a primary barrier are "
            "connected after one round ({test}: p = {p:.2g}).",
            differs="Unlike the paper, most pairs with a primary barrier keep a secondary "
            "barrier above the threshold after one round: {value} connected ({test}: "
            "p = {p_opposite:.2g}).",
            not_significant="{value} pairs with a primary barrier are connected after one "
            "round; too few to tell whether most are ({test}: p = {p:.2g}; " + power + ").",
            failed="Failed, so the claim is not tested: {note}.",
        ),
        "modes_untrained_arch": study.untrained.arch,
        "modes_untrained": _untrained_sentence(study.untrained),
        prose.says_name(recs.untrained): prose.say(
            recs.untrained,
            reproduced="As in the paper, the optimal inputs of the untrained network are "
            "connected within two rounds: {value} pairs with a primary barrier ({test}: "
            "p = {p:.2g}).",
            differs="Unlike the paper, most pairs with a primary barrier keep a barrier above "
            "the threshold after two rounds: {value} connected ({test}: "
            "p = {p_opposite:.2g}).",
            not_significant="{value} pairs with a primary barrier are connected within two "
            "rounds; too few to tell whether most are ({test}: p = {p:.2g}; " + power + ").",
            failed="Failed, so the claim is not tested: {note}.",
        ),
    }


def _synthetic_sentence(syn: SyntheticStudy) -> str:
    """§4.3: how many pairs are modes, how many of those have a primary barrier, and the
    barriers before and after the bypass."""
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
        + _population(_pairs(syn), syn.threshold)
        + f" The straight paths between the two kinds rise to a median barrier height of "
        f"{np.median(syn.straight.max_loss):.3g} (largest {syn.straight.max_loss.max():.3g}); "
        f"after the bypass the largest loss on any path is {syn.final.max_loss.max():.3g} "
        f"(path threshold {syn.threshold:g}), and {int(syn.result.final.all_target.sum())} of "
        f"the {len(modes)} final paths are classified as their class everywhere."
    )


def _untrained_sentence(unt: UntrainedStudy) -> str:
    """§4.4: how many pairs are modes, how many of those have a primary barrier, and the
    barriers before and after the rounds."""
    modes = unt.pair_modes
    return (
        f"{int(modes.sum())} of the {len(modes)} pairs have both inputs below cross-entropy "
        f"{unt.mode_threshold:g} (largest {float(unt.inputs.loss.max()):.2g}; median "
        f"{float(unt.inputs.iterations.float().median()):.0f} iterations)"
        + _population(_pairs(unt), unt.threshold)
        + f" The straight paths rise to a median barrier height of "
        f"{np.median(unt.straight.max_loss):.3g}; after "
        f"{len(unt.result.rounds) - 1} round(s) the largest loss on any path is "
        f"{unt.final.max_loss.max():.3g} (path threshold {unt.threshold:g})."
    )
