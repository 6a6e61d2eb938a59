"""Settings of the future-work page (notebook ``lancione/04_future_work``)."""

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

_SMOKE = {
    "training": SMOKE_TRAINING,
    "survey": SMOKE_SURVEY,
    "judge_epochs": 1,
    "sweep_dims": [2, 4, 8],
    "sweep_seeds": 2,
    "sweep_epochs": 1,
}


@dataclass(frozen=True)
class FutureWorkSettings(Settings):
    """§5: wrong reconstructions over all pairs, and the latent dimension."""

    digits: list[int] = param([1, 2], lo=0, hi=9, doc="the study's pair of digits")
    training: StudyTraining = param(StudyTraining(), doc="the study's training (Tab. 1)")
    survey: SurveyConfig = param(SurveyConfig(), doc="the all-pairs survey (as §3's page)")
    judge_epochs: int = param(5, lo=1, doc="epochs of the digit classifier that judges")
    sweep_dims: list[int] = param([2, 4, 8, 16], lo=1, doc="latent dimensions of the sweep")
    sweep_seeds: int = param(10, lo=2, doc="trainings per latent dimension")
    sweep_epochs: int = param(20, lo=1, doc="autoencoder epochs in the sweep")

    OVERRIDES = {
        "ci": {"survey": CI_SURVEY, "judge_epochs": 2, "sweep_seeds": 3, "sweep_epochs": 8},
        "smoke": _SMOKE,
        "smoke-paper": _SMOKE,
    }

    def validate(self) -> None:
        check_two_digits("digits", self.digits)
        if len(self.sweep_dims) < 3:
            raise ParameterError("the latent-dimension sweep needs at least three dimensions")
