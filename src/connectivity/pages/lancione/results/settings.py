"""Settings of the results page (notebook ``lancione/03_results``)."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import ParameterError, Settings, param

from ..chapter_settings import (
    CI_SURVEY,
    SMOKE_SURVEY,
    SMOKE_TRAINING,
    StudyTraining,
    SurveyConfig,
    check_two_digits,
)

_SMOKE = {"training": SMOKE_TRAINING, "n_seeds": 3, "survey": SMOKE_SURVEY}


@dataclass(frozen=True)
class ResultsSettings(Settings):
    """§3: silhouettes over trainings, layouts, and the all-pairs survey."""

    digits: list[int] = param([1, 2], lo=0, hi=9, doc="the study's pair of digits")
    training: StudyTraining = param(StudyTraining(), doc="the study's training (Tab. 1)")
    n_seeds: int = param(10, lo=3, doc="trainings per model")
    survey: SurveyConfig = param(SurveyConfig(), doc="the all-pairs survey")
    shown: list[int] = param([0, 1], lo=0, doc="the two trainings shown in Figs. 3-4")

    OVERRIDES = {"ci": {"survey": CI_SURVEY}, "smoke": _SMOKE, "smoke-paper": _SMOKE}

    def validate(self) -> None:
        check_two_digits("digits", self.digits)
        if len(self.shown) != 2 or max(self.shown) >= self.n_seeds:
            raise ParameterError(f"shown: two trainings among the {self.n_seeds}, got {self.shown}")
