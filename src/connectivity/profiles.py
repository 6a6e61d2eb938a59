"""Run profiles: every scale-dependent number of every notebook lives here.

``ci`` is what CI and the published book run on 2 CPU cores; ``paper`` is the
papers' own scale, meant for a GPU. A notebook's ``parameters`` cell names the
profile and may override single values (``None`` = take the profile's value),
so ``papermill nb.ipynb out.ipynb -p profile paper -p epochs 3`` works.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

PROFILE_NAMES = ("ci", "paper")

# chapter -> profile -> values. Values may be dicts (one model's settings).
# The detection benchmark's attack settings (Harder et al. 2021, foolbox 3 defaults);
# the profiles differ only in the number of C&W steps.
DETECTION_ATTACKS = {"eps": 0.03, "bim_steps": 10, "bim_rel_stepsize": 0.2, "pgd_steps": 50,
                     "pgd_rel_stepsize": 0.01 / 0.3, "deepfool_steps": 50, "deepfool_overshoot": 0.02,
                     "deepfool_candidates": 10, "cw_c": 1.0, "cw_lr": 0.01, "cw_kappa": 0.0}

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "classifiers": {
        "ci": {
            "cifar10_resnet": dict(dataset="cifar10", arch="cifar_resnet", arch_kwargs={"blocks": [1, 1, 1, 1], "width": 16},
                                   epochs=5, batch_size=128, optimizer="sgd", lr=0.2, weight_decay=5e-4,
                                   schedule="onecycle", label_smoothing=0.0, augment=True, seed=0),
            "cifar10_vgg": dict(dataset="cifar10", arch="cifar_vgg16_bn", arch_kwargs={"width": 0.25},
                                epochs=3, batch_size=128, optimizer="sgd", lr=0.1, weight_decay=5e-4,
                                schedule="onecycle", label_smoothing=0.0, augment=True, seed=0),
            "cifar100_vgg": dict(dataset="cifar100", arch="cifar_vgg16_bn", arch_kwargs={"width": 0.25},
                                 epochs=3, batch_size=128, optimizer="sgd", lr=0.1, weight_decay=5e-4,
                                 schedule="onecycle", label_smoothing=0.0, augment=True, seed=0),
            "n_examples": 16,
        },
        "paper": {
            # Gu & Borovykh: ImageNet ResNet50 fine-tuned on CIFAR-10 with Adam (inputs resized to 224).
            "cifar10_resnet": dict(dataset="cifar10", arch="resnet50", arch_kwargs={"pretrained": True, "resize": 224},
                                   epochs=3, batch_size=64, optimizer="adam", lr=1e-4, weight_decay=0.0,
                                   schedule="constant", label_smoothing=0.0, augment=True, seed=0),
            # Harder et al. 2021: VGG-16 (BN), SGD lr 0.1, 50 epochs.
            "cifar10_vgg": dict(dataset="cifar10", arch="cifar_vgg16_bn", arch_kwargs={"width": 1.0},
                                epochs=50, batch_size=128, optimizer="sgd", lr=0.1, weight_decay=5e-4,
                                schedule="step", label_smoothing=0.0, augment=True, seed=0),
            "cifar100_vgg": dict(dataset="cifar100", arch="cifar_vgg16_bn", arch_kwargs={"width": 1.0},
                                 epochs=50, batch_size=128, optimizer="sgd", lr=0.1, weight_decay=5e-4,
                                 schedule="step", label_smoothing=0.0, augment=True, seed=0),
            "n_examples": 16,
        },
    },
    "lancione": {
        # The study's own settings for the digits 1 vs 2 analysis are the defaults of both profiles;
        # ci shortens only the 45-pair survey, the VAE and the extensions.
        "ci": {
            "digits": [1, 2], "subset": "faithful", "n_seeds": 10, "batch_size": 8, "lr": 1e-2,
            "weight_decay": 1e-6, "noise": 0.3, "epochs_ae": 20, "epochs_dae": 20, "epochs_pca": 25,
            "pairs_epochs": 3, "pairs_epochs_pca": 5, "vae_epochs": 5, "classifier_epochs": 2, "relu_seeds": 5,
            "sweep_dims": [2, 4, 8, 16], "sweep_seeds": 3, "sweep_epochs": 8,
        },
        "paper": {
            "digits": [1, 2], "subset": "faithful", "n_seeds": 10, "batch_size": 8, "lr": 1e-2,
            "weight_decay": 1e-6, "noise": 0.3, "epochs_ae": 20, "epochs_dae": 20, "epochs_pca": 25,
            "pairs_epochs": 20, "pairs_epochs_pca": 25, "vae_epochs": 30, "classifier_epochs": 5, "relu_seeds": 10,
            "sweep_dims": [2, 4, 8, 16], "sweep_seeds": 10, "sweep_epochs": 20,
        },
    },
    "gu2023": {
        # Spaces: the paper's "original", "intermediate" (first hidden = first residual stage)
        # and "last" (pooled penultimate features); depth_layers: every stage, beyond the paper.
        "ci": {
            "n_pairs": 25, "pair_seeds": [0, 1, 2], "n_linear": 200,
            "spaces": {"original": "input", "intermediate": "stage1", "last": "pool"},
            "depth_layers": ["input", "stem", "stage1", "stage2", "stage3", "stage4", "pool"],
            "neb": {"n_pivots": 12, "steps": 100, "lr": 0.01, "spring": 1.0, "optimizer": "adam",
                    "climbing": False},
            "per_segment": 10, "check_every": 1,
            "decoder_train_images": 10_000,
            "intermediate_decoder": {"width": 32, "blocks": 2, "epochs": 2, "batch_size": 32},
            "last_decoder": {"widths": [64, 64, 32, 32], "blocks": 1, "epochs": 3, "batch_size": 128},
            "strip_points": 8,
        },
        "paper": {
            "n_pairs": 25, "pair_seeds": [0, 1, 2], "n_linear": 1000,
            "spaces": {"original": "input", "intermediate": "layer1", "last": "flatten"},
            "depth_layers": ["input", "maxpool", "layer1", "layer2", "layer3", "layer4", "flatten"],
            "neb": {"n_pivots": 20, "steps": 500, "lr": 0.01, "spring": 1.0, "optimizer": "adam",
                    "climbing": False},
            "per_segment": 20, "check_every": 1,
            "decoder_train_images": 50_000,
            "intermediate_decoder": {"width": 256, "blocks": 3, "epochs": 10, "batch_size": 32},
            "last_decoder": {"widths": [512, 256, 256, 256], "blocks": 3, "epochs": 5, "batch_size": 128},
            "strip_points": 10,
        },
    },
    "vrabel2024": {
        "ci": {
            "n_pairs": 20, "mode_max_loss": 0.01, "pair_seed": 0,
            "bypass": {"lr": 0.005, "iterations": 1024, "lambda_mse": 0.1, "lambda_hf": 1e-8, "n_linear": 1000,
                       "per_segment": 500, "threshold": 0.1, "max_rounds": 3},
            "lens_pairs": 10,
            "synthetic_classes": [0, 3, 8],
            "synthetic_natural": {"lr": 0.05, "weight_decay": 0.0, "iterations": 400, "threshold": 1e-3,
                                  "init_offset": 0.5, "init_scale": 0.01, "clamp": True, "jitter": 2},
            "synthetic_natural_tv": 3e-4,
            "synthetic_hf": {"lr": 0.05, "weight_decay": 0.0, "iterations": 400, "threshold": 1e-3,
                             "init_offset": 0.5, "init_scale": 0.01, "clamp": False, "jitter": 0},
            "untrained_arch": {"arch": "cifar_resnet", "blocks": [1, 1, 1, 1], "width": 16},
            "untrained_pairs": 2,
            "untrained_synthesis": {"lr": 0.05, "weight_decay": 1e-7, "iterations": 1500, "threshold": 5e-4,
                                    "init_offset": 0.0, "init_scale": 0.01, "clamp": False, "jitter": 0},
            "untrained_tv": 2.5e-7,
            "untrained_barrier_iterations": 1000, "untrained_rounds": 2, "untrained_per_segment": 200,
            "untrained_threshold": 5e-3,
            "adv_pairs_per_class": 4, "adv_drop": 1, "adv_steps": 250, "adv_mode_max_loss": 0.01, "adv_seed": 0,
            "adv_attack": {"lr": 0.005, "iterations": 512, "lambda_mse": 0.1, "lambda_hf": 1e-8},
            "adv_bypass_rounds": 3,
            "det_datasets": ["cifar10", "cifar100"],
            "det_benchmark": {"n_images": 300, "seed": 0, "path_points": 16, "reference_pool": 5000,
                              "gaussian_train": 5000, "lid_k": 20, "lid_batch": 100, "split_seed": 42},
            "det_attack": {**DETECTION_ATTACKS, "cw_steps": 50},
            "det_knn_k": [1, 3, 5, 9, 15, 25], "det_knn_weights": ["uniform", "distance"],
            "evolution_model": dict(dataset="cifar10", arch="cifar_resnet", arch_kwargs={"blocks": [1, 1, 1, 1], "width": 16},
                                    epochs=3, batch_size=512, optimizer="adam", lr=1e-3, weight_decay=0.0,
                                    schedule="constant", label_smoothing=0.0, augment=False, train_subset=5_000,
                                    seed=0),
            "evolution_batches": [1, 2, 5], "evolution_epochs": [1, 2, 3],
            "evolution_pairs_per_class": 1, "evolution_points": 100,
            "evolution_synthesis": {"lr": 0.05, "weight_decay": 0.0, "iterations": 100, "threshold": 1e-3,
                                    "init_offset": 0.5, "init_scale": 0.01, "clamp": False, "jitter": 0},
            "perc_sizes": [16, 32, 64], "perc_samples": 100, "perc_pc_size": 128, "perc_pc_samples": 100,
            "perc_3d_size": 24, "perc_3d_samples": 40,
            "mf_dims": [2, 3, 4, 5, 6], "mf_sites": 60_000,
            "conj_dims": [2, 3, 8, 32, 128, 512, 3072], "conj_pairs": 40, "conj_eps": 0.05,
            "conj_grid": {"2": 301, "3": 61}, "conj_rounds": 4, "conj_iterations": 200,
        },
        "paper": {
            "n_pairs": 100, "mode_max_loss": 1e-4, "pair_seed": 0,
            "bypass": {"lr": 0.005, "iterations": 1024, "lambda_mse": 0.1, "lambda_hf": 1e-8, "n_linear": 1000,
                       "per_segment": 500, "threshold": 0.1, "max_rounds": 5},
            "lens_pairs": 25,
            "synthetic_classes": [0, 3, 8],
            "synthetic_natural": {"lr": 0.05, "weight_decay": 0.0, "iterations": 2048, "threshold": 1e-4,
                                  "init_offset": 0.5, "init_scale": 0.01, "clamp": True, "jitter": 2},
            "synthetic_natural_tv": 3e-4,
            "synthetic_hf": {"lr": 0.05, "weight_decay": 0.0, "iterations": 2048, "threshold": 1e-4,
                             "init_offset": 0.5, "init_scale": 0.01, "clamp": False, "jitter": 0},
            "untrained_arch": {"arch": "resnet18"},
            "untrained_pairs": 5,
            "untrained_synthesis": {"lr": 0.05, "weight_decay": 1e-7, "iterations": 8192, "threshold": 5e-4,
                                    "init_offset": 0.0, "init_scale": 0.01, "clamp": False, "jitter": 0},
            "untrained_tv": 2.5e-7,
            "untrained_barrier_iterations": 4096, "untrained_rounds": 2, "untrained_per_segment": 200,
            "untrained_threshold": 5e-4,
            "adv_pairs_per_class": 7, "adv_drop": 2, "adv_steps": 250, "adv_mode_max_loss": 1e-3, "adv_seed": 0,
            "adv_attack": {"lr": 0.005, "iterations": 512, "lambda_mse": 0.1, "lambda_hf": 1e-8},
            "adv_bypass_rounds": 5,
            "det_datasets": ["cifar10", "cifar100"],
            "det_benchmark": {"n_images": 5000, "seed": 0, "path_points": 50, "reference_pool": 50_000,
                              "gaussian_train": 50_000, "lid_k": 20, "lid_batch": 100, "split_seed": 42},
            "det_attack": {**DETECTION_ATTACKS, "cw_steps": 1000},
            "det_knn_k": [1, 3, 5, 9, 15, 25, 51], "det_knn_weights": ["uniform", "distance"],
            "evolution_model": dict(dataset="cifar10", arch="resnet18", arch_kwargs={},
                                    epochs=30, batch_size=512, optimizer="adam", lr=1e-3, weight_decay=0.0,
                                    schedule="constant", label_smoothing=0.0, augment=False, seed=0),
            "evolution_batches": list(range(1, 31)), "evolution_epochs": list(range(1, 31)),
            "evolution_pairs_per_class": 5, "evolution_points": 250,
            "evolution_synthesis": {"lr": 0.05, "weight_decay": 1e-7, "iterations": 4096, "threshold": 5e-4,
                                    "init_offset": 0.0, "init_scale": 0.01, "clamp": False, "jitter": 0},
            "perc_sizes": [32, 64, 128], "perc_samples": 400, "perc_pc_size": 256, "perc_pc_samples": 400,
            "perc_3d_size": 48, "perc_3d_samples": 100,
            "mf_dims": [2, 3, 4, 5, 6, 7], "mf_sites": 500_000,
            "conj_dims": [2, 3, 8, 32, 128, 512, 3072], "conj_pairs": 200, "conj_eps": 0.05,
            "conj_grid": {"2": 1001, "3": 151}, "conj_rounds": 8, "conj_iterations": 500,
        },
    },
}

# Allowed ranges of plain numeric values, by name (checked for every chapter).
LIMITS: dict[str, tuple[float, float]] = {
    "n_examples": (1, 100),
    "n_pairs": (1, 100_000),
    "n_seeds": (1, 100),
    "epochs": (1, 1000),
    "batch_size": (1, 100_000),
    "noise": (0.0, 10.0),
    "lr": (1e-8, 10.0),
    "weight_decay": (0.0, 1.0),
    "epochs_ae": (1, 1000), "epochs_dae": (1, 1000), "epochs_pca": (1, 1000), "pairs_epochs": (1, 1000),
    "pairs_epochs_pca": (1, 1000), "vae_epochs": (1, 1000), "classifier_epochs": (1, 1000),
    "sweep_seeds": (1, 100), "sweep_epochs": (1, 1000), "relu_seeds": (2, 100),
    "n_linear": (2, 100_000), "per_segment": (1, 10_000), "check_every": (1, 10_000),
    "decoder_train_images": (1, 50_000), "strip_points": (2, 50), "mode_max_loss": (0.0, 100.0),
    "lens_pairs": (1, 10_000), "untrained_pairs": (1, 1000), "untrained_barrier_iterations": (0, 100_000),
    "untrained_rounds": (0, 20), "perc_samples": (1, 100_000), "perc_pc_size": (4, 4096),
    "perc_pc_samples": (1, 100_000), "perc_3d_size": (4, 512), "perc_3d_samples": (1, 100_000),
    "mf_sites": (100, 100_000_000), "conj_pairs": (1, 100_000), "conj_eps": (1e-6, 1.0), "conj_rounds": (0, 100),
    "conj_iterations": (0, 100_000), "adv_pairs_per_class": (2, 1000), "adv_drop": (0, 999),
    "adv_steps": (3, 100_000), "adv_mode_max_loss": (0.0, 100.0), "adv_bypass_rounds": (0, 20), "evolution_pairs_per_class": (1, 1000), "evolution_points": (3, 100_000), "untrained_per_segment": (3, 10_000), "untrained_threshold": (0.0, 100.0),
}


def model_config(values: dict):
    """A :class:`~connectivity.training.TrainConfig` from a profile's model entry."""
    from .training import TrainConfig

    cfg = TrainConfig(**values)
    cfg.validate()
    return cfg


def resolve(chapter: str, profile: str, **overrides: Any) -> SimpleNamespace:
    """The parameters of ``chapter`` under ``profile``, with non-``None`` overrides.

    Raises ``ValueError`` for an unknown chapter, profile or parameter name, or a
    value out of its allowed range, before any expensive work starts.
    """
    if chapter not in PROFILES:
        raise ValueError(f"unknown chapter {chapter!r}; known: {', '.join(PROFILES)}")
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILE_NAMES)}")
    values = dict(PROFILES[chapter][profile])
    for key, value in overrides.items():
        if key not in values:
            raise ValueError(f"unknown parameter {key!r} for {chapter}; known: {', '.join(sorted(values))}")
        if value is not None:
            if isinstance(values[key], dict) and isinstance(value, dict):
                value = {**values[key], **value}  # partial override of one model's settings
            values[key] = value
    for key, value in values.items():
        if key in LIMITS and isinstance(value, (int, float)):
            lo, hi = LIMITS[key]
            if not lo <= value <= hi:
                raise ValueError(f"parameter {key}={value} out of range [{lo}, {hi}]")
    return SimpleNamespace(profile=profile, **values)


def shared_classifier(profile: str, key: str = "cifar10_resnet", override: dict | None = None):
    """The classifiers chapter's model ``key`` for ``profile`` (trained, or loaded from the
    cache), with an optional partial override of its training settings."""
    from .training import train_classifier

    return train_classifier(model_config(getattr(resolve("classifiers", profile, **{key: override}), key)))
