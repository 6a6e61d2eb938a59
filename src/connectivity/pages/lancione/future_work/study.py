"""What the future-work page computes: a digit classifier that judges reconstructions,
the all-pairs survey judged with it, and the autoencoder across latent dimensions."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from connectivity.latent.digit_pairs import DigitPair
from connectivity.latent.judge import Judge, train_judge
from connectivity.latent.metrics import silhouette_score
from connectivity.latent.stacked import encode_each

from ..trainings import Survey, load_mnist, run_survey, train_on_pairs
from .settings import FutureWorkSettings


@dataclass
class SweepRow:
    latent: int
    seed: int
    silhouette: float
    val_loss: float


@dataclass
class FutureWorkStudy:
    settings: FutureWorkSettings
    judge: Judge
    survey: Survey
    sweep: list[SweepRow]

    def sweep_frame(self) -> pd.DataFrame:
        """One row per training of the sweep."""
        return pd.DataFrame([vars(r) for r in self.sweep])


def latent_sweep(pair: DigitPair, settings: FutureWorkSettings) -> list[SweepRow]:
    """The study's autoencoder with each latent dimension of ``settings.sweep_dims``,
    trained from several seeds on ``pair``: silhouette and validation loss of each."""
    seeds = list(range(settings.sweep_seeds))
    rows = []
    for d in settings.sweep_dims:
        stack = train_on_pairs(
            "AE",
            settings.training,
            [pair] * len(seeds),
            seeds,
            epochs=settings.sweep_epochs,
            latent=d,
            desc=f"AE, latent {d}",
        )
        for k, z in enumerate(encode_each(stack.model, [pair.x_val] * len(seeds))):
            rows.append(
                SweepRow(d, k, silhouette_score(z, pair.y_val), float(stack.final_val_loss[k]))
            )
    return rows


def run(settings: FutureWorkSettings) -> FutureWorkStudy:
    """The judge, the survey's reconstructions judged, and the latent-dimension sweep."""
    torch.manual_seed(0)
    mnist = load_mnist()
    judge = train_judge(mnist.train, mnist.test, settings.judge_epochs)
    survey = run_survey(mnist, settings.training, settings.survey, judge.model)
    pair = mnist.pair(settings.digits, settings.training.subset)
    return FutureWorkStudy(settings, judge, survey, latent_sweep(pair, settings))
