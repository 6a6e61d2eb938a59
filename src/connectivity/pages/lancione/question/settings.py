"""Settings of the question page (notebook ``lancione/01_question``): the VAE of
``vae.ipynb``, the decoded grid of the report's Fig. 1 and the digit judge that reads it,
and the grid that counts the regions each digit's encoded test images occupy."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.latent.vae import VAEConfig
from connectivity.settings import ParameterError, Settings, param

from ..judge import JUDGE_EPOCHS, JUDGE_EPOCHS_BY_PROFILE


@dataclass(frozen=True)
class RegionGrid:
    """The grid criterion that counts a digit's regions (latent.metrics.count_regions)."""

    bins: int = 40
    smooth: float = 1.0
    min_density: float = 1.0
    min_frac: float = 0.02

    def __post_init__(self) -> None:
        if self.bins < 4 or self.smooth < 0 or self.min_density <= 0 or not 0 < self.min_frac < 1:
            raise ParameterError(f"bad region grid {self}")


def _judge(profile: str) -> dict:
    return {"judge_epochs": JUDGE_EPOCHS_BY_PROFILE[profile]}


_SMOKE = {"vae": {"epochs": 1, "train_images": 2000}, "n_subsamples": 4}


@dataclass(frozen=True)
class QuestionSettings(Settings):
    """§1, Fig. 1: a VAE on all ten digits, its decoded grid read by the digit judge, and
    the regions each digit occupies. ``ci`` and ``paper`` load the report's 30-epoch VAE
    from the committed models (``make models``); the toy profiles train a small one."""

    vae: VAEConfig = param(VAEConfig(), doc="the VAE of vae.ipynb and its training")
    decoded_side: int = param(20, lo=2, doc="side of the decoded grid (Fig. 1: 20 x 20)")
    judge_epochs: int = param(
        JUDGE_EPOCHS, lo=1, doc="epochs of the digit judge (the future-work page's)"
    )
    regions: RegionGrid = param(RegionGrid(), doc="the grid that counts a digit's regions")
    n_subsamples: int = param(50, lo=1, doc="half-subsamples of the codes (split test)")

    OVERRIDES = {
        "ci": _judge("ci"),
        "smoke": {**_SMOKE, **_judge("smoke")},
        "smoke-paper": {**_SMOKE, **_judge("smoke-paper")},
    }
