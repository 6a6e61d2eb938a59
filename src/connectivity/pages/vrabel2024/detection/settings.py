"""Settings of the detection page (notebook ``vrabel2024/06_detection``): the data sets,
the attacks, the detectors' parameters and the benchmark's splits; defaults are the
benchmark's (the paper's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectivity.attacks import UntargetedConfig
from connectivity.paper_values.vrabel2024_adversarial import DATASET_NAMES
from connectivity.settings import ParameterError, Settings, param

from ...readers import CHECKPOINT_DOC, check_checkpoint, checkpoint_dict

MAHALANOBIS_ROWS = ("aligned", "shuffled")

# The benchmark's Mahalanobis noise magnitudes (extract_characteristics.py), added to the
# *normalised* input; "default" stands for the attacks not named.
BENCHMARK_MAGNITUDES = {
    "cifar10": {"fgsm": 0.0002, "cw": 0.00001, "default": 0.00005},
    "cifar100": {"fgsm": 0.005, "cw": 0.00001, "deepfool": 0.0005, "default": 0.01},
}


@dataclass(frozen=True)
class DetectionSettings(Settings):
    """Settings of the detection page; defaults are the benchmark's (the paper's)."""

    datasets: list[str] = param(
        ["cifar10", "cifar100"], doc="data sets, each with the classifiers chapter's VGG-16"
    )
    n_images: int = param(
        10_000,
        lo=20,
        hi=10_000,
        doc="correctly classified test images attacked per data set (at most; the "
        "benchmark attacks all of them)",
    )
    image_seed: int = param(0, lo=0, doc="which correctly classified test images")
    candidate_images: int | None = param(
        None,
        lo=1000,
        hi=10_000,
        doc="test images (drawn at random) searched for correctly classified ones; "
        "None: all, as the benchmark",
    )
    attacks: UntargetedConfig = param(
        UntargetedConfig(), doc="the five attacks (foolbox 3 defaults, C&W 1,000 steps)"
    )
    path_points: int = param(
        50, lo=2, hi=1000, doc="points on each loss curve (the paper does not say)"
    )
    reference_pool: int = param(
        50_000, lo=10, hi=50_000, doc="training images searched for each class's reference"
    )
    gaussian_train: int = param(
        50_000, lo=10, hi=50_000, doc="training images for the Mahalanobis class Gaussians"
    )
    lid_k: dict[str, int] = param(
        {"cifar10": 20, "cifar100": 10}, lo=1, doc="LID neighbours per data set (benchmark)"
    )
    lid_batch: int = param(100, lo=3, hi=10_000, doc="LID reference batch (benchmark)")
    mahalanobis_magnitude: dict[str, dict[str, float]] = param(
        BENCHMARK_MAGNITUDES, doc="Mahalanobis noise per data set and attack, normalised units"
    )
    mahalanobis_rows: str = param(
        "shuffled",
        doc="Mahalanobis rows in Table 1: 'aligned' (one image and its twin per row) or "
        "'shuffled' (the benchmark's loaders: every column in its own order); the other is "
        "shown beside",
    )
    spectral_svm: bool = param(
        True, doc="CIFAR-100 LayerMFS/PFS on DeepFool and C&W: the benchmark's SVM case"
    )
    standardise_baselines: bool = param(
        False, doc="standardise baseline features (the benchmark does not)"
    )
    knn_k: list[int] = param([1, 3, 5, 9, 15, 25, 51], lo=1, hi=1000, doc="KNN grid: k")
    knn_weights: list[str] = param(["uniform", "distance"], doc="KNN grid: weights")
    split_seed: int = param(42, doc="the benchmark's random_state of its splits")
    cross_validate: bool = param(
        False,
        doc="score on five folds (the benchmark's 80/20 split and four more), so every "
        "pair is tested once; False: the benchmark's single split",
    )
    n_boot: int = param(2000, lo=100, hi=100_000, doc="bootstrap resamples of paired tests")
    classifier_changes: dict = param(
        {},
        doc="changes to both VGGs' training settings (TrainConfig fields, e.g. {'seed': 1}: "
        "another training, the classifier-seed spread; trains on first use, a GPU's work)",
    )
    checkpoint: dict | None = param(
        None,
        doc=CHECKPOINT_DOC + "; CIFAR-10 or CIFAR-100 (the benchmark's), and datasets then "
        "that one",
    )
    detector_layers: list[str] | None = param(
        None,
        doc="with a checkpoint: the module paths whose outputs LID, Mahalanobis and the "
        "spectral detectors read (None: its architecture's, see study.detector_layers)",
    )
    refit_seeds: int = param(
        4,
        lo=0,
        hi=100,
        doc="refits of every Table 1 cell on the cached features, each with another "
        "fold-split and classifier seed: their spread enters the cell's tolerance (0: none)",
    )

    OVERRIDES = {
        "ci": {
            "n_images": 400,  # 1,000 took 25 min on 2 cores with the width-0.5 VGGs
            # one 80/20 split of ~400 pairs tests ~80: AUC standard errors up to 4.6 points;
            # five folds test all ~400 (up to ~2.1) at the cost of fitting 5x the detectors
            "cross_validate": True,
            "attacks": {"cw_steps": 50},
            "path_points": 16,
            "reference_pool": 5000,
            "gaussian_train": 10_000,
            "knn_k": [1, 3, 5, 9, 15, 25],
            # measured on 2 busy cores: a refit of every cell costs ~26 s (KNN ~19 s)
            "refit_seeds": 2,
        },
        "smoke": {
            "n_images": 40,
            "cross_validate": True,
            "attacks": {
                "bim_steps": 2,
                "pgd_steps": 2,
                "deepfool_steps": 3,
                "cw_steps": 4,
                "cw_binary_search_steps": 2,
            },
            "path_points": 4,
            "reference_pool": 1000,
            "gaussian_train": 1000,
            "lid_batch": 20,
            "knn_k": [1, 3],
            "n_boot": 200,
            "refit_seeds": 1,
        },
        "smoke-paper": {
            "n_images": 24,
            # a full-width VGG-16 forward pass over all 10,000 test images cost ~20 s per
            # data set; its random weights are right on ~1 % (one class) of 3,000 too
            "candidate_images": 3000,
            "attacks": {
                "bim_steps": 2,
                "pgd_steps": 2,
                "deepfool_steps": 2,
                "cw_steps": 3,
                "cw_binary_search_steps": 2,
                "batch_size": 24,
            },
            "path_points": 3,
            "reference_pool": 500,
            "gaussian_train": 500,
            "lid_batch": 12,
            "knn_k": [1, 3],
            "n_boot": 100,
        },
    }

    @classmethod
    def resolve(cls, profile: str = "paper", **overrides: Any):
        """As :meth:`Settings.resolve`; with a ``checkpoint`` and no ``datasets``, the
        checkpoint's data set."""
        if overrides.get("checkpoint") is not None and overrides.get("datasets") is None:
            ckpt = checkpoint_dict(overrides["checkpoint"])
            overrides = {**overrides, "datasets": [ckpt.get("dataset") or "cifar10"]}
        return super().resolve(profile, **overrides)

    def validate(self) -> None:
        if self.checkpoint is not None:
            if self.classifier_changes:
                raise ParameterError(
                    "classifier_changes retrains the book's VGGs; with a checkpoint the page "
                    "runs the reader's: leave classifier_changes out"
                )
            ckpt = checkpoint_dict(self.checkpoint)
            # the detectors hook its layers: an opaque program is refused
            check_checkpoint(ckpt, self.detector_layers or ["its detector layers"])
            dataset = ckpt.get("dataset") or "cifar10"
            if dataset not in DATASET_NAMES:
                raise ParameterError(
                    f"checkpoint.dataset: the benchmark runs on cifar10 or cifar100 (its "
                    f"training split gives the references), not {dataset!r}"
                )
            if list(self.datasets) != [dataset]:
                raise ParameterError(
                    f"datasets: a checkpoint is one classifier, of {dataset}: datasets "
                    f"[{dataset!r}] (or leave datasets out), got {self.datasets}"
                )
        elif self.detector_layers is not None:
            raise ParameterError(
                "detector_layers names a reader's layers: give a checkpoint too (the book's "
                "VGGs use their 13 ReLUs, as the benchmark)"
            )
        for ds in self.datasets:
            if ds not in DATASET_NAMES:
                raise ParameterError(f"the benchmark runs on cifar10 and cifar100, not {ds!r}")
            if ds not in self.lid_k or ds not in self.mahalanobis_magnitude:
                raise ParameterError(f"lid_k and mahalanobis_magnitude need an entry for {ds}")
        if self.mahalanobis_rows not in MAHALANOBIS_ROWS:
            raise ParameterError(
                f"mahalanobis_rows is one of {', '.join(MAHALANOBIS_ROWS)}, "
                f"not {self.mahalanobis_rows!r}"
            )
        if any(w not in ("uniform", "distance") for w in self.knn_weights):
            raise ParameterError("knn_weights are 'uniform' or 'distance'")

    def magnitude(self, dataset: str, attack: str) -> float:
        table = self.mahalanobis_magnitude[dataset]
        return table.get(attack, table["default"])
