"""The Table 1 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.Table1Study` (:func:`records`)
and glues the sentences (:func:`sentences`). What carries a verdict and what does not:

* the share of linear pairs per compared space (the one free number of a column: the
  three counts sum to the pairs): a measurement, the pairs of every draw pooled, with
  its 95 % Clopper–Pearson interval beside the paper's share and the paper's own
  interval from its 25 pairs, and the power an equivalence verdict would have under the
  book's one rule (:func:`share_tolerances`): the paper's standard error at 25 pairs
  leaves that verdict out of reach however many pairs this book draws; the three counts
  are shown, not scored;
* the last layer (check): the network after the pooled features is one affine map,
  so each class region there is convex and every correctly classified pair is
  linearly connected, trained or not;
* the paper's reading of the table carries the verdicts: a majority of linear pairs
  (exact binomial test), fewer in the first hidden layer than in the original space
  (exact sign test, McNemar, :func:`sign_test`), and the abstract's "paths exist in all
  cases studied" (:func:`universal_claim`, after the rerun of unconnected pairs at the
  paper profile's NEB budget).

With a reader's classifier (``settings.checkpoint``) the same records are written under
:func:`connectivity.scorecard.reader_classifier`: measurements and the paper's values
beside them, no verdict against the paper, each saying whose classifier it ran and
listed apart from the book's; the sentences word what its tests found on that
classifier (:func:`connectivity.prose.say`) and say whose it is (``table1_classifier``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy.stats import norm

from connectivity import prose, scorecard
from connectivity.paper_values import paper_value
from connectivity.paper_values.gu2023 import COMPARED_WITH, PAPER_PAIRS
from connectivity.stats import (
    ALPHA,
    TestResult,
    Tolerance,
    binomial_greater,
    binomial_se,
    clopper_pearson,
    ranking_margin,
    spearman_increasing,
)

from .study import COMPARED, KIND_LABELS, KINDS, SPACE_LABELS, Table1Study

SECTION_TABLE = "Table 1"
SECTION_NEB = "What NEB did"


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


def paper_linear(space: str) -> int:
    """The paper's count of linearly connected pairs in ``space`` (of its 25)."""
    return int(paper_value(f"gu2023.table1.{space}.linear").value)


def share_tolerances(
    paper_count: int, pooled: int, margin: float, margin_basis: str
) -> tuple[Tolerance, Tolerance]:
    """The book's one rule applied to a linear share, as a power statement: (the
    tolerance at this book's ``pooled`` pairs, the same with the paper's standard error
    alone). Both standard errors are binomial at the paper's share ``paper_count`` /
    25, the premise of the power (the true share is the paper's); the second is the
    limit of the first as this book's pairs grow, so its ``power()`` caps the first's.

    >>> ours, cap = share_tolerances(19, 75, 0.2, "m")
    >>> round(ours.se, 4), round(cap.se, 4), round(cap.power(), 3)
    (0.0986, 0.0854, 0.514)
    """
    p = paper_count / PAPER_PAIRS
    se_paper, se_ours = binomial_se(p, PAPER_PAIRS), binomial_se(p, pooled)
    paper_words = f"the paper's binomial SE {se_paper:.3f} at {PAPER_PAIRS} pairs"
    ours = Tolerance.equivalence(
        margin,
        margin_basis,
        float(np.hypot(se_paper, se_ours)),
        f"{paper_words} and ours {se_ours:.3f} at {pooled} pairs, both at the paper's share",
    )
    cap = Tolerance.equivalence(margin, margin_basis, se_paper, f"{paper_words} alone")
    return ours, cap


def _space_tolerances(space: str, pooled: int) -> tuple[Tolerance, Tolerance]:
    """:func:`share_tolerances` of ``space`` with the margin of the one rule: half the
    distance from the paper's share to the nearest share §4 compares it with."""
    own = paper_linear(space)
    others = {SPACE_LABELS[o]: paper_linear(o) / PAPER_PAIRS for o in COMPARED_WITH[space]}
    margin, basis = ranking_margin(own / PAPER_PAIRS, others)
    return share_tolerances(own, pooled, margin, basis)


def universal_claim(unconnected: int, n: int) -> TestResult:
    """The abstract's "paths exist in all cases studied" on ``n`` pairs of which
    ``unconnected`` stay unconnected. A universal claim has no one-sided test to pass:
    one counterexample refutes it (``differs``), none leaves it standing
    (``reproduced``), and the 95 % Clopper–Pearson upper bound on the unconnected share
    says how small a share ``n`` pairs can vouch for. Effect: − the unconnected share.

    >>> universal_claim(0, 75).verdict(), universal_claim(1, 75).verdict()
    ('reproduced', 'differs')
    """
    if not 0 <= unconnected <= n or n < 1:
        raise ValueError(f"needs 0 <= unconnected <= n >= 1, got {unconnected} of {n}")
    hi = clopper_pearson(unconnected, n)[1]
    return TestResult(
        "a universal claim, refuted by any unconnected pair (no p-value: recorded as 0 "
        "without a counterexample, 1 with any); the unconnected share's 95 % "
        f"Clopper–Pearson upper bound {hi:.1%}",
        0.0 if unconnected == 0 else 1.0,
        1.0 if unconnected == 0 else 0.0,
        -unconnected / n,
        "− share of pairs left unconnected",
        f"{unconnected} of {n} pairs unconnected",
    )


# ------------------------------------------------------------------ records and sentences


def report(study: Table1Study) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: Table1Study) -> dict[str, scorecard.Record]:
    """Write the page's scorecard records; returns them by short name
    (``original.linear_share``, ``original.linear``, ``last``, ``majority.original``,
    ``fewer.original``, ``connected.original``, ``neb.iterations``, ...). A reader's
    classifier's are the same records without a verdict against the paper
    (:func:`connectivity.scorecard.reader_classifier`)."""
    if study.reader:
        with scorecard.reader_classifier(study.reader):
            return _records(study)
    return _records(study)


def _records(study: Table1Study) -> dict[str, scorecard.Record]:
    return {**_table_records(study), **_claim_records(study), **_neb_records(study.neb)}


def _table_records(study: Table1Study) -> dict[str, scorecard.Record]:
    """Table 1: the linear shares and the counts of the compared spaces measured beside
    the paper's, the last layer's check and the last residual stage's counts."""
    s = study.settings
    n, k = s.n_pairs, len(s.pair_seeds)
    recs: dict[str, scorecard.Record] = {}
    for space in COMPARED:
        counts = study.counts(space)
        recs[f"{space}.linear_share"] = _share_record(study, space)
        for j, kind in enumerate(KINDS):
            paper = paper_value(f"gu2023.table1.{space}.{kind}").value
            rerun = _rerun_words(study, space) if kind == "none" else ""
            recs[f"{space}.{kind}"] = scorecard.measure(
                f"gu2023.table1.{space}.{kind}.count",
                f"Table 1, {SPACE_LABELS[space]}: {KIND_LABELS[kind]} (shown, not scored)",
                float(counts[:, j].mean()) * PAPER_PAIRS / n,
                unit=f"pairs of {PAPER_PAIRS}",
                note=f"paper {paper}; mean of {k} draws scaled to {PAPER_PAIRS}, per draw (of "
                f"{n}): {', '.join(map(str, counts[:, j]))}{rerun}; the three counts sum to "
                "the pairs, so the linear share is the one free number",
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


def _share_record(study: Table1Study, space: str) -> scorecard.Record:
    """The linear share of ``space``, every draw pooled: a measurement with its 95 %
    Clopper–Pearson interval, beside the paper's share and interval, and the power of an
    equivalence verdict under the one rule (:func:`_space_tolerances`)."""
    counts = study.counts(space)
    linear, pooled = int(counts[:, 0].sum()), int(counts.sum())
    lo, hi = clopper_pearson(linear, pooled)
    own = paper_linear(space)
    paper_lo, paper_hi = clopper_pearson(own, PAPER_PAIRS)
    ours, cap = _space_tolerances(space, pooled)
    return scorecard.measure(
        f"gu2023.table1.{space}.linear_share",
        f"Table 1, {SPACE_LABELS[space]}: share of pairs linearly connected, every draw pooled, "
        f"with its 95 % interval (paper {own}/{PAPER_PAIRS} = {own / PAPER_PAIRS:.0%}, "
        f"{paper_lo:.0%}–{paper_hi:.0%}); measured: the directional claims carry the verdicts",
        f"{linear}/{pooled} ({linear / pooled:.0%}; 95 % CI {lo:.0%}–{hi:.0%})",
        note=f"95 % Clopper–Pearson intervals: ours {lo:.1%}–{hi:.1%}, the paper's "
        f"{paper_lo:.1%}–{paper_hi:.1%}; linear per draw (of {study.settings.n_pairs}): "
        f"{', '.join(map(str, counts[:, 0]))}. An equivalence verdict under the book's rule "
        f"({ours.words()}) would come out reproduced with probability {ours.power():.0%} if "
        f"the true share were the paper's, and at most {cap.power():.0%} however many draws "
        f"(the paper's SE alone, {cap.se:.3f})",
        section=SECTION_TABLE,
        share=linear / pooled,
        pooled=pooled,
        lo=lo,
        hi=hi,
        paper_share=own / PAPER_PAIRS,
        paper_lo=paper_lo,
        paper_hi=paper_hi,
        margin=ours.margin,
        se=ours.se,
        se_paper=cap.se,
        power=ours.power(),
        power_cap=cap.power(),
    )


def _rerun_words(study: Table1Study, space: str) -> str:
    """What the rerun at ``settings.rerun_budget`` did to the ``none`` pairs of ``space``."""
    reruns = study.reruns[space]
    first = sum(len(r.index) for r in reruns)
    if not first:
        return ""
    left = len(study.unconnected(space))
    pivots, steps = reruns[0].budget
    if not any(r.ran for r in reruns):
        return f"; NEB had the paper profile's budget ({pivots} × {steps}) already"
    return f"; rerun at {pivots} pivots × {steps} iterations: {left} of {first} stay unconnected"


def _claim_records(study: Table1Study) -> dict[str, scorecard.Record]:
    """The paper's reading of Table 1: a majority of linear pairs per space, fewer in the
    first hidden layer than in the original space (and than in the last layer, measured),
    and a path for every pair (the abstract)."""
    recs: dict[str, scorecard.Record] = {}
    recs["majority.original"] = _majority(study, "original")
    recs["majority.intermediate"] = _majority(study, "intermediate")
    for space in COMPARED:
        recs[f"connected.{space}"] = _all_connected(study, space)
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
    ``table1_last``, ``table1_claims``, ``table1_connected``, ``table1_why``,
    ``table1_open``, ``neb_summary``, ``depth_trend``, ``table1_classifier`` (whose
    classifier ran); ``recs`` as :func:`records` returns them."""
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
        "table1_connected": _connected_sentence(study, recs),
        "table1_why": _why_sentence(study, recs),
        "table1_classifier": _classifier_sentence(study),
        "table1_open": _open_sentence(study),
        "neb_summary": _neb_sentence(study),
        "depth_trend": _depth_sentence(study),
    }


def _all_connected(study: Table1Study, space: str) -> scorecard.Record:
    """The abstract's "paths exist in all cases studied" in ``space``: every pair of every
    draw, the unconnected ones after the rerun (:func:`universal_claim`)."""
    n = len(study.linear(space))
    left = study.unconnected(space)
    result = universal_claim(len(left), n)
    hi = clopper_pearson(len(left), n)[1]
    named = "; ".join(f"draw {d}, pair {i} ({study.classes[c]})" for d, i, c in left)
    return scorecard.test(
        f"gu2023.claim.all_connected.{space}",
        result,
        reproduced=f"{len(left)} of {n} pairs unconnected" + (f": {named}" if named else ""),
        note=f"95 % Clopper–Pearson interval of the unconnected share: up to {hi:.1%}"
        f"{_rerun_words(study, space)}",
        section=SECTION_TABLE,
        pairs=n,
        unconnected=len(left),
        upper=hi,
        named=named,
    )


def _majority(study: Table1Study, space: str) -> scorecard.Record:
    lin = study.linear(space)
    return scorecard.test(
        f"gu2023.claim.majority_linear.{space}",
        binomial_greater(int(lin.sum()), len(lin), 0.5),
        reproduced=f"{int(lin.sum())} of {len(lin)} pairs",
        section=SECTION_TABLE,
    )


def _counts_sentence(recs) -> str:
    """The linear share per compared space beside the paper's, both with their 95 %
    intervals, and why the share is measured: the power of an equivalence verdict."""
    parts = []
    for space in COMPARED:
        own = paper_linear(space)
        parts.append(
            prose.say(
                recs[f"{space}.linear_share"],
                no_paper_value=f"{SPACE_LABELS[space].capitalize()}: linear pairs {{value}}, "
                f"beside the paper's {own}/{PAPER_PAIRS} ({{paper_share:.0%}}; 95 % CI "
                "{paper_lo:.0%}–{paper_hi:.0%}).",
                failed=f"{SPACE_LABELS[space].capitalize()}: no share (the runs failed).",
            )
        )
    return " ".join(parts) + " " + _power_sentence(recs)


def _power_sentence(recs) -> str:
    """Why the shares are measurements: the chance that an exact reproduction would pass
    the one rule's equivalence test, at this book's pairs and with infinitely many."""
    x = [recs[f"{sp}.linear_share"].extra for sp in COMPARED]
    if not all(x):  # a failed record has no share
        return ""

    def both(fmt: str, key: str, scale: float = 100, unit: str = "") -> str:
        """The two spaces' values: one, "in both spaces", when they print the same."""
        v = [format(e[key] * scale, fmt) for e in x]
        return f"{v[0]}{unit}" if len(set(v)) == 1 else f"{v[0]} and {v[1]}{unit}"

    z = norm.isf(ALPHA)
    text = (
        f"Under the book's rule for a number, a share would count as the paper's only if two "
        f"one-sided tests placed it within ±{both('.0f', 'margin', unit=' points')} of the "
        f"paper's (half the paper's gap to the nearest share it compares it with; where two "
        f"values are given, the {SPACE_LABELS[COMPARED[0]]}'s comes first). Were the true "
        f"shares the paper's, that verdict would come with probability "
        f"{both('.0f', 'power', unit=' %')} at {both('d', 'pooled', 1, ' pairs')}"
    )
    paper_se = f"{both('.1f', 'se_paper', unit=' points')} at {PAPER_PAIRS} pairs"
    if max(e["power_cap"] for e in x) == 0:
        text += (
            f", and never however many draws this book takes: the paper's own standard error "
            f"({paper_se}) would need margins above {z:.3f} times it "
            f"({both('.0f', 'se_paper', 100 * z, ' points')})"
        )
    else:
        text += (
            f"; the paper's own standard error ({paper_se}) caps it at "
            f"{both('.0f', 'power_cap', unit=' %')} however many draws this book takes"
        )
    return (
        text + ". The shares are therefore measured, and the paper's reading of them (a "
        "majority linear in each space, fewer in the first hidden layer, a path for every "
        "pair) carries the verdicts. The NEB-only and 'neither' counts are shown, not "
        "scored: with the linear count they add up to the pairs."
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


def _connected_sentence(study: Table1Study, recs) -> str:
    """The abstract's "paths exist in all cases studied" per compared space, and what
    NEB did with the pairs it did not connect (:func:`_budget_sentence`)."""
    parts = [
        prose.say(
            recs[f"connected.{sp}"],
            reproduced=f"In the {SPACE_LABELS[sp]} every pair is joined by a path ({{n}}; 95 % "
            "Clopper–Pearson interval of the unconnected share 0–{upper:.1%}).",
            differs=f"In the {SPACE_LABELS[sp]} {{unconnected}} of {{pairs}} pairs stay "
            "unconnected, against the paper's 'all cases': {named}.",
            not_significant="",  # a universal claim is decided either way
            failed=f"In the {SPACE_LABELS[sp]} the runs failed.",
        )
        for sp in COMPARED
    ]
    return " ".join(parts) + " " + _budget_sentence(study)


def _pairs(k: int) -> str:
    return f"{k} pair{'s' if k != 1 else ''}"


def _budget_sentence(study: Table1Study) -> str:
    """What the pairs NEB did not connect did, from their own iterations: how many
    iterations they ran at the profile's budget, at which budget they were run again,
    and whether that connected them (the paper does not state its own budget)."""
    reruns = [r for sp in COMPARED for r in study.reruns[sp]]
    pivots, steps = study.settings.neb.n_pivots, study.settings.neb.steps
    big = tuple(study.settings.rerun_budget)
    first = sum(len(r.index) for r in reruns)
    budget = f"{pivots} pivots × {steps} iterations"
    if not first:
        return (
            f"NEB connected every pair whose straight path failed within this profile's budget "
            f"({budget}), so none needed the rerun at {big[0]} × {big[1]}."
        )
    text = (
        f"At this profile's budget ({budget}) NEB left {_pairs(first)} of the compared "
        f"spaces unconnected, {'each ' if first > 1 else ''}after all {steps} iterations"
    )
    if not any(r.ran for r in reruns):
        return text + f"; that is the rerun budget ({big[0]} × {big[1]}) already."
    its = sorted(i for r in reruns for i, ok in zip(r.iterations, r.connected) if ok)
    left = first - len(its)
    text += f"; run again with {big[0]} pivots × {big[1]} iterations"
    if its:
        text += f", {len(its)} connected (after {', '.join(map(str, its))} iterations)"
    if left:
        text += (
            f"{' and' if its else ','} {left} ran all {big[1]} iterations without a band of "
            "its class"
        )
    return text + "."


def _classifier_sentence(study: Table1Study) -> str:
    """Whose classifier the page ran: the book's shared one, or the reader's checkpoint
    (file, sha256, architecture, accuracy measured here)."""
    if not study.reader:
        return (
            f"This run used the book's shared classifier ({study.model_name}, test accuracy "
            f"{study.test_accuracy:.1%})."
        )
    r = study.reader
    return (
        f"This run used a reader's classifier, not the book's: checkpoint {r['file']} (sha256 "
        f"{r['sha256']}), {r['architecture']}, test accuracy {r['test_accuracy']:.1%} measured "
        f"here on the {r['test_images']:,} test images of {r['dataset']}. Its records are "
        "measurements with the paper's values beside them, no verdict against the paper, and "
        "the scorecard lists them apart from the book's."
    )


def _why_sentence(study: Table1Study, recs) -> str:
    if study.reader:
        return (
            f"The tests above describe the reader's {study.model_name}, not the paper's "
            "ResNet50: they measure how its pairs connect, and nothing here is a verdict on "
            "the paper."
        )
    compared = {
        k: r
        for k, r in recs.items()
        if k.startswith(("majority", "fewer", "connected")) and r.counts_as_reproduction
    }
    differ = [r for r in compared.values() if r.verdict in ("differs", "failed")]
    unclear = [r for r in compared.values() if r.verdict == "not significant"]
    if not differ and not unclear:
        return "Every claim the page scores agrees with the paper by its test."
    text = []
    if differ:
        model = f"{study.model_name} with test accuracy {study.test_accuracy:.1%}"
        if study.settings.profile in ("ci", "smoke"):
            reason = (
                f"the model ({model}: a small ResNet trained from scratch on 32 × 32 images, "
                "not an ImageNet-pretrained ResNet50 fine-tuned on 224 × 224 inputs, so its "
                "decision boundaries and its 'first hidden layer' differ)"
            )
            if any(r.id.startswith("gu2023.claim.all_connected.") for r in differ):
                reason += (
                    " and, for the pairs left unconnected, NEB's settings, which the paper "
                    "does not give (their iterations are stated above)"
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
