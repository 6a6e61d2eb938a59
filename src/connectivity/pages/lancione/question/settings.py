"""Settings of the question page (notebook ``lancione/01_question``): the VAE of
``vae.ipynb`` and the grid that counts the regions each digit occupies."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.latent.vae import VAEConfig
from connectivity.settings import ParameterError, Settings, param


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


_SMOKE = {"vae": {"epochs": 1, "train_images": 2000}, "n_subsamples": 4}


@dataclass(frozen=True)
class QuestionSettings(Settings):
    """§1, Fig. 1: a VAE on all ten digits, and the regions each digit occupies."""

    vae: VAEConfig = param(VAEConfig(), doc="the VAE of vae.ipynb and its training")
    regions: RegionGrid = param(RegionGrid(), doc="the grid that counts a digit's regions")
    n_subsamples: int = param(50, lo=1, doc="half-subsamples of the codes (split test)")

    OVERRIDES = {"ci": {"vae": {"epochs": 3}}, "smoke": _SMOKE, "smoke-paper": _SMOKE}
