"""Scoring a detector as the benchmark of Harder et al. (2021) does: :func:`evaluate`
trains the benchmark's classifier (:class:`ClassifierSpec`) on clean (label 0) versus
adversarial (label 1) features with the benchmark's splits (:mod:`.splits`) and scores
it as ``detect_adversarials.py`` does: accuracy of ``predict`` and AUC of
``predict_proba`` on the test split (or, with ``cross_validate``, on five folds that
begin with the benchmark's split and together test every pair once:
:func:`connectivity.detection.detection_splits`). :func:`tune_knn` chooses the KNN of the
mode-connectivity detector of Vrabel et al. (2024, §4.2.1) on validation data.

Example::

    score = evaluate(clean_feats, adv_feats, ClassifierSpec("logistic"))
    score.accuracy, score.auc                                          # in %
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from ..stats import hanley_mcneil_se
from .splits import FOLDS, detection_splits

MIN_PAIRS = 10  # fewer clean/adversarial pairs than this cannot be split and scored
# scikit-learn's default tolerance of LogisticRegression (the projected-gradient stop of lbfgs)
LBFGS_TOL = 1e-4


@dataclass(frozen=True)
class ClassifierSpec:
    """The classifier that reads a detector's features.

    ``logistic``: scikit-learn's ``LogisticRegression()`` with its defaults (lbfgs, 100
    iterations), on the raw features as the benchmark (``standardise`` adds a
    ``StandardScaler``), with the benchmark's stopping rule: it pins scikit-learn 0.23.2,
    whose lbfgs minimised the *summed* loss; since 1.4 the loss is the mean (scikit-learn
    PR #26721), so the same gradient tolerance stops n times earlier, at w = 0 when the
    classes' feature means differ by less than ~1e-4 (a constant classifier). The
    tolerance is therefore ``LBFGS_TOL / n_train`` (:meth:`build`).
    ``svm``: ``MinMaxScaler`` + RBF ``SVC(probability=True, C, gamma)`` (the benchmark's
    CIFAR-100 LayerMFS/PFS case on DeepFool and C&W, where it uses cuML's SVC);
    ``knn``: ``StandardScaler`` + ``KNeighborsClassifier(k, weights)`` (the
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

    def build(self, n_train: int):
        """The unfitted classifier for ``n_train`` training examples (the logistic
        regression's tolerance depends on it, see the class docstring)."""
        if n_train < 1:
            raise ValueError(f"n_train must be a positive count, got {n_train}")
        if self.kind == "logistic":
            clf = LogisticRegression(tol=LBFGS_TOL / n_train)
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
    def constant(self) -> bool:
        """The classifier gave every test example the same probability: it scores 50 / 50
        whatever the features, so it is no detector (a failed fit, not a number)."""
        return self.n_test > 0 and float(np.ptp(self.probabilities)) == 0.0

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
        clf = spec.build(len(ytr)).fit(xtr, ytr)
    return clf.predict_proba(xte)[:, 1], clf.predict(xte)


def _pairs_first(values: list[np.ndarray]) -> np.ndarray:
    """Per-fold arrays [clean part | adversarial part] -> [all clean | all adversarial]."""
    halves = [np.split(v, 2) for v in values]
    return np.concatenate([h[0] for h in halves] + [h[1] for h in halves])


def _score(labels, prob, pred, classifier: str, benchmark=None) -> DetectionScore:
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
