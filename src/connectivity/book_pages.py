"""Settings of the book's own pages (scorecard), which compute nothing of a paper."""

from __future__ import annotations

from dataclasses import dataclass

from .settings import Settings


@dataclass(frozen=True)
class ScorecardPageSettings(Settings):
    """The scorecard page only gathers the records of the build: no parameters."""
