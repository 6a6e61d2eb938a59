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
    return headline
