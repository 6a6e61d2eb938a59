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

Example::

    feats = path_loss_features(model, x, references, n_points=16)   # (n, 16 + classes)
    score = evaluate(clean_feats, adv_feats, ClassifierSpec("logistic"))
    score.accuracy, score.auc                                          # in %
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC
from torch import nn

from ..models import model_device, split_normalisation
from ..stats import TestResult

MODE_CONNECTIVITY = "mode_connectivity"
DETECTORS = ("lid", "mahalanobis", "inputmfs", "layermfs", "layerpfs", MODE_CONNECTIVITY)
BASELINES = DETECTORS[:-1]
# Indices into the list of ReLUs of VGG-16 used by the benchmark's spectral detectors
# (its feature-module indices 9, 16, 22, 29, 36, 42).
SPECTRAL_RELUS = (2, 4, 6, 8, 10, 12)
LAST_RELU = (12,)
MIN_PAIRS = 10  # fewer clean/adversarial pairs than this cannot be split and scored
FOLDS = 5  # cross-validated: the benchmark tests 20 %, so five such parts test every pair


# ---------------------------------------------------------------- layer outputs


def flat_layers(model: nn.Module) -> list[nn.Module]:
    """The modules of nested ``nn.Sequential`` containers, in execution order."""
    if isinstance(model, nn.Sequential):
        return [m for child in model for m in flat_layers(child)]
    return [model]


def relu_positions(model: nn.Module) -> list[int]:
    """Positions in :func:`flat_layers` of the model's ReLUs."""
    pos = [i for i, m in enumerate(flat_layers(model)) if isinstance(m, nn.ReLU)]
    if not pos:
        raise ValueError(
            "the model has no top-level ReLU in its nn.Sequential structure; "
            "layer-based detectors need a VGG-style network"
        )
    return pos


def relu_outputs(model: nn.Module, x: torch.Tensor, relus: list[int]) -> list[torch.Tensor]:
    """Outputs of the chosen ReLUs (indices into :func:`relu_positions`) for a batch
    x (n, C, H, W): a list of (n, C_l, H_l, W_l) tensors, in the order of ``relus``.
    The forward pass stops after the last one needed."""
    layers, pos = flat_layers(model), relu_positions(model)
    wanted = {pos[r]: j for j, r in enumerate(relus)}
    out: list[torch.Tensor | None] = [None] * len(relus)
    h = x
    for i, layer in enumerate(layers[: max(wanted) + 1]):
        h = layer(h)
        if i in wanted:
            out[wanted[i]] = h
    return out  # type: ignore[return-value]


def _batches(n: int, size: int):
    for s in range(0, n, size):
        yield s, min(n, s + size)


# ---------------------------------------------------------------- mode connectivity


@torch.no_grad()
def reference_images(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int, batch_size: int = 1000
) -> torch.Tensor:
    """The lowest-loss image of each class (the cross-entropy of its own label): x
    (N, C, H, W), y (N,) -> (num_classes, C, H, W) on the CPU. Raises if a class is absent."""
    model.eval()
    device = model_device(model)
    losses = torch.cat(
        [
            F.cross_entropy(model(x[s:e].to(device)), y[s:e].to(device), reduction="none").cpu()
            for s, e in _batches(len(x), batch_size)
        ]
    )
    refs = []
    for c in range(num_classes):
        members = torch.nonzero(y == c).flatten()
        if len(members) == 0:
            raise ValueError(
                f"no image of class {c} to serve as its reference; use a larger reference pool"
            )
        refs.append(x[members[losses[members].argmin()]])
    return torch.stack(refs)


@torch.no_grad()
def path_loss_features(
    model: nn.Module,
    x: torch.Tensor,
    references: torch.Tensor,
    n_points: int,
    batch_size: int = 100,
) -> np.ndarray:
    """The mode-connectivity detector's features (Vrabel et al. §4.2.1): for each image
    x (n, C, H, W), the cross-entropy of its predicted class c at ``n_points`` evenly
    spaced points of the straight path from x to ``references[c]``, followed by its
    logits sorted in descending order -> (n, n_points + num_classes)."""
    if n_points < 2:
        raise ValueError("n_points must be at least 2")
    model.eval()
    device = model_device(model)
    refs = references.to(device)
    t = torch.linspace(0, 1, n_points, device=device).view(1, n_points, 1, 1, 1)
    feats = []
    for s, e in _batches(len(x), batch_size):
        xb = x[s:e].to(device)
        logits = model(xb)
        pred = logits.argmax(1)
        path = (1 - t) * xb.unsqueeze(1) + t * refs[pred].unsqueeze(1)  # (b, n_points, C, H, W)
        out = model(path.flatten(0, 1))
        loss = F.cross_entropy(out, pred.repeat_interleave(n_points), reduction="none")
        sorted_logits = logits.sort(1, descending=True).values
        feats.append(torch.cat([loss.view(-1, n_points), sorted_logits], 1).cpu())
    return torch.cat(feats).numpy().astype(np.float32)


FEATURE_PARTS = ("both", "curve", "logits")


def feature_part(features: np.ndarray, n_points: int, part: str) -> np.ndarray:
    """Columns of :func:`path_loss_features` for the ablation: ``"curve"`` (the loss
    curve), ``"logits"`` (the sorted logits) or ``"both"``."""
    if part == "both":
        return features
    if part == "curve":
        return features[:, :n_points]
    if part == "logits":
        return features[:, n_points:]
    raise ValueError(f"unknown feature part {part!r}; choose one of {FEATURE_PARTS}")


# ---------------------------------------------------------------- LID


def _mle_lid(dist: torch.Tensor) -> torch.Tensor:
    """Maximum-likelihood LID from sorted neighbour distances (n, k) -> (n,)."""
    dist = dist.clamp_min(1e-12)
    return -dist.shape[1] / torch.log(dist / dist[:, -1:]).sum(1).clamp_max(-1e-12)


@torch.no_grad()
def lid_features(
    model: nn.Module,
    clean: torch.Tensor,
    adv: torch.Tensor,
    k: int = 20,
    batch_size: int = 100,
    relus: list[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Local intrinsic dimensionality (Ma et al. 2018) of every ReLU's activations:
    clean, adv (n, C, H, W) paired -> two (n, L) matrices.

    Batch b's estimates use batch b's clean images as the reference sample: k nearest
    neighbours among them, the first (the point itself for a clean image; as in the
    benchmark, also skipped for an adversarial) left out. Unlike the benchmark's code,
    which fills every batch with the first ``batch_size`` images (so that beyond the
    first batch its features repeat), each image is used exactly once.
    """
    model.eval()
    device = model_device(model)
    relus = list(range(len(relu_positions(model)))) if relus is None else relus
    lc = np.zeros((len(clean), len(relus)), np.float32)
    la = np.zeros((len(adv), len(relus)), np.float32)
    for s, e in _batches(len(clean), batch_size):
        kk = min(k, e - s - 1)
        if kk < 1:
            raise ValueError("LID needs batches of at least two images")
        ac = relu_outputs(model, clean[s:e].to(device), relus)
        aa = relu_outputs(model, adv[s:e].to(device), relus)
        for j, (c, a) in enumerate(zip(ac, aa)):
            c, a = c.flatten(1), a.flatten(1)
            dc = torch.cdist(c, c).sort(1).values[:, 1 : kk + 1]
            da = torch.cdist(a, c).sort(1).values[:, 1 : kk + 1]
            lc[s:e, j], la[s:e, j] = _mle_lid(dc).cpu().numpy(), _mle_lid(da).cpu().numpy()
    return lc, la


# ---------------------------------------------------------------- Mahalanobis


@dataclass
class ClassGaussians:
    """Class means (one (K, C_l) tensor per layer) and a shared precision matrix
    ((C_l, C_l) per layer) of spatially averaged ReLU outputs (Lee et al. 2018)."""

    means: list[torch.Tensor]
    precisions: list[torch.Tensor]
    relus: list[int]


@torch.no_grad()
def fit_class_gaussians(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    num_classes: int,
    relus: list[int] | None = None,
    batch_size: int = 500,
) -> ClassGaussians:
    """Fit :class:`ClassGaussians` on training images x (N, C, H, W), labels y (N,)
    (tensors on the model's device)."""
    model.eval()
    device = model_device(model)
    relus = list(range(len(relu_positions(model)))) if relus is None else relus
    feats: list[list[torch.Tensor]] = [[] for _ in relus]
    for s, e in _batches(len(x), batch_size):
        for j, h in enumerate(relu_outputs(model, x[s:e].to(device), relus)):
            feats[j].append(h.flatten(2).mean(2))
    y = y.to(device)
    if len(torch.unique(y)) != num_classes:
        raise ValueError(
            f"Mahalanobis needs training images of every class; "
            f"{len(torch.unique(y))} of {num_classes} present"
        )
    means, precisions = [], []
    for f in feats:
        f = torch.cat(f).double()
        mu = torch.stack([f[y == c].mean(0) for c in range(num_classes)])
        centred = f - mu[y]
        cov = centred.T @ centred / len(f)
        means.append(mu.float())
        precisions.append(torch.linalg.pinv(cov, hermitian=True).float())
    return ClassGaussians(means, precisions, relus)


def _gaussian_scores(f: torch.Tensor, mu: torch.Tensor, prec: torch.Tensor) -> torch.Tensor:
    """-1/2 Mahalanobis distance of features f (n, C) to every class mean -> (n, K)."""
    d = f.unsqueeze(1) - mu.unsqueeze(0)  # (n, K, C)
    return -0.5 * torch.einsum("nkc,cd,nkd->nk", d, prec, d)


def mahalanobis_features(
    model: nn.Module, x: torch.Tensor, g: ClassGaussians, magnitude: float, batch_size: int = 100
) -> np.ndarray:
    """Mahalanobis confidence scores with input pre-processing, one per layer:
    x (n, C, H, W) -> (n, L).

    As the benchmark: in the model's *normalised* coordinates z = (x - mean) / std, z is
    moved by ``magnitude`` against the sign of the gradient of the distance of its
    features to their nearest class Gaussian — a step of ``magnitude · std`` per channel
    in pixels — and scored: max over classes of -1/2 Mahalanobis distance. One forward
    pass serves every layer's gradient (a backward pass per layer, each stopping at the
    input); the moved inputs are scored by truncated forward passes.
    """
    model.eval()
    device = model_device(model)
    mean, std, tail = split_normalisation(model)
    out = np.zeros((len(x), len(g.relus)), np.float32)
    for s, e in _batches(len(x), batch_size):
        z = ((x[s:e].to(device) - mean) / std).requires_grad_(True)
        hs = relu_outputs(tail, z, g.relus)
        for j, (h, r) in enumerate(zip(hs, g.relus)):
            f = h.flatten(2).mean(2)
            with torch.no_grad():  # the nearest class Gaussian, as the benchmark picks it
                nearest = _gaussian_scores(f, g.means[j], g.precisions[j]).argmax(1)
            centred = f - g.means[j][nearest]
            loss = 0.5 * torch.einsum("nc,cd,nd->n", centred, g.precisions[j], centred).mean()
            (grad,) = torch.autograd.grad(loss, z, retain_graph=j + 1 < len(hs))
            with torch.no_grad():
                moved = z - magnitude * torch.sign(grad)
                f2 = relu_outputs(tail, moved, [r])[0].flatten(2).mean(2)
                best = _gaussian_scores(f2, g.means[j], g.precisions[j]).max(1).values
                out[s:e, j] = best.cpu().numpy()
    return out


# ---------------------------------------------------------------- spectral


def fourier_spectrum(h: torch.Tensor, kind: str = "MFS", scale_max: bool = False) -> torch.Tensor:
    """2-D Fourier magnitude ("MFS") or absolute phase ("PFS", ``|angle|`` as the
    benchmark) of every channel: h (n, C, H, W) -> (n, C*H*W). ``scale_max`` divides
    each sample's spectrum by its maximum (the benchmark's CIFAR-100 DeepFool/C&W case)."""
    spec = torch.fft.fft2(h.float())
    if kind == "MFS":
        out = spec.abs().flatten(1)
    elif kind == "PFS":
        out = spec.angle().abs().flatten(1)
    else:
        raise ValueError(f"unknown spectrum kind {kind!r} (MFS or PFS)")
    if scale_max:
        out = out / out.amax(1, keepdim=True).clamp_min(1e-30)
    return out


def input_spectrum_features(
    x: torch.Tensor, kind: str = "MFS", scale_max: bool = False
) -> np.ndarray:
    """InputMFS / InputPFS of the pixels: x (n, C, H, W) -> (n, C*H*W)."""
    return fourier_spectrum(x, kind, scale_max).cpu().numpy().astype(np.float32)


@torch.no_grad()
def layer_spectrum_features(
    model: nn.Module,
    x: torch.Tensor,
    kind: str = "MFS",
    relus: tuple[int, ...] = SPECTRAL_RELUS,
    scale_max: bool = False,
    batch_size: int = 200,
) -> np.ndarray:
    """LayerMFS / LayerPFS: spectra of the chosen ReLUs' feature maps, each map scaled
    by its own maximum if ``scale_max``, concatenated: x (n, C, H, W) -> (n, Σ C_l H_l W_l)."""
    model.eval()
    device = model_device(model)
    parts = []
    for s, e in _batches(len(x), batch_size):
        maps = relu_outputs(model, x[s:e].to(device), list(relus))
        parts.append(torch.cat([fourier_spectrum(h, kind, scale_max) for h in maps], 1).cpu())
    return torch.cat(parts).numpy().astype(np.float32)


# ---------------------------------------------------------------- evaluation


def benchmark_splits(n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (train, validation, test) of n clean/adversarial pairs as the benchmark
    splits them: 80/20 train+validation/test, then 20 % of that for validation. The
    benchmark splits clean and adversarial features separately with the same seed and
    length, so a clean image and its adversarial twin always land in the same part."""
    return detection_splits(n, False, seed)[0]


def detection_splits(
    n: int, cross_validate: bool = False, seed: int = 42
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(train, validation, test) indices of n pairs, one triple per fold.

    Fold 1 is the benchmark's split (:func:`benchmark_splits`). With ``cross_validate``
    four more folds follow: the benchmark's 80 % train+validation part, shuffled with
    ``seed``, cut into four test parts of ~20 %, each fold training on the other ~80 %
    split 80/20 into train and validation as the benchmark does. Every pair is then
    tested exactly once, always by a detector fitted on the benchmark's proportions.

    >>> [len(t) for _, _, t in detection_splits(100, True)]
    [20, 20, 20, 20, 20]
    """
    idx = np.arange(n)
    trval, test = train_test_split(idx, test_size=0.2, random_state=seed)
    tests = [test]
    if cross_validate:
        rest = np.random.default_rng(seed).permutation(trval)
        tests += [np.sort(part) for part in np.array_split(rest, FOLDS - 1)]
    folds = []
    for k, held in enumerate(tests):
        part = trval if k == 0 else np.setdiff1d(idx, held)
        train, val = train_test_split(part, test_size=0.2, random_state=seed)
        folds.append((train, val, held))
    return folds


@dataclass(frozen=True)
class ClassifierSpec:
    """The classifier that reads a detector's features.

    ``logistic``: scikit-learn's ``LogisticRegression()`` with its defaults (lbfgs, 100
    iterations), on the raw features as the benchmark (``standardise`` adds a
    ``StandardScaler``); ``svm``: ``MinMaxScaler`` + RBF ``SVC(probability=True, C,
    gamma)`` (the benchmark's CIFAR-100 LayerMFS/PFS case on DeepFool and C&W, where it uses
    cuML's SVC); ``knn``: ``StandardScaler`` + ``KNeighborsClassifier(k, weights)`` (the
    mode-connectivity detector)."""

    kind: str = "logistic"
    standardise: bool = False
    C: float = 1.0
    gamma: float = 0.1
    k: int = 5
    weights: str = "uniform"

    def __post_init__(self) -> None:
        if self.kind not in ("logistic", "svm", "knn"):
            raise ValueError(f"unknown classifier kind {self.kind!r} (logistic, svm or knn)")

    def build(self):
        if self.kind == "logistic":
            clf = LogisticRegression()
            return make_pipeline(StandardScaler(), clf) if self.standardise else clf
        if self.kind == "svm":
            # SVC(probability=True) as the benchmark (cuML), in scikit-learn >= 1.9's spelling:
            # Platt scaling fitted by internal cross-validation, one SVC on all the data
            svc = SVC(C=self.C, gamma=self.gamma, random_state=0)
            return make_pipeline(
                MinMaxScaler(), CalibratedClassifierCV(svc, method="sigmoid", ensemble=False)
            )
        return make_pipeline(
            StandardScaler(), KNeighborsClassifier(n_neighbors=self.k, weights=self.weights)
        )

    def describe(self) -> str:
        if self.kind == "logistic":
            return "logistic regression" + (" (standardised)" if self.standardise else "")
        if self.kind == "svm":
            return f"RBF SVM (C = {self.C:g}, γ = {self.gamma:g}, min-max scaled)"
        return f"KNN (k = {self.k}, {self.weights} weights)"


@dataclass
class DetectionScore:
    """One detector on one attack: ``accuracy`` and ``auc`` in %, the Hanley–McNeil
    standard error of the AUC in points, the test split's labels and adversarial
    probabilities (for paired comparisons), its ROC curve and the classifier used."""

    accuracy: float
    auc: float
    auc_se: float
    n_test: int
    labels: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    fpr: np.ndarray = field(repr=False)
    tpr: np.ndarray = field(repr=False)
    classifier: str = ""
    # the benchmark's own split (fold 1) when the score pools several folds
    fold1: DetectionScore | None = field(default=None, repr=False, compare=False)

    @property
    def benchmark_split(self) -> DetectionScore:
        """The score on the benchmark's single 80/20 split (this score if it is one)."""
        return self.fold1 or self

    @classmethod
    def empty(cls, classifier: str = "") -> DetectionScore:
        nothing = np.zeros(0)
        return cls(math.nan, math.nan, math.nan, 0, nothing, nothing, nothing, nothing, classifier)


def _fit_predict(clean, adv, spec: ClassifierSpec, train: np.ndarray, held: np.ndarray):
    """Fit ``spec`` on the pairs ``train``; (adversarial probability, predicted label) of
    the examples [clean[held], adv[held]]."""
    xtr = np.nan_to_num(np.concatenate([clean[train], adv[train]]))
    ytr = np.r_[np.zeros(len(train)), np.ones(len(train))]
    xte = np.nan_to_num(np.concatenate([clean[held], adv[held]]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = spec.build().fit(xtr, ytr)
    return clf.predict_proba(xte)[:, 1], clf.predict(xte)


def _pairs_first(values: list[np.ndarray]) -> np.ndarray:
    """Per-fold arrays [clean part | adversarial part] -> [all clean | all adversarial]."""
    halves = [np.split(v, 2) for v in values]
    return np.concatenate([h[0] for h in halves] + [h[1] for h in halves])


def _score(labels, prob, pred, classifier: str, benchmark=None) -> DetectionScore:
    from ..stats import hanley_mcneil_se

    half = len(labels) // 2
    auc = 100 * float(roc_auc_score(labels, prob))
    fpr, tpr, _ = roc_curve(labels, prob)
    return DetectionScore(
        100 * float(np.mean(pred == labels)),
        auc,
        100 * hanley_mcneil_se(auc / 100, half, half),
        len(labels),
        labels,
        prob,
        fpr,
        tpr,
        classifier,
        fold1=benchmark,
    )


def evaluate(
    clean: np.ndarray,
    adv: np.ndarray,
    spec: ClassifierSpec | list[ClassifierSpec],
    seed: int = 42,
    cross_validate: bool = False,
) -> DetectionScore:
    """Train ``spec``'s classifier on the training part of paired features clean, adv
    (n, d) and score it on the test part as the benchmark: accuracy of ``predict`` and
    AUC of ``predict_proba`` (adversarial = positive class).

    With ``cross_validate`` the same is done on each fold of :func:`detection_splits`
    (``spec`` may then be one classifier per fold) and the score pools the held-out
    predictions: every pair is tested once, so the AUC's standard error
    is that of all n pairs rather than of the benchmark's 20 %. The score of the
    benchmark's own split (fold 1) is kept as ``benchmark_split``."""
    if clean.shape != adv.shape:
        raise ValueError(
            f"clean and adversarial features must pair up: {clean.shape} vs {adv.shape}"
        )
    if len(clean) < MIN_PAIRS:  # e.g. an attack that hardly ever succeeded: nothing to learn
        return DetectionScore.empty(describe_specs(spec))
    folds = detection_splits(len(clean), cross_validate, seed)
    specs = spec if isinstance(spec, list) else [spec] * len(folds)
    if len(specs) != len(folds):
        raise ValueError(f"{len(specs)} classifiers for {len(folds)} folds")
    probs, preds, labels = [], [], []
    for (train, _, test), fold_spec in zip(folds, specs):
        prob, pred = _fit_predict(clean, adv, fold_spec, train, test)
        probs.append(prob)
        preds.append(pred)
        labels.append(np.r_[np.zeros(len(test)), np.ones(len(test))])
    first = _score(labels[0], probs[0], preds[0], specs[0].describe())
    if len(folds) == 1:
        return first
    pooled = [_pairs_first(v) for v in (labels, probs, preds)]
    return _score(*pooled, describe_specs(specs), benchmark=first)


def describe_specs(spec: ClassifierSpec | list[ClassifierSpec]) -> str:
    """One classifier's description, or the per-fold choices with their counts
    (``KNN per fold: k = 15 distance ×4, k = 25 distance ×1``)."""
    specs = spec if isinstance(spec, list) else [spec]
    names = [s.describe() for s in specs]
    if len(set(names)) == 1:
        return names[0]
    knn = all(s.kind == "knn" for s in specs)
    if knn:
        names = [f"k = {s.k} {s.weights}" for s in specs]
    counts = sorted({n: names.count(n) for n in names}.items(), key=lambda nc: -nc[1])
    return ("KNN per fold: " if knn else "per fold: ") + ", ".join(f"{n} ×{c}" for n, c in counts)


def tune_knn(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]],
    ks: list[int],
    weights: list[str],
    seed: int = 42,
    cross_validate: bool = False,
) -> tuple[list[ClassifierSpec], np.ndarray]:
    """One KNN setting for all attacks (Vrabel et al.: "optimized jointly for all attacks
    on validation data"): per fold of :func:`detection_splits`, the (k, weights) with the
    highest mean validation AUC over ``pairs`` (attack -> (clean, adv) features), so a
    fold's test pairs never take part in choosing its classifier. Returns one spec per
    fold and the grid of mean validation AUCs (len(ks), len(weights)) averaged over the
    folds; a k larger than an attack's training set is skipped."""
    n_folds = FOLDS if cross_validate else 1
    aucs = [[[[] for _ in weights] for _ in ks] for _ in range(n_folds)]
    for clean, adv in pairs.values():
        if len(clean) < MIN_PAIRS:
            continue
        for f, (train, val, _) in enumerate(detection_splits(len(clean), cross_validate, seed)):
            truth = np.r_[np.zeros(len(val)), np.ones(len(val))]
            for i, k in enumerate(ks):
                for j, w in enumerate(weights):
                    if 2 * len(train) >= k:
                        prob, _ = _fit_predict(
                            clean, adv, ClassifierSpec("knn", k=k, weights=w), train, val
                        )
                        aucs[f][i][j].append(100 * roc_auc_score(truth, prob))
    grids = np.array(
        [[[np.mean(v) if v else np.nan for v in row] for row in fold] for fold in aucs]
    )
    if np.all(np.isnan(grids)):
        raise ValueError("no KNN setting could be scored: too few adversarials for every attack")
    specs = []
    for grid in grids:
        i, j = np.unravel_index(np.nanargmax(grid), grid.shape)
        specs.append(ClassifierSpec("knn", k=ks[i], weights=weights[j]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a setting no fold could score
        return specs, np.nanmean(grids, axis=0)


# ---------------------------------------------------------------- paired comparisons


def _auc_rows(labels: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """AUC of each row of ``scores`` (B, n) against ``labels`` (B, n) (Mann–Whitney
    form, ties counted half)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores, axis=1)
    pos = labels.sum(1)
    neg = labels.shape[1] - pos
    u = (ranks * labels).sum(1) - pos * (pos + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return u / (pos * neg)


def paired_bootstrap_auc(
    first: DetectionScore, second: DetectionScore, n_boot: int = 2000, seed: int = 0
) -> np.ndarray:
    """Bootstrap distribution (n_boot,) of AUC(first) − AUC(second), in points, on the
    same test split: clean/adversarial test pairs are resampled together (a clean image
    and its twin are the i-th and (n/2 + i)-th test examples), both detectors scored on
    each resample."""
    if not np.array_equal(first.labels, second.labels):
        raise ValueError("the two detectors were not scored on the same test split")
    n = len(first.labels) // 2
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, n, (n_boot, n))
    rows = np.concatenate([pick, pick + n], 1)
    labels = first.labels[rows]
    diff = _auc_rows(labels, first.probabilities[rows]) - _auc_rows(
        labels, second.probabilities[rows]
    )
    return 100 * diff


def beats_all_test(
    candidate: DetectionScore,
    others: dict[str, DetectionScore],
    n_boot: int = 2000,
    seed: int = 0,
) -> TestResult:
    """One-sided test of "``candidate``'s AUC exceeds every one of ``others``'" by paired
    bootstraps on the same test split. The claim is an intersection, so its p-value is
    the largest of the per-baseline p-values (intersection–union test); the opposite
    ("some baseline beats it") is a union, so its p-value is the smallest per-baseline
    p-value times the number of baselines (Bonferroni). Effect: the smallest observed AUC
    margin over a baseline, in points."""
    p_claim, p_against, margins = [], [], []
    for other in others.values():
        diff = paired_bootstrap_auc(candidate, other, n_boot, seed)
        p_claim.append((np.sum(diff <= 0) + 1) / (n_boot + 1))
        p_against.append((np.sum(diff >= 0) + 1) / (n_boot + 1))
        margins.append(candidate.auc - other.auc)
    k = len(others)
    return TestResult(
        f"paired bootstrap of AUC differences ({n_boot} resamples; intersection–union over "
        f"{k} baselines, opposite side Bonferroni)",
        float(max(p_claim)),
        float(min(1.0, k * min(p_against))),
        float(min(margins)),
        "smallest AUC margin over a baseline (points)",
        f"{candidate.n_test} test examples",
    )
