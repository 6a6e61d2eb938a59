"""What the question page computes: the VAE on all ten digits (committed, or trained at
toy size), the report's Fig. 1 rebuilt - the decoded grid read by the chapter's digit
judge and the regions of each predicted digit - and, beyond the report, the regions each
digit's encoded test images occupy."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch

from connectivity.latent.decoded_grid import decode_grid, grid_regions
from connectivity.latent.judge import Judge
from connectivity.latent.metrics import split_test
from connectivity.latent.vae import TrainedVAE, latent_means, train_vae
from connectivity.latent.vae_store import load_committed
from connectivity.stats import TestResult

from ..judge import digit_judge
from ..trainings import load_mnist
from .settings import QuestionSettings

# A region of the decoded grid counts when it holds at least this many images: one
# image is what a single misreading by the judge makes (its test error is about 1 %, a
# few of the 400 cells), so a single cell is not evidence of a region of the latent space
MIN_REGION_CELLS = 2


@dataclass
class DecodedGrid:
    """The report's Fig. 1: images decoded on the quantile grid and the judge's reading."""

    z: np.ndarray  # (n,) the grid's coordinates, norm.ppf((i + 0.5) / n)
    images: torch.Tensor  # (n, n, 784): row i at z_2 = z[i], column j at z_1 = z[j]
    digits: np.ndarray  # (n, n) the judge's digit per image
    confidence: np.ndarray  # (n, n) the judge's probability of that digit
    regions: dict[int, list[int]]  # predicted digit -> sizes (cells) of its 4-connected regions

    @property
    def split(self) -> dict[int, list[int]]:
        """The predicted digits that occupy two or more regions of at least
        :data:`MIN_REGION_CELLS` images each, with the sizes of all their regions."""
        return {
            d: sizes
            for d, sizes in self.regions.items()
            if sum(s >= MIN_REGION_CELLS for s in sizes) > 1
        }

    @property
    def single_cells(self) -> dict[int, int]:
        """Per digit, its regions of fewer than :data:`MIN_REGION_CELLS` images (judge
        misreadings, not counted), where it has any besides its main region."""
        return {
            d: sum(s < MIN_REGION_CELLS for s in sizes)
            for d, sizes in self.regions.items()
            if len(sizes) > 1 and sum(s < MIN_REGION_CELLS for s in sizes)
        }


@dataclass
class QuestionStudy:
    settings: QuestionSettings
    vae: TrainedVAE
    committed: bool  # the VAE came from the committed models (ci, paper)
    judge: Judge
    decoded: DecodedGrid
    codes: torch.Tensor  # (10000, 2) latent means of the test images
    labels: torch.Tensor  # (10000,)
    regions: dict[int, int]  # digit -> regions of its encoded test images
    split: TestResult


@torch.no_grad()
def read_grid(vae: TrainedVAE, judge: Judge, side: int) -> DecodedGrid:
    """Decode the ``side`` x ``side`` quantile grid, let the judge read every image and
    count the 4-connected regions of each predicted digit."""
    z, images = decode_grid(vae.model.decoder, side)
    prob = torch.softmax(judge.model(images.reshape(side * side, -1)), dim=1)
    conf, digits = prob.max(1)
    digits = digits.reshape(side, side).numpy()
    return DecodedGrid(z, images, digits, conf.reshape(side, side).numpy(), grid_regions(digits))


def run(settings: QuestionSettings) -> QuestionStudy:
    """Load (or train) the VAE and the digit judge, read the decoded grid, encode the
    test images, count each digit's regions there and test whether some digit is split."""
    mnist = load_mnist()
    vae = load_committed(settings.vae)  # ci, paper: the report's 30 epochs, verified
    committed = vae is not None
    vae = vae or train_vae(mnist.train, settings.vae)
    judge = digit_judge(mnist, settings.judge_epochs)
    decoded = read_grid(vae, judge, settings.decoded_side)
    codes = latent_means(vae.model, mnist.test.x)
    regions, split = split_test(
        codes, mnist.test.y, settings.n_subsamples, **asdict(settings.regions)
    )
    return QuestionStudy(
        settings, vae, committed, judge, decoded, codes, mnist.test.y, regions, split
    )
