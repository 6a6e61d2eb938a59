"""The scorecard page's headline numbers and sentence (the page writes no record of its own).

:func:`records` returns no record: the page gathers the records the other notebooks wrote
(:mod:`.study`). :func:`sentences` counts them for the headline and says whether their
verdicts are the reference build's; :func:`report` glues both.
"""

from __future__ import annotations

from connectivity import prose, scorecard

from .study import ScorecardStudy


def report(study: ScorecardStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: no records of its own (:func:`records`) and its headline
    numbers and reference sentence (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: ScorecardStudy) -> dict[str, scorecard.Record]:
    """The page's own records: none (an empty dict), since it compares nothing with a
    paper; it only gathers and counts the records of the other notebooks."""
    return {}


def sentences(study: ScorecardStudy, recs: dict[str, scorecard.Record]) -> dict[str, int | str]:
    """The headline by glue name: records in this build (``n_records``), comparisons
    with a paper value reproduced (``n_reproduced``) and compared (``n_compared``:
    reproduced, differs or not significant), and ``reference_sentence``
    (:func:`reference_sentence`); ``recs`` (none) as :func:`records` returns them."""
    counts = study.counts
    return {
        "n_records": len(study.records),
        "n_reproduced": int(counts.loc["all chapters", "reproduced"]),
        "n_compared": int(
            counts.loc["all chapters", ["reproduced", "differs", "not significant"]].sum()
        ),
        "reference_sentence": reference_sentence(study),
        "rule_sentence": rule_sentence(study.records),
    }


def rule_sentence(records: list[scorecard.Record]) -> str:
    """What the one rule implies for this build's comparisons: the false-alarm rate of a
    verdict, the ``differs`` expected by chance if every paper value held exactly, and
    how many numbers cannot reach ``reproduced`` at their precision (power)."""
    compared = [r for r in records if r.counts_as_reproduction]
    if not compared:
        return "This build compares nothing with a paper."
    numbers = [r for r in compared if r.kind == "quantitative"]
    differs = sum(r.verdict == "differs" for r in compared)
    text = (
        f"Each of the {len(compared)} comparisons is a test at 5 %: if every paper value and "
        f"claim held exactly here, about {0.05 * len(compared):.0f} would still come out "
        f"*differs* by chance (a one-sided test against the paper's direction, or a two-sided "
        f"one against its number, has a 2.5–5 % false alarm); this build has {differs}."
    )
    powered = [r for r in numbers if r.power is not None]
    if powered:
        out_of_reach = sum(r.power < 0.05 for r in powered)
        low = sum(0.05 <= r.power < 0.8 for r in powered)
        text += (
            f" Of the {len(powered)} numbers, {out_of_reach} cannot reach *reproduced* at "
            f"their precision (power below 5 %: the margin is narrower than 1.645 standard "
            f"errors of the difference) and {low} reach it less than 80 % of the time if the "
            "paper's number were exact: for those, *not significant* is the expected outcome "
            "of a perfect reproduction."
        )
    return text


def reference_sentence(study: ScorecardStudy) -> str:
    """Whether this build's verdicts are the reference ci build's, and what computed them."""
    devices = sorted(set(study.provenance["device"]))
    kernels = sorted(set(study.provenance["kernels"]))
    computed = f"computed on {', '.join(devices)} with {', '.join(kernels)} kernels"
    if study.changes is None:
        return (
            f"This build is of the {study.settings.profile} profile ({computed}); the "
            "reference verdicts are the ci profile's, so none is compared."
        )
    if study.changes.empty:
        return (
            f"Every verdict of this build ({computed}) is the reference ci build's "
            "(book/expected_verdicts.yml)."
        )
    return (
        f"{len(study.changes)} verdict(s) of this build ({computed}) differ from the "
        "reference ci build's (book/expected_verdicts.yml), listed below: another device or "
        "other kernels change the last bits, and a value near its tolerance its verdict. "
        "CI builds with --strict, where any difference fails."
    )
