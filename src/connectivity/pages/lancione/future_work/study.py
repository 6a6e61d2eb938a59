"""What the future-work page computes: a digit classifier that judges reconstructions,
the all-pairs survey judged with it, each first training of the denoising autoencoder
judged failed or not, and the autoencoder across latent dimensions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from connectivity.latent.digit_pairs import DigitPair
from connectivity.latent.judge import Judge
from connectivity.latent.metrics import silhouette_score
from connectivity.latent.stacked import encode_each, reconstruct_each

from ..chapter_settings import StudyTraining
from ..judge import digit_judge
from ..trainings import Mnist, Survey, load_mnist, run_survey, train_on_pairs
from .settings import FutureWorkSettings

# a training fails a digit when the judge reads most of its reconstructions as the other one
MAJORITY = 0.5


@dataclass(frozen=True)
class FirstAttempt:
    """The first training of a (pair, slot) of the survey, before any rerun: did it fail
    to reconstruct its two digits? ``judged_other``: per digit of the pair, the share of
    its validation images whose reconstruction the judge reads as the other digit."""

    pair: tuple[int, int]
    slot: int
    collapsed: bool
    judged_other: tuple[float, float]
    saturated: bool = False  # the chapter's saturation rule on its codes

    @property
    def judged_as_other(self) -> bool:
        """Most reconstructions of one of the digits read as the other digit."""
        return max(self.judged_other) > MAJORITY

    @property
    def failed(self) -> bool:
        """Collapsed (one average image), or one digit reconstructed as the other."""
        return self.collapsed or self.judged_as_other


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
    first_dae: list[FirstAttempt]  # the denoising autoencoder's first trainings

    def sweep_frame(self) -> pd.DataFrame:
        """One row per training of the sweep."""
        return pd.DataFrame([vars(r) for r in self.sweep])


@torch.no_grad()
def judged_other_by_digit(
    classifier, recon: torch.Tensor, labels: torch.Tensor, digits: tuple[int, int]
) -> tuple[float, float]:
    """Per digit of ``digits``: the share of its images (``labels``) whose reconstruction
    (``recon``, (n, 784)) the classifier reads as the other digit (nan for an absent digit)."""
    pred = classifier(recon.float()).argmax(1)
    out = []
    for own, other in (digits, digits[::-1]):
        mine = labels == own
        out.append(float((pred[mine] == other).float().mean()) if mine.any() else float("nan"))
    return out[0], out[1]


def first_attempts(
    mnist: Mnist, training: StudyTraining, survey: Survey, judge: Judge, model: str = "DAE"
) -> list[FirstAttempt]:
    """Every first training of ``model`` in ``survey`` (attempt 0, reruns ignored), loaded
    from the cache as :func:`~..trainings.run_survey` trained it, and judged: collapsed,
    and the share of each digit's reconstructions read as the other digit."""
    first = [r for r in survey.runs if r.model == model and r.attempt == 0]
    data = {p: mnist.pair(p, training.subset) for p in {r.pair for r in first}}
    pairs = [data[r.pair] for r in first]
    stack = train_on_pairs(
        model,
        training,
        pairs,
        [r.seed for r in first],
        epochs=survey.config.epochs,
        desc=f"{model}, {len(first)} trainings (attempt 0)",
    )
    loaded = stack.final_val_loss.numpy()
    if not np.allclose(loaded, [r.val_loss for r in first], rtol=1e-5, atol=1e-8):
        raise RuntimeError(f"the {model} trainings loaded are not the survey's first attempts")
    recons = reconstruct_each(stack.model, [p.x_val for p in pairs])
    return [
        FirstAttempt(
            r.pair,
            r.slot,
            r.collapsed,
            judged_other_by_digit(judge.model, recon, pair.y_val, r.pair),
            r.saturated,
        )
        for r, pair, recon in zip(first, pairs, recons)
    ]


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
    judge = digit_judge(mnist, settings.judge_epochs)  # shared with the question page
    survey = run_survey(mnist, settings.training, settings.survey, judge.model)
    pair = mnist.pair(settings.digits, settings.training.subset)
    return FutureWorkStudy(
        settings,
        judge,
        survey,
        latent_sweep(pair, settings),
        first_attempts(mnist, settings.training, survey, judge),
    )
