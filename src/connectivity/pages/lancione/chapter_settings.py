"""Pieces of settings that several Lancione pages share: the study's training, the
all-pairs survey, their toy-size overrides, and the check of a pair of digits. Each
page's own settings class is in its package (``question/settings.py`` and so on).

The study's own training (Tab. 1 and ``ae.ipynb``: batch 8, Adam lr 1e-2, weight decay
1e-6, 20/20/25 epochs, noise 0.3, the first-8,000/4,000-images subset) is the default of
both ``paper`` and ``ci`` for the digits 1 vs 2 analysis (the VAE's 30 epochs are a
committed model in both); ``ci`` shortens the 45-pair survey and the extensions (each
said on its page and in the deviations page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from connectivity.settings import ParameterError


@dataclass(frozen=True)
class StudyTraining:
    """The study's training of its three models (Lancione Tab. 1; ``ae.ipynb``)."""

    subset: Literal["faithful", "full"] = "faithful"  # see connectivity.latent.digit_pairs
    batch_size: int = 8
    lr: float = 1e-2
    weight_decay: float = 1e-6
    noise: float = 0.3  # the denoising autoencoder's noise factor
    epochs_ae: int = 20
    epochs_dae: int = 20
    epochs_linear: int = 25
    tie: Literal["alias", "shared"] = "alias"  # ae.ipynb's tied weights (see latent.stacked)

    def __post_init__(self) -> None:
        if self.subset not in ("faithful", "full") or self.tie not in ("alias", "shared"):
            raise ParameterError(f"bad subset or tie in {self}")
        if min(self.batch_size, self.epochs_ae, self.epochs_dae, self.epochs_linear) < 1:
            raise ParameterError(f"batch size and epochs must be >= 1: {self}")
        if not (self.lr > 0 and self.weight_decay >= 0 and 0 <= self.noise <= 1):
            raise ParameterError(f"lr > 0, weight decay >= 0, noise in [0, 1]: {self}")


@dataclass(frozen=True)
class SurveyConfig:
    """The all-pairs survey (§3: 'for different couples of digits the results are analogous')."""

    pairs: int = 45  # digit pairs surveyed; fewer keep 1-7 and 4-9 (the hard pairs)
    seeds: int = 3  # trainings per pair and model
    epochs: int = 20  # autoencoder and denoising-autoencoder epochs (the study's)
    retries: int = 2  # a collapsed training is rerun with a new seed this many times

    def __post_init__(self) -> None:
        if not (2 <= self.pairs <= 45 and self.seeds >= 1 and self.epochs >= 1):
            raise ParameterError(f"survey: 2 <= pairs <= 45, seeds and epochs >= 1: {self}")
        if self.retries < 0:
            raise ParameterError(f"survey: retries >= 0: {self}")


# the overrides of the shared pieces, as the settings classes' OVERRIDES name them
SMOKE_TRAINING = {"epochs_ae": 1, "epochs_dae": 1, "epochs_linear": 1}
SMOKE_SURVEY = {"pairs": 4, "seeds": 2, "epochs": 1, "retries": 1}
CI_SURVEY = {"epochs": 3}


def check_two_digits(name: str, pair: list[int]) -> None:
    """Refuse a parameter ``name`` that is not two different digits."""
    if len(pair) != 2 or pair[0] == pair[1]:
        raise ParameterError(f"{name} must be two different digits, got {pair}")


__all__ = [
    "CI_SURVEY",
    "SMOKE_SURVEY",
    "SMOKE_TRAINING",
    "StudyTraining",
    "SurveyConfig",
    "check_two_digits",
]
