"""The Table 1 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.Table1Study` (:func:`records`)
and glues the sentences (:func:`sentences`). Tolerances and tests:

* the share of linear pairs per compared space (the one free number of a column: the
  three counts sum to the pairs, and "neither" is 0 in the paper): the pairs of every
  draw pooled against the paper's 25, agreement within the paper's own gap between
  spaces by two one-sided tests, a difference by Fisher's exact test
  (:func:`connectivity.stats.shares_agree`); the three counts are shown, not scored;
* the last layer (check): the network after the pooled features is one affine map,
  so each class region there is convex and every correctly classified pair is
  linearly connected, trained or not;
* directional claims (qualitative): exact binomial test of a majority, exact sign
  test (McNemar) between two spaces on the same pairs (:func:`sign_test`).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from connectivity import prose, scorecard
from connectivity.paper_values import paper_value
from connectivity.paper_values.gu2023 import PAPER_PAIRS, SHARE_MARGIN, SHARE_MARGIN_WORDS
from connectivity.stats import (
    TestResult,
    binomial_greater,
    shares_agree,
    spearman_increasing,
)

from .settings import Table1Settings
from .study import KIND_LABELS, KINDS, SPACE_LABELS, Table1Study

COMPARED = ("original", "intermediate")  # spaces whose counts are compared with the paper
SECTION_TABLE = "Table 1"
SECTION_NEB = "What NEB did"
# NEB successes within this share of the iterations mean the budget did not bind
BUDGET_BINDS = 0.25


# ------------------------------------------------------------------ tolerances and tests


def sign_test(more: np.ndarray, fewer: np.ndarray, what: str = "pairs") -> TestResult:
    """Claim: the outcome ``more`` (bool per pair) holds more often than ``fewer`` on the
    same pairs. Exact one-sided sign test on the discordant pairs (McNemar's exact
    test); effect: share of discordant pairs in the claimed direction − ½."""
    more, fewer = np.asarray(more, bool), np.asarray(fewer, bool)
    n10 = int((more & ~fewer).sum())
    n01 = int((~more & fewer).sum())
    name = "one-sided exact sign test (McNemar) on discordant pairs"
    if n10 + n01 == 0:
        return TestResult(
            name,
            1.0,
            1.0,
            0.0,
            "share in the claimed direction − ½",
            f"0 discordant of {len(more)} {what}",
        )
    res = binomial_greater(n10, n10 + n01, 0.5)
    return dataclasses.replace(
        res,
        test=name,
        effect_name="share in the claimed direction − ½",
        n=f"{n10} vs {n01} discordant of {len(more)} {what}",
    )


# ------------------------------------------------------------------ records and sentences


def report(study: Table1Study) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: Table1Study) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name (``original.linear``,
    ``last``, ``majority.original``, ``fewer.original``, ``neb.iterations``, ...)."""
    return {**_table_records(study), **_claim_records(study), **_neb_records(study.neb)}


def _table_records(study: Table1Study) -> dict[str, scorecard.Record]:
    """Table 1: the counts compared with the paper's, the last layer's check and the
    last residual stage's counts (measured)."""
    s = study.settings
    n, k = s.n_pairs, len(s.pair_seeds)
    recs: dict[str, scorecard.Record] = {}
    for space in COMPARED:
        counts = study.counts(space)
        linear, pooled = int(counts[:, 0].sum()), n * k
        own = paper_value(f"gu2023.table1.{space}.linear").value
        recs[f"{space}.linear_share"] = scorecard.test(
            f"gu2023.table1.{space}.linear_share",
            shares_agree(linear, pooled, int(own), PAPER_PAIRS, SHARE_MARGIN),
            reproduced=f"{linear}/{pooled} ({linear / pooled:.0%})",
            note=f"linear per draw (of {n}): {', '.join(map(str, counts[:, 0]))}",
            section=SECTION_TABLE,
        )
        for j, kind in enumerate(KINDS):
            paper = paper_value(f"gu2023.table1.{space}.{kind}").value
            recs[f"{space}.{kind}"] = scorecard.measure(
                f"gu2023.table1.{space}.{kind}.count",
                f"Table 1, {SPACE_LABELS[space]}: {KIND_LABELS[kind]} (shown, not scored)",
                float(counts[:, j].mean()) * PAPER_PAIRS / n,
                unit=f"pairs of {PAPER_PAIRS}",
                note=f"paper {paper}; mean of {k} draws scaled to {PAPER_PAIRS}, per draw (of "
                f"{n}): {', '.join(map(str, counts[:, j]))}; the three counts sum to the "
                "pairs, so the linear share is the scored number",
                section=SECTION_TABLE,
                per_draw=counts[:, j].tolist(),
            )
    last = study.counts("last")
    recs["last"] = scorecard.check(
        "gu2023.table1.last.linear",
        f"Table 1, last layer: every pair linearly connected (paper: 25 of 25; here {n} per draw)",
        float(last[:, 0].mean()),
        bool((last[:, 0] == n).all()),
        "the network after the pooled features is one affine layer: each class region "
        "there is an intersection of half-spaces (convex), so the segment between two "
        "correctly classified points stays in the class, trained or not",
        section=SECTION_TABLE,
    )
    open_counts = study.counts("last_stage")
    for j, kind in enumerate(KINDS):
        recs[f"last_stage.{kind}"] = scorecard.measure(
            f"gu2023.table1.last_stage.{kind}",
            f"Last residual stage (before pooling, beyond the paper): {KIND_LABELS[kind]}",
            float(open_counts[:, j].mean()),
            unit=f"pairs of {n}",
            note=f"mean of {k} draws; per draw: {', '.join(map(str, open_counts[:, j]))}",
            section=SECTION_TABLE,
        )
    return recs


def _claim_records(study: Table1Study) -> dict[str, scorecard.Record]:
    """The paper's reading of Table 1: a majority of linear pairs per space, fewer in the
    first hidden layer than in the original space (and than in the last layer, measured)."""
    recs: dict[str, scorecard.Record] = {}
    recs["majority.original"] = _majority(study, "original")
    recs["majority.intermediate"] = _majority(study, "intermediate")
    lin = {sp: study.linear(sp) for sp in ("original", "intermediate", "last")}
    recs["fewer.original"] = scorecard.test(
        "gu2023.claim.intermediate_fewer_than_original",
        sign_test(lin["original"], lin["intermediate"]),
        reproduced=f"{lin['intermediate'].mean():.0%} vs {lin['original'].mean():.0%} linear",
        section=SECTION_TABLE,
    )
    # not scored: every pair is linear in the last layer by construction (the check of
    # _table_records), so this claim could only come out as the paper says or not significant
    recs["fewer.last"] = scorecard.measure(
        "gu2023.claim.intermediate_fewer_than_last",
        "Share of pairs linearly connected in the first hidden layer against the last layer "
        "(the paper: fewer in the first hidden layer; not scored, see note)",
        f"{lin['intermediate'].mean():.0%} vs {lin['last'].mean():.0%} linear",
        note="the last layer is linear for every pair by construction, so the claim cannot "
        "come out the other way; the first hidden layer's own linear count carries the "
        f"information (sign test p = {sign_test(lin['last'], lin['intermediate']).p_value:.2g})",
        section=SECTION_TABLE,
    )
    return recs


def sentences(study: Table1Study, recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """The page's sentences that state outcomes, by glue name: ``table1_counts``,
    ``table1_last``, ``table1_claims``, ``table1_why``, ``table1_open``, ``neb_summary``,
    ``depth_trend``; ``recs`` as :func:`records` returns them."""
    n = study.settings.n_pairs
    return {
        "table1_counts": _counts_sentence(recs),
        "table1_last": prose.say(
            recs["last"],
            check=f"In the last layer every pair of every draw is linearly connected "
            f"({n} of {n}), as it must be.",
            failed="In the last layer some pair is not linearly connected: that contradicts "
            "the convexity argument and points to a bug.",
        ),
        "table1_claims": _claims_sentence(recs),
        "table1_why": _why_sentence(study, recs),
        "table1_open": _open_sentence(study),
        "neb_summary": _neb_sentence(study),
        "depth_trend": _depth_sentence(study),
    }


def _majority(study: Table1Study, space: str) -> scorecard.Record:
    lin = study.linear(space)
    return scorecard.test(
        f"gu2023.claim.majority_linear.{space}",
        binomial_greater(int(lin.sum()), len(lin), 0.5),
        reproduced=f"{int(lin.sum())} of {len(lin)} pairs",
        section=SECTION_TABLE,
    )


def _counts_sentence(recs) -> str:
    """The linear share per compared space against the paper's, worded by its verdict."""
    gap = f"{SHARE_MARGIN_WORDS}, the paper's own gap between the two spaces"
    parts = []
    for space in COMPARED:
        r = recs[f"{space}.linear_share"]
        own = paper_value(f"gu2023.table1.{space}.linear").value
        where = (
            f"{SPACE_LABELS[space].capitalize()}: {{value}} of the pairs are linear "
            f"(paper {own}/{PAPER_PAIRS})"
        )
        parts.append(
            prose.say(
                r,
                reproduced=f"{where}, which agrees with the paper's share within {gap} "
                "(two one-sided tests, p = {p:.2g}).",
                differs=f"{where}, which differs from the paper's share (Fisher's exact "
                "test, p = {p_opposite:.2g}).",
                not_significant=f"{where}: consistent with the paper's share (Fisher's exact "
                f"test, p = {{p_opposite:.2g}}), but too few pairs to show agreement within "
                f"{gap} (p = {{p:.2g}}).",
                failed=f"{SPACE_LABELS[space].capitalize()}: no share (the runs failed).",
            )
        )
    return (
        " ".join(parts) + " The NEB-only and 'neither' counts are shown, not scored: with the "
        "linear count they add up to the pairs."
    )


def _claims_sentence(recs) -> str:
    maj = [
        prose.say(
            recs[f"majority.{sp}"],
            reproduced=f"in the {SPACE_LABELS[sp]} most pairs are linearly connected "
            "({value}, one-sided binomial p = {p:.2g})",
            differs=f"in the {SPACE_LABELS[sp]} most pairs are not linearly connected "
            "({value}; the opposite of the paper, p = {p_opposite:.2g})",
            not_significant=f"in the {SPACE_LABELS[sp]} the share of linear pairs is not "
            "significantly above one half ({value}, p = {p:.2g})",
            failed="",
        )
        for sp in COMPARED
    ]
    than = f"than the {SPACE_LABELS['original']}"
    fewer = [
        prose.say(
            recs["fewer.original"],
            reproduced=f"the first hidden layer has fewer linear pairs {than} "
            "({value}; sign test {n}, p = {p:.2g})",
            differs=f"the first hidden layer has more linear pairs {than}, the opposite of the "
            "paper ({value}; sign test {n}, p = {p_opposite:.2g})",
            not_significant=f"the first hidden layer does not have significantly fewer linear "
            f"pairs {than} ({{value}}; sign test {{n}}, p = {{p:.2g}})",
            failed="",
        ),
        f"against the {SPACE_LABELS['last']} ({recs['fewer.last'].reproduced}) the paper's "
        "'fewer' is not scored: every pair is linear there by construction",
    ]
    text = "; ".join(t for t in maj + fewer if t)
    return text[0].upper() + text[1:] + "." if text else ""


def _budget_clause(study: Table1Study) -> str:
    """Whether the ci NEB budget can explain a count: generated from what NEB did. A
    budget binds only if NEB's successes come late; successes within a small share of
    the budget beside failures that ran all of it say that more iterations would not
    connect those pairs (the paper does not state its own budget)."""
    neb, full = study.settings.neb, Table1Settings.resolve("paper").neb
    budget = (
        f"{neb.n_pivots} pivots × {neb.steps} iterations against the paper profile's "
        f"{full.n_pivots} × {full.steps}; the paper does not state its own"
    )
    done = study.neb[study.neb.outcome == "nonlinear"]
    n_none = int((study.neb.outcome == "none").sum())
    if len(study.neb) == 0:
        return ""
    if len(done) and done.iterations.max() <= BUDGET_BINDS * neb.steps:
        unconnected = (
            f", and the {n_none} it did not connect ran all {neb.steps} without success"
            if n_none
            else ""
        )
        return (
            f". Not the NEB budget ({budget}): every band NEB found was found within "
            f"{int(done.iterations.max())} of its {neb.steps} iterations{unconnected}"
        )
    return f" and, for the counts that need NEB, the smaller NEB budget ({budget})"


def _why_sentence(study: Table1Study, recs) -> str:
    compared = {
        k: r
        for k, r in recs.items()
        if (k.startswith(COMPARED) or k.startswith(("majority", "fewer")))
        and r.counts_as_reproduction
    }
    differ = [r for r in compared.values() if r.verdict in ("differs", "failed")]
    unclear = [r for r in compared.values() if r.verdict == "not significant"]
    if not differ and not unclear:
        return "Every compared count and claim agrees with the paper within its tolerance or test."
    text = []
    if differ:
        model = f"{study.model_name} with test accuracy {study.test_accuracy:.1%}"
        if study.settings.profile in ("ci", "smoke"):
            reason = (
                f"the model ({model}: a small ResNet trained from scratch on 32 × 32 images, "
                "not an ImageNet-pretrained ResNet50 fine-tuned on 224 × 224 inputs, so its "
                "decision boundaries and its 'first hidden layer' differ)"
                f"{_budget_clause(study)}"
            )
        else:
            reason = f"the model ({model}) and the NEB settings, which the paper does not state"
        text.append(
            f"{len(differ)} of the {len(compared)} compared records differ from the paper; the "
            f"likely reason is {reason}."
        )
    if unclear:
        k = len(study.settings.pair_seeds)
        note = ""
        for r in unclear:
            if r.id.startswith("gu2023.claim.majority_linear."):
                space = r.id.rsplit(".", 1)[1]
                own = paper_value(f"gu2023.table1.{space}.linear").value
                p_own = binomial_greater(int(own), PAPER_PAIRS, 0.5).p_value
                note += (
                    f" The paper's own {own} of {PAPER_PAIRS} in the {SPACE_LABELS[space]} "
                    f"would give p = {p_own:.2g} on the same test."
                )
        text.append(
            f"{len(unclear)} claim(s) are not significant at 5 % with {k} draws of "
            f"{study.settings.n_pairs} pairs: too few pairs to decide.{note}"
        )
    return " ".join(text)


def _open_sentence(study: Table1Study) -> str:
    c = study.counts("last_stage").mean(0)
    n = study.settings.n_pairs
    if c[0] == n:
        what = "every pair is linearly connected there too, although nothing forces it"
    elif c[2] > 0:
        what = "some pairs are joined by neither path"
    else:
        what = "some pairs need NEB, so convexity stops at the pooling"
    return (
        f"In the last residual stage, before pooling, on average {c[0]:.1f} of {n} pairs "
        f"are linear, {c[1]:.1f} nonlinear and {c[2]:.1f} unconnected: {what}."
    )


def _neb_records(neb: pd.DataFrame) -> dict[str, scorecard.Record]:
    ok = neb[neb.outcome == "nonlinear"]
    out = {}
    if len(ok):
        out["neb.iterations"] = scorecard.measure(
            "gu2023.neb.median_iterations",
            "NEB iterations until the band is all the pair's class (median over successes)",
            float(ok.iterations.median()),
            unit="iterations",
            section=SECTION_NEB,
            note=f"{len(ok)} successes over all draws and spaces; paper: 'after a very small "
            f"number of iterations'",
        )
        out["neb.linf"] = scorecard.measure(
            "gu2023.neb.departure_linf",
            "Largest coordinate distance of a successful NEB band from the straight segment "
            "(median over successes, original space, pixels in [0, 1])",
            float(ok[ok.space == SPACE_LABELS["original"]]["L∞ departure"].median())
            if (ok.space == SPACE_LABELS["original"]).any()
            else float("nan"),
            section=SECTION_NEB,
        )
        out["neb.rel_l2"] = scorecard.measure(
            "gu2023.neb.departure_rel_l2",
            "Largest distance of a successful NEB band's pivot from the straight segment, "
            "relative to the segment's length (median over successes, all spaces)",
            float(ok["relative L2 departure"].median()),
            section=SECTION_NEB,
        )
    return out


def _neb_sentence(study: Table1Study) -> str:
    neb = study.neb
    if not len(neb):
        return "Every straight path passed: NEB never ran."
    ok = neb[neb.outcome == "nonlinear"]
    fail = neb[neb.outcome == "none"]
    cfg = study.settings.neb
    text = (
        f"NEB ran on {len(neb)} pairs over all draws and spaces and found a same-class band "
        f"for {len(ok)} of them"
    )
    if len(fail):
        text += (
            f" (the bands of {len(fail)} are still not all of the class after {cfg.steps} "
            "iterations)"
        )
    if not len(ok):
        return text + "."
    text += (
        f", after a median of {ok.iterations.median():.0f} iterations (at most "
        f"{ok.iterations.max()})"
    )
    text += (
        f". The successful bands stay close to the segment: their pivots leave it by at "
        f"most {ok['relative L2 departure'].median():.1%} of its length (median; largest "
        f"{ok['relative L2 departure'].max():.1%})"
    )
    if cfg.optimizer == "adam":
        steps = ok["L∞ in Adam steps"]
        text += (
            f". Measured in Adam's per-coordinate step (lr × the endpoints' mean coordinate "
            f"distance), the farthest coordinate of a successful band moved {steps.median():.1f} "
            f"steps (median) in {ok.iterations.median():.0f} iterations"
        )
        if len(ok) >= 3:
            res = spearman_increasing(ok.iterations, steps)
            text += prose.direction(
                res,
                yes="; bands that needed more iterations moved farther (Spearman ρ = {effect:.2f},"
                " p = {p:.2g}), as Adam's near-fixed step makes them by construction (each "
                "iteration moves a coordinate by about one step): a statement about the "
                "iteration count, not about the landscape",
                no="; bands that needed more iterations moved less far (Spearman ρ = {effect:.2f},"
                " p = {p_opposite:.2g})",
                unclear="; iterations and distance moved show no significant relation "
                "(Spearman ρ = {effect:.2f}, p = {p:.2g})",
            )
    return text + "."


def _depth_sentence(study: Table1Study) -> str:
    if len(study.depth) < 3:
        return ""
    frac = study.depth_counts()[:, 0] / study.settings.n_pairs
    steps = np.diff(frac)
    uneven = ", though not at every layer" if (steps > 0).any() and (steps < 0).any() else ""
    word = prose.direction(
        spearman_increasing(np.arange(len(frac)), frac),
        yes="tends to grow with depth (one-sided Spearman ρ = {effect:.2f}, p = {p:.2g})" + uneven,
        no="tends to fall with depth (one-sided Spearman ρ = {effect:.2f}, "
        "p = {p_opposite:.2g})" + uneven,
        unclear="shows no monotone trend (one-sided Spearman ρ = {effect:.2f}, p = {p:.2g})",
    )
    low = study.depth[int(np.argmin(frac))].layer
    return (
        f"From the input to the pooled features the share of linearly connected pairs "
        f"{word}; it is lowest after {low} ({frac.min():.0%}) and {frac[-1]:.0%} in "
        f"the pooled features."
    )
