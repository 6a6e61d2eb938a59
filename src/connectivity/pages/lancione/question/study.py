"""What the question page computes: the VAE trained (or loaded) on all ten digits, the
latent means of the test images, and the regions each digit occupies there."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch

from connectivity.latent.metrics import split_test
from connectivity.latent.vae import TrainedVAE, latent_means, train_vae
from connectivity.stats import TestResult

from ..trainings import load_mnist
from .settings import QuestionSettings


@dataclass
class QuestionStudy:
    settings: QuestionSettings
    vae: TrainedVAE
    codes: torch.Tensor  # (10000, 2) latent means of the test images
    labels: torch.Tensor  # (10000,)
    regions: dict[int, int]  # digit -> regions
    split: TestResult


def run(settings: QuestionSettings) -> QuestionStudy:
    """Train (or load) the VAE, encode the test images, count each digit's regions and
    test whether some digit is split."""
    mnist = load_mnist()
    vae = train_vae(mnist.train, settings.vae)
    codes = latent_means(vae.model, mnist.test.x)
    regions, split = split_test(
        codes, mnist.test.y, settings.n_subsamples, **asdict(settings.regions)
    )
    return QuestionStudy(settings, vae, codes, mnist.test.y, regions, split)
