"""What the results page computes: silhouettes of the study's trainings (loaded from the
cache the methods page fills), how much a layout depends on the seed, and the survey
of all digit pairs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

from connectivity.latent.collapse import saturated_coordinates
from connectivity.latent.digit_pairs import DigitPair
from connectivity.latent.metrics import procrustes_disparity, silhouette_score
from connectivity.latent.pca import fit_pca
from connectivity.latent.stacked import TrainedStack, encode_each

from ..trainings import Survey, load_mnist, run_survey, study_runs
from .settings import ResultsSettings


@dataclass
class LayoutPair:
    """Two trainings compared by layout and by score, each also against its reference
    for unrelated layouts, so the two changes are on one scale (0: the same, 1: as
    different as unrelated layouts)."""

    model: str
    trainings: tuple[int, int]
    disparity: float  # Procrustes disparity of the two trainings' codes
    relative_silhouette_change: float  # |s_a - s_b| / mean(s_a, s_b)
    disparity_unrelated: float  # the same with the points of one layout shuffled (~1)
    silhouette_change_unrelated: float  # mean |s - s(labels shuffled)| of the two (~s)
    silhouette_change: float  # |s_a - s_b|

    @property
    def layout_change(self) -> float:
        return self.disparity / self.disparity_unrelated

    @property
    def score_change(self) -> float:
        return self.silhouette_change / self.silhouette_change_unrelated


@dataclass
class ResultsStudy:
    settings: ResultsSettings
    pair: DigitPair
    runs: dict[str, TrainedStack]
    codes: dict[str, list[torch.Tensor]]  # validation codes per model and training
    silhouettes: dict[str, np.ndarray]  # "PCA" = the study's linear autoencoders
    # per training: a code coordinate pinned at tanh's bound (a binary code, screened from
    # the statistics compared with the report); never for the linear code
    saturated: dict[str, np.ndarray]
    sil_pca: float  # closed-form PCA
    pca_val_mse: float  # closed-form PCA's reconstruction MSE on the validation images
    layouts: list[LayoutPair]  # every pair of trainings of AE and DAE
    survey: Survey

    def disjoint_layouts(self) -> list[LayoutPair]:
        """Pairs of trainings (0, 1), (2, 3), ... of each model: independent comparisons."""
        return [
            lp
            for lp in self.layouts
            if lp.trainings[0] % 2 == 0 and lp.trainings[1] == lp.trainings[0] + 1
        ]


def saturated_trainings(codes: dict[str, list[torch.Tensor]]) -> dict[str, np.ndarray]:
    """Per model and training: whether a code coordinate is pinned at tanh's bound (never
    for the linear autoencoder, "PCA")."""
    return {
        m: np.array([m != "PCA" and saturated_coordinates(z) > 0 for z in zs], dtype=bool)
        for m, zs in codes.items()
    }


def layout_pairs(
    codes: dict[str, list[torch.Tensor]],
    sils: dict[str, np.ndarray],
    labels: torch.Tensor,
    n_seeds: int,
) -> list[LayoutPair]:
    """Every pair of trainings of the AE and of the DAE, compared by layout and by score,
    each against unrelated layouts (one layout's points shuffled, or the labels)."""
    layouts = []
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(len(labels))  # unrelated: no point or label matches
    for model in ("AE", "DAE"):
        unrelated = [
            abs(s - silhouette_score(z, labels[shuffled]))
            for z, s in zip(codes[model], sils[model])
        ]
        for i, j in itertools.combinations(range(n_seeds), 2):
            si, sj = sils[model][i], sils[model][j]
            layouts.append(
                LayoutPair(
                    model,
                    (i, j),
                    procrustes_disparity(codes[model][i], codes[model][j]),
                    abs(si - sj) / ((si + sj) / 2),
                    procrustes_disparity(codes[model][i], codes[model][j][shuffled]),
                    (unrelated[i] + unrelated[j]) / 2,
                    abs(si - sj),
                )
            )
    return layouts


def run(settings: ResultsSettings) -> ResultsStudy:
    """Everything the results page shows."""
    torch.manual_seed(0)
    mnist = load_mnist()
    pair = mnist.pair(settings.digits, settings.training.subset)
    runs = study_runs(pair, settings.training, settings.n_seeds)
    codes = {m: encode_each(r.model, [pair.x_val] * r.model.n_models) for m, r in runs.items()}
    sils = {m: np.array([silhouette_score(z, pair.y_val) for z in zs]) for m, zs in codes.items()}
    saturated = saturated_trainings(codes)
    pca = fit_pca(pair.x_train, 2)
    pca_codes = pca.transform(pair.x_val)
    layouts = layout_pairs(codes, sils, pair.y_val, settings.n_seeds)
    return ResultsStudy(
        settings,
        pair,
        runs,
        codes,
        sils,
        saturated,
        silhouette_score(pca_codes, pair.y_val),
        float(((pca.reconstruct(pair.x_val) - pair.x_val.double()) ** 2).mean()),
        layouts,
        run_survey(mnist, settings.training, settings.survey),
    )
