"""Lancione §1 (Fig. 1): a VAE on all ten digits, and how many regions each digit occupies."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import matplotlib.pyplot as plt
import pandas as pd
import torch

from connectivity import plotting, scorecard
from connectivity.latent.metrics import split_test
from connectivity.latent.vae import TrainedVAE, VAEConfig, latent_means, train_vae
from connectivity.prose import glue, glue_say
from connectivity.stats import TestResult

from .common import glue_paper_values, scale_note
from .settings import QuestionSettings
from .trainings import load_mnist

SECTION_REGIONS = "How many pieces does each digit occupy?"


@dataclass
class QuestionResult:
    settings: QuestionSettings
    vae: TrainedVAE
    codes: torch.Tensor  # (10000, 2) latent means of the test images
    labels: torch.Tensor  # (10000,)
    regions: dict[int, int]  # digit -> regions
    split: TestResult


def question(settings: QuestionSettings) -> QuestionResult:
    """Train (or load) the VAE, encode the test images, count each digit's regions and
    test whether some digit is split."""
    mnist = load_mnist()
    vae = train_vae(mnist.train, settings.vae)
    codes = latent_means(vae.model, mnist.test.x)
    regions, split = split_test(
        codes, mnist.test.y, settings.n_subsamples, **asdict(settings.regions)
    )
    return QuestionResult(settings, vae, codes, mnist.test.y, regions, split)


def regions_table(result: QuestionResult) -> pd.DataFrame:
    return pd.DataFrame({"regions": result.regions}).rename_axis("digit").T


def latent_figure(result: QuestionResult):
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    plotting.latent_scatter(result.codes, result.labels, ax=ax, s=2)
    ax.legend(markerscale=4, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return fig


def loss_table(result: QuestionResult) -> pd.DataFrame:
    return (
        pd.DataFrame(
            {"epoch": range(1, len(result.vae.loss) + 1), "training loss": result.vae.loss}
        )
        .set_index("epoch")
        .T.round(2)
    )


def report(result: QuestionResult) -> dict[str, scorecard.Record]:
    """Scorecard records and the generated sentences of the page."""
    glue_paper_values()
    split_digits = [d for d, r in result.regions.items() if r > 1]
    rec = scorecard.test(
        "lancione.vae.some_digit_split",
        result.split,
        reproduced=max(result.regions.values()),
        section=SECTION_REGIONS,
        note=f"digits split: {', '.join(map(str, split_digits)) or 'none'}",
        split_digits=", ".join(map(str, split_digits)) or "none",
        most=max(result.regions.values()),
    )
    glue_say(
        rec,
        reproduced="In this build the VAE splits digit(s) {split_digits} (at most {most} "
        "regions), in the full codes and in most half-subsamples ({test}: p = {p:.2g}): as in "
        "the report's Fig. 1, a digit is cut into pieces.",
        differs="In this build no digit is split stably: most half-subsamples of the codes "
        "show no split digit ({test}: p = {p_opposite:.2g}; split in the full codes: "
        "{split_digits}), unlike the report's Fig. 1.",
        not_significant="In this build the evidence is weak either way: split in the full "
        "codes: {split_digits} (at most {most} regions); {test}: p = {p:.2f} for a stable "
        "split, {p_opposite:.2f} for none.",
        failed="The region count failed.",
    )
    nowhere = [str(d) for d, r in result.regions.items() if r == 0]
    glue(
        "vae_nowhere",
        f"Digit(s) {', '.join(nowhere)} are nowhere the majority of a cell: their codes lie "
        "inside other digits' regions (0 regions in the table)."
        if nowhere
        else "",
    )
    cfg, paper = result.settings.vae, VAEConfig()
    glue(
        "vae_scale",
        scale_note(cfg.epochs, paper.epochs, "training epochs", result.settings.profile),
    )
    glue("vae_loss_last", result.vae.loss[-1])
    return {"split": rec}
