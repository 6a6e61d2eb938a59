"""Trainings that collapsed: an autoencoder that outputs (nearly) one average image.

With Adam at lr 1e-2 and tanh on the 2-D code, a training can saturate early: every
input gets (nearly) the same code and the decoder returns the average digit. Such a
model is not a latent layout of the two digits - its silhouette and wrong-reconstruction
rate (≈ 0.5: the judge reads the blurred average as either digit) measure the failure, not
the representation. A training counts as collapsed when its reconstructions are no better
than the average image (R^2 <= 0 on the validation images), or its codes have (nearly) no
spread. Measured on the 3-epoch survey of the ``ci`` profile, the two signs coincide:
every training with code spread < 0.01 also has R^2 <= 0.

A milder failure leaves the reconstructions fine but pins a code coordinate at tanh's
bound for (nearly) every image: the layout is then a sign per image on that axis, not a
2-D picture, and its silhouette measures that binary code (one DAE training of the ci
profile scored 0.77 so, against 0.39-0.63 for the others). The chapter's one rule for
such trainings is ``connectivity.pages.lancione.trainings.saturated`` (every Lancione
statistic is given with and without the trainings it flags).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

R2_MIN = 0.0  # reconstructions no better than the average image (R^2 <= 0)
SPREAD_MIN = 0.01  # codes whose spread is < 1 % of their distance from the origin: one point


@dataclass(frozen=True)
class CollapseCheck:
    """r2: 1 - MSE / pixel variance of the images (0: the mean image, 1: perfect);
    spread: sqrt(trace cov(z)) / sqrt(mean |z|^2) of the codes (scale free, in [0, 1])."""

    r2: float
    spread: float
    r2_min: float = R2_MIN
    spread_min: float = SPREAD_MIN

    @property
    def collapsed(self) -> bool:
        return self.r2 <= self.r2_min or self.spread < self.spread_min


def reconstruction_r2(x: torch.Tensor, recon: torch.Tensor) -> float:
    """1 - sum |x - recon|^2 / sum |x - mean(x)|^2 over images x (n, 784)."""
    x, recon = x.double(), recon.double()
    total = ((x - x.mean(0)) ** 2).sum()
    return float(1 - ((x - recon) ** 2).sum() / total) if total > 0 else 0.0


def code_spread(z: torch.Tensor) -> float:
    """sqrt(trace cov(z)) / sqrt(mean |z|^2) for codes z (n, d); 0 for one repeated code."""
    z = z.double()
    power = (z**2).sum(1).mean()
    if power == 0:
        return 0.0
    return float(torch.sqrt(((z - z.mean(0)) ** 2).sum(1).mean() / power))


def check_collapse(
    x: torch.Tensor,
    recon: torch.Tensor,
    z: torch.Tensor,
    r2_min: float = R2_MIN,
    spread_min: float = SPREAD_MIN,
) -> CollapseCheck:
    """The :class:`CollapseCheck` of a model from its validation images x (n, 784), their
    reconstructions (n, 784) and codes z (n, d)."""
    return CollapseCheck(reconstruction_r2(x, recon), code_spread(z), r2_min, spread_min)
