"""The sentences every Lancione page generates alike: the note on a scale that differs
from the report's code, and the report's values for the prose to quote."""

from __future__ import annotations

from typing import Any

from connectivity.paper_values.lancione import HIGH_SILHOUETTE, VALUES


def scale_note(value, paper, what: str, profile: str) -> str:
    """A generated sentence when this build's ``value`` of ``what`` differs from the
    report's code (``paper``), else an empty string."""
    if value == paper:
        return ""
    return (
        f"This build ({profile} profile) uses {value} {what} instead of the original "
        f"code's {paper}, to stay within its time budget."
    )


def paper_values() -> dict[str, Any]:
    """Every paper value of the chapter by glue name, ``paper.<id>`` (the pages quote the
    report through these; no number of the report is typed in a notebook): each page's
    ``sentences`` merges them into its glued values."""
    quoted: dict[str, Any] = {f"paper.{pid}": pv.value for pid, pv in VALUES.items()}
    quoted["paper.lancione.silhouette.high"] = HIGH_SILHOUETTE
    return quoted
