"""The sentences every Lancione page generates alike: the note on a scale that differs
from the report's code, and the report's values glued for the prose to quote."""

from __future__ import annotations

from connectivity.paper_values.lancione import HIGH_SILHOUETTE, VALUES
from connectivity.prose import glue


def scale_note(value, paper, what: str, profile: str) -> str:
    """A generated sentence when this build's ``value`` of ``what`` differs from the
    report's code (``paper``), else an empty string."""
    if value == paper:
        return ""
    return (
        f"This build ({profile} profile) uses {value} {what} instead of the original "
        f"code's {paper}, to stay within its time budget."
    )


def glue_paper_values() -> None:
    """Glue every paper value of the chapter as ``paper.<id>`` (the pages quote the report
    through these; no number of the report is typed in a notebook)."""
    for pid, pv in VALUES.items():
        glue(f"paper.{pid}", pv.value)
    glue("paper.lancione.silhouette.high", HIGH_SILHOUETTE)
