"""The §4.2 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.AdversarialBarriersStudy`
(:func:`records`) and glues the page's sentences (:func:`sentences`, names ``adv_*`` and
``says.<record id>``): the eight barrier statistics of Fig. 6 (with the paper's network
compared by the one rule, margin half the paper's gap to the other branch, SE the bootstrap
over the pairs kept; with another network shown beside the paper's), the one-sided tests
of "higher barriers for real–adversarial pairs" (paired by their shared real image A:
Wilcoxon signed-rank), the secondary-barrier comparison of the bypass rounds (one-sided
Fisher's exact test, with its power), §4.2.1's "more defined barrier for DeepFool and C&W"
(paired over the images attacked) and the attack's share of stopped adversarials (a
measurement).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_adversarial import (
    ADVANCED_BARRIER_ID,
    BARRIER_STATS,
    BRANCH_NAMES,
)
from connectivity.stats import (
    TestResult,
    Tolerance,
    fisher_greater,
    fisher_needed,
    fisher_power,
    ranking_margin,
    wilcoxon_greater,
)

from .settings import AdversarialBarriersSettings
from .study import ADVANCED, BRANCHES, COLUMN, SIMPLE, AdversarialBarriersStudy

SECTION_STATS = "Barriers on the straight paths (Fig. 6)"
SECTION_BYPASS = "Bypassing a real–adversarial barrier (Fig. 5)"
HIGHER = {"max": "height", "gap": "gap"}  # quantity tested -> its word in the sentences
SECTION_ATTACKS = "Barriers of the detector's attacks (§4.2.1)"
POWER_SHIFT = 0.5  # the difference of shares the secondary-barrier test's power is given at


def _bootstrap_se(values: np.ndarray, statistic: str, n_boot: int, seed: int = 0) -> float:
    """The bootstrap standard error of ``statistic`` ("mean" or "median") of ``values``."""
    rng = np.random.default_rng(seed)
    draws = rng.choice(values, (n_boot, len(values)))
    stat = draws.mean(1) if statistic == "mean" else np.median(draws, 1)
    return float(stat.std(ddof=1))


@dataclass
class AdversarialBarriersRecords:
    """The page's records, as :func:`records` wrote them."""

    stats: dict[str, scorecard.Record]  # "<branch>.<key>": Fig. 6's barrier statistics
    higher: dict[str, scorecard.Record]  # "max" / "gap": real–adversarial higher, tested
    secondary: scorecard.Record  # secondary barriers more often real–adversarial, tested
    advanced: scorecard.Record  # barrier more defined for DeepFool and C&W, tested
    attack_stopped: scorecard.Record  # share of adversarials below the real loss, measured


def comparable_scale(settings: AdversarialBarriersSettings) -> bool:
    """Whether the barrier statistics are on the paper's scale: cross-entropies of the
    paper's network (GoogLeNet with its ImageNet weights), not of another model, nor of
    GoogLeNet at random weights (the smoke-paper profile)."""
    return settings.model == "imagenet_googlenet" and settings.pretrained


# ------------------------------------------------------------------ records


def report(
    study: AdversarialBarriersStudy,
) -> prose.PageReport[AdversarialBarriersRecords]:
    """The page's report: its scorecard records (:func:`records`) and the sentences that
    state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: AdversarialBarriersStudy) -> AdversarialBarriersRecords:
    """Write the page's scorecard records; returns them as an
    :class:`AdversarialBarriersRecords`: the eight barrier statistics of Fig. 6, the
    tests of "higher barriers for real–adversarial pairs", the secondary-barrier
    comparison of the bypass rounds and the attack's share of stopped adversarials. A
    reader's classifier's records carry no verdict against the paper
    (:func:`connectivity.scorecard.reader_classifier`)."""
    if study.reader:
        with scorecard.reader_classifier(study.reader):
            return _records(study)
    return _records(study)


def _records(study: AdversarialBarriersStudy) -> AdversarialBarriersRecords:
    note = f"{study.model_name} on {study.source}; the paper: GoogLeNet on ImageNet"
    return AdversarialBarriersRecords(
        stats=_stat_records(study, note),
        higher=_higher_records(study, note),
        secondary=_secondary_record(study, note),
        advanced=_advanced_record(study, note),
        attack_stopped=_attack_record(study),
    )


def _stat_records(study: AdversarialBarriersStudy, note: str) -> dict[str, scorecard.Record]:
    """Fig. 6's barrier statistics per branch, by ``<branch>.<key>``: with the paper's
    network compared by the one rule (margin: half the paper's gap to the other branch;
    SE: the bootstrap over the pairs kept); with
    another network shown beside the paper's (``not comparable``)."""
    s = study.settings
    stats = {}
    for branch in BRANCHES:
        kept = study.kept(branch)
        for key in BARRIER_STATS[branch]:
            quantity, statistic = key.split("_")
            values = kept[COLUMN[quantity]].to_numpy()
            value = float(getattr(np, statistic)(values))
            se = _bootstrap_se(values, statistic, s.n_boot)
            what = f"bootstrap SE of the {statistic} over {len(values)} pairs"
            id = f"vrabel2024.barriers.{branch}.{key}"
            if comparable_scale(s):
                other = next(b for b in BRANCHES if b != branch)
                margin, basis = ranking_margin(
                    BARRIER_STATS[branch][key],
                    {f"{BRANCH_NAMES[other]} pairs": BARRIER_STATS[other][key]},
                )
                stats[f"{branch}.{key}"] = scorecard.compare(
                    id,
                    round(value, 4),
                    # the paper's 5,000 pairs per branch: its own SE is negligible beside ours
                    Tolerance.equivalence(margin, basis, se, what),
                    n=len(values),
                    note=note,
                    section=SECTION_STATS,
                )
            else:  # another network's cross-entropy scale: shown, not judged
                stats[f"{branch}.{key}"] = scorecard.beside(
                    id,
                    round(value, 4),
                    f"the paper's value is a cross-entropy of a 1,000-class ImageNet "
                    f"GoogLeNet, this one of the {study.model_name}",
                    n=len(values),
                    note=f"{what}: {se:.3g}",
                    section=SECTION_STATS,
                )
    return stats


def paired_branch_differences(study: AdversarialBarriersStudy, quantity: str) -> np.ndarray:
    """Per pair kept in both branches: its real–adversarial minus its real–real value of
    ``quantity`` ("max" or "gap"). The two branches share the real image A of a pair, so
    the comparison is paired (what varies with A cancels)."""
    both = study.stats["real_real"]["kept"] & study.stats["real_adversarial"]["kept"]
    column = COLUMN[quantity]
    adv = study.stats["real_adversarial"].loc[both, column].to_numpy()
    real = study.stats["real_real"].loc[both, column].to_numpy()
    return adv - real


def _higher_records(study: AdversarialBarriersStudy, note: str) -> dict[str, scorecard.Record]:
    """The one-sided paired tests (Wilcoxon signed-rank over the pairs kept in both
    branches, which share their real image A) of "real–adversarial barriers are higher
    than real–real ones", by quantity (``max``: the barrier's height, ``gap``)."""
    higher = {}
    for quantity in HIGHER:
        d = paired_branch_differences(study, quantity)
        id = f"vrabel2024.barriers.adversarial_higher_{quantity}"
        if len(d) < 2:
            higher[quantity] = scorecard.fail(
                id, "fewer than two pairs kept in both branches", section=SECTION_STATS
            )
            continue
        result = wilcoxon_greater(d)
        higher[quantity] = scorecard.test(
            id,
            result,
            reproduced=round(result.effect, 3),
            note=f"paired by the real image A over the {len(d)} pairs kept in both "
            f"branches; mean difference {d.mean():+.3g}; {note}",
            section=SECTION_STATS,
        )
    return higher


def _secondary_record(study: AdversarialBarriersStudy, note: str) -> scorecard.Record:
    """Secondary barriers (above the threshold after one bypass round) more often on
    real–adversarial than on real–real paths: one-sided Fisher's exact test on the two
    counts (failed with fewer than two pairs per branch); its note gives the count the
    real–adversarial branch would have needed and the test's power at a difference of
    :data:`POWER_SHIFT` in the shares."""
    by = study.bypass
    adv_more = by.needs_more_than_one("real_adversarial")
    real_more = by.needs_more_than_one("real_real")
    if len(adv_more) < 2 or len(real_more) < 2:
        return scorecard.fail(
            "vrabel2024.barriers.secondary_barriers",
            "fewer than two pairs per branch went through the bypass rounds",
            section=SECTION_BYPASS,
        )
    k_a, n_a, k_b, n_b = int(adv_more.sum()), len(adv_more), int(real_more.sum()), len(real_more)
    result = fisher_greater(k_a, n_a, k_b, n_b)
    needed = fisher_needed(k_b, n_b, n_a)
    base = k_b / n_b
    power = fisher_power(min(base + POWER_SHIFT, 1.0), n_a, base, n_b)
    return scorecard.test(
        "vrabel2024.barriers.secondary_barriers",
        result,
        reproduced=f"{k_a}/{n_a} vs {k_b}/{n_b}",
        note=f"threshold {by.threshold:g}, at most {by.max_rounds} rounds; {note}",
        section=SECTION_BYPASS,
        needed=needed,
        power=round(power, 3),
        power_at=f"real–adversarial share {min(base + POWER_SHIFT, 1.0):.2f} vs real–real "
        f"{base:.2f}",
    )


def advanced_differences(study: AdversarialBarriersStudy) -> np.ndarray:
    """Per image attacked by all five attacks: the mean barrier gap of its DeepFool and
    C&W adversarials minus that of its FGSM, BIM and PGD ones (same image: paired)."""
    gaps = study.attack_gaps
    if gaps is None or len(gaps) == 0:
        return np.zeros(0)
    return (gaps[list(ADVANCED)].mean(axis=1) - gaps[list(SIMPLE)].mean(axis=1)).to_numpy()


def _advanced_record(study: AdversarialBarriersStudy, note: str) -> scorecard.Record:
    """§4.2.1's "the barrier is more defined for DeepFool and C&W": the one-sided Wilcoxon
    signed-rank test of :func:`advanced_differences` (failed with fewer than two images
    attacked by all five attacks)."""
    d = advanced_differences(study)
    if len(d) < 2:
        return scorecard.fail(
            ADVANCED_BARRIER_ID,
            f"{len(d)} image(s) turned by all five attacks: fewer than the two a paired test needs",
            section=SECTION_ATTACKS,
        )
    result: TestResult = wilcoxon_greater(d)
    means = study.attack_gaps[[*SIMPLE, *ADVANCED]].mean()
    return scorecard.test(
        ADVANCED_BARRIER_ID,
        result,
        reproduced=round(result.effect, 3),
        note="mean gap per attack: "
        + ", ".join(f"{a} {v:.3g}" for a, v in means.items())
        + f"; {note}",
        section=SECTION_ATTACKS,
    )


def _attack_record(study: AdversarialBarriersStudy) -> scorecard.Record:
    """The targeted attack's share of adversarials whose loss got below the real
    image's (a measurement)."""
    return scorecard.measure(
        "vrabel2024.barriers.attack_stopped",
        "Targeted attack: share of adversarials whose loss got below the real image's",
        round(study.attack_stopped, 4),
        unit="fraction",
        section=SECTION_STATS,
        note=f"success (classified as the target) {study.attack_success:.3f}; median "
        f"{study.attack_iterations:.0f} iterations",
    )


# ------------------------------------------------------------------ sentences


def sentences(study: AdversarialBarriersStudy, recs: AdversarialBarriersRecords) -> dict[str, Any]:
    """Every value the §4.2 page glues, by glue name: ``adv_model``, ``adv_attack``,
    ``adv_pairs``, ``says.<id>`` of the two "higher" tests, ``adv_compare``,
    ``adv_scale``, ``adv_fig5``, ``adv_secondary``, ``adv_advanced``; ``recs`` as
    :func:`records` returns them."""
    higher = {
        prose.says_name(rec): _higher_sentence(HIGHER[q], rec) for q, rec in recs.higher.items()
    }
    return {
        "adv_model": study.model_name,
        "adv_attack": _attack_sentence(study),
        "adv_pairs": _pairs_sentence(study),
        **higher,
        "adv_compare": _compare_sentence(study, list(higher.values())),
        "adv_scale": _scale_sentence(study, recs),
        "adv_fig5": _fig5_sentence(study),
        "adv_secondary": _secondary_sentence(recs.secondary),
        "adv_advanced": _advanced_sentence(study, recs.advanced),
    }


def _attack_sentence(study: AdversarialBarriersStudy) -> str:
    """What the targeted attack achieved."""
    return (
        f"The attack made {100 * study.attack_success:.0f} % of the source images classified "
        f"as their target class and brought {100 * study.attack_stopped:.0f} % below the "
        f"loss of the real image they are paired with (median {study.attack_iterations:.0f} "
        "iterations); the others stop after the last iteration and are kept, as in the "
        "official code."
    )


def _pairs_sentence(study: AdversarialBarriersStudy) -> str:
    """How many pairs were drawn, dropped and kept per branch."""
    s = study.settings
    n = {b: len(study.kept(b)) for b in BRANCHES}
    return (
        f"{s.classes} classes × {s.pairs_per_class} pairs per branch, "
        f"{s.drop_per_class} dropped per class: {n['real_real']} real–real and "
        f"{n['real_adversarial']} real–adversarial pairs are kept."
    )


def _higher_sentence(what: str, rec: scorecard.Record) -> str:
    """The test of "real–adversarial barrier ``what``s are higher", worded by verdict."""
    return prose.say(
        rec,
        reproduced=f"Real–adversarial barrier {what}s are higher than real–real ones, as in "
        "the paper ({test} over {n} sharing their real image: p = {p:.2g}, median "
        "difference {value:+.3g}).",
        differs=f"Real–adversarial barrier {what}s are *lower* than real–real ones here, "
        "unlike the paper ({test} over {n} sharing their real image: p = {p_opposite:.2g}, "
        "median difference {value:+.3g}).",
        not_significant=f"The difference in barrier {what}s between the branches is not "
        "significant here ({test} over {n} sharing their real image: p = {p:.2g}, median "
        "difference {value:+.3g}).",
        failed="The comparison failed: {note}.",
    )


def _compare_sentence(study: AdversarialBarriersStudy, higher: list[str]) -> str:
    """The median barrier height per branch, then the sentences of the two tests."""
    med = {b: float(study.kept(b)["max_loss"].median()) for b in BRANCHES}
    return (
        f"Median barrier height: {med['real_real']:.3g} between real images, "
        f"{med['real_adversarial']:.3g} between a real and an adversarial image. "
        + " ".join(higher)
    )


def _scale_sentence(study: AdversarialBarriersStudy, recs: AdversarialBarriersRecords) -> str:
    """How many statistics agree with the paper's, or why they are only shown beside."""
    if comparable_scale(study.settings):
        within = sum(r.verdict == "reproduced" for r in recs.stats.values())
        return (
            f"With the paper's network, {within} of the {len(recs.stats)} statistics are shown "
            "equal to the paper's within half its gap to the other branch (two one-sided "
            "tests at 5 %, bootstrap standard errors over the pairs kept)."
        )
    return (
        "They are shown beside the paper's, not compared with them: the paper's are "
        "cross-entropies of a 1,000-class ImageNet GoogLeNet on 224×224 images, whose "
        f"scale differs from that of the {study.model_name}. The paper's claim is the "
        "contrast between the branches, tested above."
    )


def _fig5_sentence(study: AdversarialBarriersStudy) -> str:
    """How many real–adversarial pairs kept a barrier after one bypass round, and how
    many rounds the pair of Fig. 5 took."""
    by = study.bypass
    more = by.needs_more_than_one("real_adversarial")
    rounds = by.rounds_to_threshold["real_adversarial"][by.shown["real_adversarial"]]

    def n_rounds(k: int) -> str:
        return f"{k} round" + ("" if k == 1 else "s")

    took = (
        f"reached the threshold after {n_rounds(rounds)}"
        if rounds >= 0
        else f"was still above the threshold after {n_rounds(by.max_rounds)}"
    )
    if more.any():
        return (
            f"{int(more.sum())} of the {len(more)} real–adversarial pairs taken through the "
            f"rounds still had a barrier above {by.threshold:g} after one round; the pair shown "
            f"is one of them: it {took}."
        )
    return (
        f"None of the {len(more)} real–adversarial pairs taken through the rounds needed "
        "more than one round here; the pair shown is the one with the highest straight-"
        f"path barrier: it {took}."
    )


def _secondary_sentence(rec: scorecard.Record) -> str:
    """The secondary-barrier comparison, worded by verdict; where it is not significant,
    with the count it would have needed and its power."""
    if rec.verdict == "not significant":
        needed = rec.extra.get("needed")
        reach = (
            f"it would have needed {needed} real–adversarial paths with a secondary barrier "
            "at this real–real count"
            if needed is not None
            else "no count of real–adversarial paths could have reached significance at "
            "this real–real count"
        )
        power = f"{reach}; its power is {rec.extra['power']:.2f} at a {rec.extra['power_at']}"
    else:
        power = ""
    return prose.say(
        rec,
        reproduced="Secondary barriers remain after one round more often on real–adversarial "
        "paths than on real–real ones ({value}; {test}: p = {p:.2g}), as the paper describes.",
        differs="Secondary barriers remain after one round more often on real–real paths than "
        "on real–adversarial ones here ({value}; p = {p_opposite:.2g}), unlike the paper.",
        not_significant="Whether the two branches differ in how often a secondary barrier "
        "remains after one round cannot be told at this number of pairs ({value}; {test}: "
        "p = {p:.2g}): " + power.replace("{", "{{").replace("}", "}}") + ".",
        failed="Not compared: {note}.",
    )


def _advanced_sentence(study: AdversarialBarriersStudy, rec: scorecard.Record) -> str:
    """§4.2.1's "more defined barrier for DeepFool and C&W", worded by verdict, after how
    many images were attacked."""
    gaps = study.attack_gaps
    n = 0 if gaps is None else len(gaps)
    lead = (
        f"The five attacks ran on {study.attacked_images} correctly classified second "
        f"images (at most {study.settings.barrier_attack_images}); {n} were turned by all "
        "five. "
    )
    return lead + prose.say(
        rec,
        reproduced="Their barrier gap on the path to their class's reference is larger "
        "for DeepFool and C&W than for FGSM, BIM and PGD, as §4.2.1 says ({test} over {n}: "
        "p = {p:.2g}, median difference {value:+.3g}).",
        differs="Their barrier gap on the path to their class's reference is *smaller* for "
        "DeepFool and C&W than for FGSM, BIM and PGD here, unlike §4.2.1 ({test} over {n}: "
        "p = {p_opposite:.2g}, median difference {value:+.3g}).",
        not_significant="Their barrier gaps for DeepFool and C&W and for FGSM, BIM and PGD "
        "do not differ significantly here ({test} over {n}: p = {p:.2g}, median difference "
        "{value:+.3g}).",
        failed="Not tested: {note}.",
    )
