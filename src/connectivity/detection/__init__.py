"""Adversarial detection: the baselines of the benchmark of Harder et al. (2021) and the
mode-connectivity detector of Vrabel et al. (2024, §4.2.1).

Every feature function maps images (n, C, H, W) with pixels in [0, 1] to a float32
numpy matrix (n, d), running on the model's device; :func:`evaluate` trains the
benchmark's classifier on clean (label 0) versus adversarial (label 1) features with the
benchmark's splits and scores it as ``detect_adversarials.py`` does: accuracy of
``predict`` and AUC of ``predict_proba`` on the test split (or, with
``cross_validate``, on five folds that begin with the benchmark's split and together test
every pair once: :func:`detection_splits`).

The layer-based detectors read the outputs of the network's ReLUs. They need a model
whose ReLUs are reachable by flattening nested ``nn.Sequential`` containers (the VGG nets
of :mod:`connectivity.models`); the benchmark's layers are "all 13 ReLUs of VGG-16" (LID,
Mahalanobis) and "every second one from the third" (spectral; only the last one for
CIFAR-100 DeepFool and C&W).

One detector per module, every name importable from here:

* :mod:`.mode_connectivity` - the path-loss features of Vrabel et al. §4.2.1;
* :mod:`.lid` - local intrinsic dimensionality (Ma et al. 2018);
* :mod:`.mahalanobis` - Mahalanobis confidence scores (Lee et al. 2018);
* :mod:`.spectral` - InputMFS/PFS and LayerMFS/PFS (Fourier spectra);
* :mod:`.layers` - the ReLU outputs the layer-based detectors read;
* :mod:`.splits` - the benchmark's train/validation/test splits and the five folds;
* :mod:`.evaluation` - the classifiers that read the features, their scores (per fold,
  and their mean), the KNN choice, the spread of refits;
* :mod:`.comparison` - paired bootstraps of AUC differences, "beats every baseline".

Example::

    feats = path_loss_features(model, x, references, n_points=16)   # a PathFeatures
    feats.part("both")                                                # (n, 16 + classes)
    score = evaluate(clean_feats, adv_feats, ClassifierSpec("logistic"))
    score.accuracy, score.auc                                          # in %
"""

from .comparison import beats_all_test, paired_bootstrap_auc
from .evaluation import (
    MIN_PAIRS,
    REFIT_VARIED,
    ClassifierSpec,
    DetectionScore,
    RefitSpread,
    describe_specs,
    evaluate,
    mean_of_folds,
    refit_spread,
    refit_tuned_knn,
    tune_knn,
)
from .layers import Tapped, flat_layers, relu_outputs, relu_positions
from .lid import _mle_lid as _mle_lid  # used by the tests
from .lid import lid_features
from .mahalanobis import (
    ClassGaussians,
    benchmark_row_shuffle,
    fit_class_gaussians,
    mahalanobis_features,
)
from .mahalanobis import _gaussian_scores as _gaussian_scores  # used by the tests
from .mode_connectivity import (
    FEATURE_PARTS,
    MODE_CONNECTIVITY,
    PathFeatures,
    path_loss_features,
    reference_images,
)
from .spectral import (
    LAST_RELU,
    SPECTRAL_RELUS,
    fourier_spectrum,
    input_spectrum_features,
    layer_spectrum_features,
)
from .splits import FOLDS, benchmark_splits, detection_splits

DETECTORS = ("lid", "mahalanobis", "inputmfs", "layermfs", "layerpfs", MODE_CONNECTIVITY)
BASELINES = DETECTORS[:-1]

__all__ = [
    "BASELINES",
    "DETECTORS",
    "FEATURE_PARTS",
    "FOLDS",
    "LAST_RELU",
    "MIN_PAIRS",
    "MODE_CONNECTIVITY",
    "PathFeatures",
    "REFIT_VARIED",
    "RefitSpread",
    "SPECTRAL_RELUS",
    "ClassGaussians",
    "ClassifierSpec",
    "DetectionScore",
    "beats_all_test",
    "benchmark_row_shuffle",
    "benchmark_splits",
    "describe_specs",
    "detection_splits",
    "evaluate",
    "fit_class_gaussians",
    "Tapped",
    "flat_layers",
    "fourier_spectrum",
    "input_spectrum_features",
    "layer_spectrum_features",
    "lid_features",
    "mahalanobis_features",
    "mean_of_folds",
    "paired_bootstrap_auc",
    "path_loss_features",
    "reference_images",
    "refit_spread",
    "refit_tuned_knn",
    "relu_outputs",
    "relu_positions",
    "tune_knn",
]
