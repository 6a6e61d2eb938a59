"""The §5 page's scorecard records and the sentences that state their outcomes.

:func:`report` writes the records of a :class:`~.study.PercolationStudy`
(:func:`records`: checks of the p_c estimates against the literature and of the two
textbook trends, the conjecture by a one-sided Spearman test, and the fraction connected
per dimension, measured) and glues the page's sentences (:func:`sentences`, names
``perc_*`` and each claim's ``says.<id>``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

# the maths (this package's name is the same, so the import is absolute)
from connectivity import percolation as perc
from connectivity import prose, scorecard
from connectivity.paper_values.vrabel2024_modes import CONJECTURE, MEAN_FIELD, PC_FALLS
from connectivity.stats import spearman_increasing

from .study import PercolationStudy

SECTION_PC = "The threshold and the dimension (App. A)"
SECTION_MF = "The mean-field argument (App. C.3)"
SECTION_CONJ = "Conjecture 5.1, empirically"


@dataclass(frozen=True)
class PercolationRecords:
    """The page's records: the two textbook trends (``pc_falls``, ``mean_field``, checks),
    Conjecture 5.1 (``conjecture``, a test), the p_c estimates of n = 2 and 3 against the
    literature (``checks``, in that order) and the fraction of pairs the search connects
    per dimension (``connected``, measurements)."""

    pc_falls: scorecard.Record
    mean_field: scorecard.Record
    conjecture: scorecard.Record
    checks: list[scorecard.Record]
    connected: dict[int, scorecard.Record]


def report(study: PercolationStudy) -> prose.PageReport[PercolationRecords]:
    """The page's report: its scorecard records (:func:`records`) and the sentences that
    state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def _falls_with_dimension(
    id_: str, description: str, by_dim: dict, fact: str, note: str, section: str
) -> scorecard.Record:
    """A check that ``by_dim`` (dimension -> value) falls with the dimension (one-sided
    Spearman at 5 %): a textbook fact, so a failure is a bug of the estimator."""
    dims = list(by_dim)
    res = spearman_increasing(dims, [-by_dim[n] for n in dims])
    return scorecard.check(
        id_,
        description,
        ", ".join(f"{by_dim[n]:.3f}" for n in dims),
        holds=res.verdict() == "reproduced",
        reason=f"{fact}; {res.test}: p = {res.p_value:.2g}",
        note=f"{note}; n = {', '.join(map(str, dims))}",
        section=section,
        p=res.p_value,
        test=res.test,
    )


def records(study: PercolationStudy) -> PercolationRecords:
    """Write the page's scorecard records: checks of the p_c estimates against the
    literature and of the two textbook trends, the conjecture by a one-sided Spearman
    test, and the fraction connected per dimension; returns them as a
    :class:`PercolationRecords`."""
    checks = []
    for n in (2, 3):
        if n not in study.pc:
            continue
        lit = perc.PC_HYPERCUBIC_SITE[n]
        est = study.pc[n]
        checks.append(
            scorecard.check(
                f"vrabel2024.percolation.pc_{n}d",
                f"Site percolation threshold of the {n}-D hypercubic lattice (estimate)",
                round(est, 4),
                holds=abs(est - lit) <= 0.03,
                reason=f"the estimator of this page against the literature's p_c = {lit} "
                f"within 0.03, the finite-size shift of L = {study.pc_sizes[n]}",
                section=SECTION_PC,
            )
        )
    # App. A and C.3 restate textbook percolation facts; here they check the lattice code
    # (a threshold that does not fall with n, or a mean field that does not improve, is a
    # bug of the estimator at these sizes), so they are checks, not reproductions
    pc_falls = _falls_with_dimension(
        PC_FALLS,
        "The estimated site-percolation threshold falls with the lattice's dimension "
        "(App. A; textbook)",
        study.pc,
        "p_c of the hypercubic lattice falls with n (about 1/(2n − 1) for large n)",
        note=f"finite lattices of ~{study.settings.pc_sites:,} sites",
        section=SECTION_PC,
    )
    mean_field = _falls_with_dimension(
        MEAN_FIELD,
        "The largest |lattice − Bethe lattice| difference of the largest-cluster fraction "
        "shrinks with the dimension (App. C.3; textbook)",
        study.mf_discrepancy(),
        "mean-field theory becomes exact as loops vanish in high dimension",
        note="largest |lattice − Bethe|",
        section=SECTION_MF,
    )
    conj = study.conjecture
    ns = np.concatenate([[n] * len(conj.found[n]) for n in conj.dims])
    hits = np.concatenate([conj.found[n] for n in conj.dims]).astype(float)
    # the trend without the smallest dimension: is the growth more than one step?
    above = ns > conj.dims[0]
    rest = spearman_increasing(ns[above], hits[above]) if len(conj.dims) > 2 else None
    conjecture = scorecard.test(
        CONJECTURE,
        spearman_increasing(ns, hits),
        reproduced=", ".join(f"{conj.found[n].mean():.2f}" for n in conj.dims),
        note=f"fraction found per n = {', '.join(map(str, conj.dims))}; "
        f"{len(conj.found[conj.dims[0]])} pairs each; ε = {study.settings.conj_eps:g}",
        section=SECTION_CONJ,
        smallest=int(conj.dims[0]),
        p_above=rest.p_value if rest else float("nan"),
        above_trend=rest.verdict() if rest else "not tested",
    )
    connected = {}
    for n in conj.dims:
        f = conj.found[n]
        lo, hi = perc.binomial_interval(int(f.sum()), len(f))
        connected[n] = scorecard.measure(
            f"vrabel2024.conjecture.connected_fraction.n{n}",
            f"Random network, n = {n}: fraction of ε-similar pairs the search connects",
            round(float(f.mean()), 3),
            unit="fraction",
            section=SECTION_CONJ,
            note=f"95 % exact interval {lo:.2f}–{hi:.2f}; the search checks a finite number "
            "of points per path, so it is not a strict lower bound"
            + (f"; exact (flood fill) {conj.exact[n].mean():.2f}" if n in conj.exact else ""),
        )
    return PercolationRecords(pc_falls, mean_field, conjecture, checks, connected)


def sentences(study: PercolationStudy, recs: PercolationRecords) -> dict[str, Any]:
    """Every value the §5 page glues, by glue name: ``perc_pc``, the two textbook trends'
    ``says.<id>``, ``perc_conjecture`` and the conjecture's ``says.<id>``; ``recs`` as
    :func:`records` returns them."""
    return {
        "perc_pc": _pc_sentence(study),
        prose.says_name(recs.pc_falls): prose.say(
            recs.pc_falls,
            check="As the textbook (and App. A) says, the estimated threshold falls with the "
            "dimension ({test}: p = {p:.2g}), a check of the estimator.",
            failed="The estimated threshold does *not* fall significantly with the dimension "
            "({test}: p = {p:.2g}): the estimator or its lattice sizes are wrong.",
        ),
        prose.says_name(recs.mean_field): prose.say(
            recs.mean_field,
            check="The largest difference between lattice and mean field shrinks as n grows "
            "({value} for the dimensions shown; {test}: p = {p:.2g}): the mean field, exact "
            "on the Bethe lattice, describes high-dimensional lattices better, as the "
            "textbook says.",
            failed="The largest difference between lattice and mean field ({value}) does "
            "*not* shrink significantly with n here ({test}: p = {p:.2g}): at these finite "
            "sizes the lattices of high dimension are only a few sites wide.",
        ),
        "perc_conjecture": _conjecture_sentence(study),
        prose.says_name(recs.conjecture): _conjecture_says(recs.conjecture),
    }


def _pc_sentence(study: PercolationStudy) -> str:
    """The p_c estimates against the literature's, and on which side of it they lie."""
    est = ", ".join(
        f"{study.pc[n]:.3f} for n = {n} (literature {perc.PC_HYPERCUBIC_SITE.get(n, np.nan):.3f})"
        for n in study.pc
    )
    lit = {n: perc.PC_HYPERCUBIC_SITE[n] for n in study.pc if n in perc.PC_HYPERCUBIC_SITE}
    above = [n for n in lit if study.pc[n] > lit[n]]
    below = [n for n in lit if study.pc[n] <= lit[n]]
    sides = "; ".join(
        f"{word} the literature's for n = {', '.join(map(str, dims))}"
        for word, dims in (("above", above), ("at or below", below))
        if dims
    )
    return f"The estimates are {est}: {sides}."


def _conjecture_sentence(study: PercolationStudy) -> str:
    """The share of pairs the search (and the straight line alone) connects at the
    smallest and the largest dimension, and the search against the exact flood fill."""
    conj = study.conjecture
    low, high = conj.dims[0], conj.dims[-1]
    return (
        f"The search connects {conj.found[low].mean():.2f} of the pairs for n = {low} and "
        f"{conj.found[high].mean():.2f} for n = {high}; the straight line alone suffices for "
        f"{conj.straight[low].mean():.2f} and {conj.straight[high].mean():.2f}. "
        + " ".join(
            _search_vs_exact(conj.found[n].mean(), conj.exact[n].mean(), n) for n in conj.exact
        )
    )


def _conjecture_says(rec: scorecard.Record) -> str:
    """Conjecture 5.1's sentence, worded by the record's verdict (and, when reproduced,
    by whether the growth continues above the smallest dimension)."""
    return prose.say(
        rec,
        reproduced="Connectivity of similar-output inputs grows with the dimension, as "
        "Conjecture 5.1 says, for a network that was never trained ({test} over pairs: "
        "p = {p:.2g}). "
        + (
            "The growth continues above n = {smallest} (the same test without it: "
            "p = {p_above:.2g})."
            if rec.extra.get("above_trend") == "reproduced"
            else "Most of it is the step from n = {smallest} to the next dimension: without "
            "n = {smallest} the trend is not significant (p = {p_above:.2g}), the fractions "
            "sitting near 1."
        ),
        differs="Connectivity of similar-output inputs *falls* with the dimension here "
        "({test} over pairs: p = {p_opposite:.2g}), against Conjecture 5.1 — with the same "
        "search budget for every n, an estimate that may weaken as n grows.",
        not_significant="The fraction connected shows no significant trend with the dimension "
        "({test} over pairs: p = {p:.2g}).",
        failed="Failed, so the claim is not tested: {note}.",
    )


def _search_vs_exact(found: float, exact: float, n: int) -> str:
    """How the search's share of connected pairs compares with the exact flood fill's."""
    if found <= exact:
        return (
            f"For n = {n} the exact flood fill connects {exact:.2f}; the search finds {found:.2f}."
        )
    return (
        f"For n = {n} the search connects **more** pairs than the exact flood fill "
        f"({found:.2f} against {exact:.2f}): its path check looks at a finite number of points "
        "and can step over a thin region of another label, so it is not a strict lower bound "
        "(the flood fill's grid is coarse too)."
    )
