"""The scorecard page's headline numbers, glued (the page writes no record of its own)."""

from __future__ import annotations

from connectivity import prose

from .study import ScorecardStudy


def report(study: ScorecardStudy) -> dict[str, int]:
    """The headline by glue name: records in this build (``n_records``), comparisons
    with a paper value reproduced (``n_reproduced``) and compared (``n_compared``:
    reproduced, differs or not significant); each glued."""
    counts = study.counts
    headline = {
        "n_records": len(study.records),
        "n_reproduced": int(counts.loc["all chapters", "reproduced"]),
        "n_compared": int(
            counts.loc["all chapters", ["reproduced", "differs", "not significant"]].sum()
        ),
    }
    for name, value in headline.items():
        prose.glue(name, value)
    prose.glue("reference_sentence", reference_sentence(study))
    return headline


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
