"""Settings of the scorecard page (notebook ``scorecard``), which computes nothing of a
paper."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import Settings


@dataclass(frozen=True)
class ScorecardSettings(Settings):
    """The scorecard page only gathers the records of the build: no parameters."""
