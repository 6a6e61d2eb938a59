"""Scoring a detector as the benchmark of Harder et al. (2021) does: :func:`evaluate`
trains the benchmark's classifier (:class:`ClassifierSpec`) on clean (label 0) versus
adversarial (label 1) features with the benchmark's splits (:mod:`.splits`) and scores
it as ``detect_adversarials.py`` does: accuracy of ``predict`` and AUC of
``predict_proba`` on the test split (or, with ``cross_validate``, on each of five folds
that begin with the benchmark's split and together test every pair once:
:func:`connectivity.detection.detection_splits`; the score is the mean of the five with
its between-fold standard error). :func:`tune_knn` chooses the KNN of the
mode-connectivity detector of Vrabel et al. (2024, §4.2.1) on validation data.
:func:`refit_spread` measures how far a score moves when the same cached features are
fitted again with other fold-split and classifier seeds (:class:`RefitSpread`).

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
from threadpoolctl import threadpool_limits

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
    """One detector on one attack: ``accuracy`` and ``auc`` in %, the standard error of
    the AUC in points, the test examples' labels and adversarial probabilities (for
    paired comparisons), its ROC curve and the classifier used.

    On one split the AUC's standard error is Hanley–McNeil's. Cross-validated, each fold
    is scored on its own (``fold_accuracy``, ``fold_auc``: the five folds' classifiers
    may differ, so their probabilities are not pooled into one AUC): ``accuracy`` and
    ``auc`` are the means of the five, ``accuracy_se`` and ``auc_se`` their between-fold
    standard errors (SD / √5; the folds share training pairs, so this SE is, if anything,
    small), ``fpr`` / ``tpr`` the folds' ROC curves averaged vertically (the area under
    it is ``auc``); ``labels``, ``probabilities`` and ``test_fold`` (each test example's
    fold) are every fold's test examples, clean first. ``refit``: the spread of this
    score over refits (:func:`refit_spread`), where measured."""

    accuracy: float
    auc: float
    auc_se: float
    n_test: int
    labels: np.ndarray = field(repr=False)
    probabilities: np.ndarray = field(repr=False)
    fpr: np.ndarray = field(repr=False)
    tpr: np.ndarray = field(repr=False)
    classifier: str = ""
    # the benchmark's own split (fold 1) when the score is over several folds
    fold1: DetectionScore | None = field(default=None, repr=False, compare=False)
    accuracy_se: float = math.nan  # between-fold SE (cross-validated; nan on one split)
    fold_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    fold_auc: np.ndarray = field(default_factory=lambda: np.zeros(0), repr=False)
    test_fold: np.ndarray = field(default_factory=lambda: np.zeros(0, int), repr=False)
    refit: RefitSpread | None = field(default=None, repr=False, compare=False)

    @property
    def between_folds(self) -> bool:
        """The score is the mean of several folds, its SEs between-fold ones."""
        return len(self.fold_auc) > 1

    @property
    def se_kind(self) -> str:
        """What ``auc_se`` is: "between-fold" or "Hanley–McNeil"."""
        return "between-fold" if self.between_folds else "Hanley–McNeil"

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


@dataclass(frozen=True)
class RefitSpread:
    """A score fitted again on the same features: ``accuracy`` and ``auc`` (%) of the
    original fit first, then of each refit; ``varied`` says what the refits changed.
    ``accuracy_sd`` / ``auc_sd``: their standard deviation (ddof 1), the spread of one
    fit's number over those seeds."""

    accuracy: np.ndarray
    auc: np.ndarray
    varied: str

    @property
    def n(self) -> int:
        return len(self.auc)

    @property
    def accuracy_sd(self) -> float:
        return float(np.std(self.accuracy, ddof=1)) if self.n > 1 else math.nan

    @property
    def auc_sd(self) -> float:
        return float(np.std(self.auc, ddof=1)) if self.n > 1 else math.nan


REFIT_VARIED = "fold-split seed and classifier seed (the order of the training rows)"


def refit_spread(
    base: DetectionScore, refits: list[DetectionScore], varied: str = REFIT_VARIED
) -> RefitSpread | None:
    """The spread of ``base`` over ``refits`` (the same features fitted with other seeds:
    :func:`evaluate` with ``seed`` and ``order_seed``); None where ``base`` or a refit
    could not be scored, or there are no refits."""
    scores = [base, *refits]
    if not refits or any(s.n_test == 0 for s in scores):
        return None
    return RefitSpread(
        np.array([s.accuracy for s in scores]), np.array([s.auc for s in scores]), varied
    )


def _fit_predict(
    clean,
    adv,
    spec: ClassifierSpec,
    train: np.ndarray,
    held: np.ndarray,
    order_seed: int | None = None,
):
    """Fit ``spec`` on the pairs ``train`` (the training rows shuffled with
    ``order_seed``, if given: the classifier seed of a refit); (adversarial probability,
    predicted label) of the examples [clean[held], adv[held]]."""
    xtr = np.nan_to_num(np.concatenate([clean[train], adv[train]]))
    ytr = np.r_[np.zeros(len(train)), np.ones(len(train))]
    if order_seed is not None:
        order = np.random.default_rng(order_seed).permutation(len(ytr))
        xtr, ytr = xtr[order], ytr[order]
    xte = np.nan_to_num(np.concatenate([clean[held], adv[held]]))
    # one thread: these fits are small, and BLAS / OpenMP threads on a shared machine
    # cost more than they give (measured on 2 busy cores: a 5-fold logistic regression on
    # 3,072 features 22 s with 2 threads, 0.9 s with one; a KNN fit 85 ms against 7 ms)
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = spec.build(len(ytr)).fit(xtr, ytr)
        return clf.predict_proba(xte)[:, 1], clf.predict(xte)


def _pairs_first(values: list[np.ndarray]) -> np.ndarray:
    """Per-fold arrays [clean part | adversarial part] -> [all clean | all adversarial]
    (so a clean test example and its twin stay n/2 apart, as paired bootstraps need)."""
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


ROC_GRID = 201  # false-positive rates at which the folds' ROC curves are averaged


def mean_of_folds(
    fold_scores: list[DetectionScore], classifier: str, benchmark: DetectionScore
) -> DetectionScore:
    """The folds' scores as one: mean accuracy and AUC with their between-fold standard
    errors (SD / √k, ddof 1), the ROC curves averaged vertically on :data:`ROC_GRID`
    false-positive rates (the area under the mean curve is the mean area), every fold's
    test examples (clean first) with the fold each came from.

    >>> fold = lambda auc: DetectionScore(50.0, auc, 0.0, 4, *[np.zeros(0)] * 4)
    >>> s = mean_of_folds([fold(a) for a in (60.0, 70.0, 80.0)], "c", fold(60.0))
    >>> s.auc, s.auc_se      # mean; SD 10 / sqrt(3)
    (70.0, 5.773502691896258)
    """
    k = len(fold_scores)
    acc = np.array([f.accuracy for f in fold_scores])
    auc = np.array([f.auc for f in fold_scores])
    grid = np.linspace(0.0, 1.0, ROC_GRID)
    curves = [np.interp(grid, f.fpr, f.tpr) for f in fold_scores if len(f.fpr)]
    tpr = np.mean(curves, axis=0) if curves else np.zeros(0)
    which = [np.full(len(f.labels) // 2, i) for i, f in enumerate(fold_scores)]
    return DetectionScore(
        float(acc.mean()),
        float(auc.mean()),
        float(auc.std(ddof=1) / math.sqrt(k)),
        sum(f.n_test for f in fold_scores),
        _pairs_first([f.labels for f in fold_scores]),
        _pairs_first([f.probabilities for f in fold_scores]),
        grid if curves else np.zeros(0),
        tpr,
        classifier,
        fold1=benchmark,
        accuracy_se=float(acc.std(ddof=1) / math.sqrt(k)),
        fold_accuracy=acc,
        fold_auc=auc,
        test_fold=np.concatenate(which + which),
    )


def evaluate(
    clean: np.ndarray,
    adv: np.ndarray,
    spec: ClassifierSpec | list[ClassifierSpec],
    seed: int = 42,
    cross_validate: bool = False,
    order_seed: int | None = None,
) -> DetectionScore:
    """Train ``spec``'s classifier on the training part of paired features clean, adv
    (n, d) and score it on the test part as the benchmark: accuracy of ``predict`` and
    AUC of ``predict_proba`` (adversarial = positive class).

    With ``cross_validate`` the same is done on each fold of :func:`detection_splits`
    (``spec`` may then be one classifier per fold), each fold scored on its own test
    pairs, and the score is the mean of the five with the between-fold standard errors
    (:func:`mean_of_folds`): the folds' classifiers differ, so their probabilities are
    not pooled into one AUC. The score of the benchmark's own split (fold 1) is kept as
    ``benchmark_split``. ``seed`` draws the splits; ``order_seed`` (a refit's classifier
    seed) shuffles each fold's training rows before fitting."""
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
    scores = []
    for (train, _, test), fold_spec in zip(folds, specs):
        prob, pred = _fit_predict(clean, adv, fold_spec, train, test, order_seed)
        labels = np.r_[np.zeros(len(test)), np.ones(len(test))]
        scores.append(_score(labels, prob, pred, fold_spec.describe()))
    if len(folds) == 1:
        return scores[0]
    return mean_of_folds(scores, describe_specs(specs), scores[0])


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
    order_seed: int | None = None,
) -> tuple[list[ClassifierSpec], np.ndarray]:
    """One KNN setting for all attacks (Vrabel et al.: "optimized jointly for all attacks
    on validation data"): per fold of :func:`detection_splits`, the (k, weights) with the
    highest mean validation AUC over ``pairs`` (attack -> (clean, adv) features), so a
    fold's test pairs never take part in choosing its classifier. Returns one spec per
    fold and the grid of mean validation AUCs (len(ks), len(weights)) averaged over the
    folds; a k larger than an attack's training set is skipped. ``seed`` draws the
    splits, ``order_seed`` shuffles the training rows (as :func:`evaluate`)."""
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
                            clean,
                            adv,
                            ClassifierSpec("knn", k=k, weights=w),
                            train,
                            val,
                            order_seed,
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


def refit_tuned_knn(
    pairs: dict[str, tuple[np.ndarray, np.ndarray]],
    ks: list[int],
    weights: list[str],
    seeds: list[int],
    cross_validate: bool = False,
) -> dict[str, list[DetectionScore]]:
    """The KNN detector fitted again per seed in ``seeds``: the KNN chosen anew on the
    validation parts of that seed's folds (:func:`tune_knn`), then every attack of
    ``pairs`` scored (:func:`evaluate`), the seed drawing the folds and shuffling the
    training rows. Returns attack -> one score per seed."""
    out: dict[str, list[DetectionScore]] = {a: [] for a in pairs}
    for seed in seeds:
        specs, _ = tune_knn(pairs, ks, weights, seed, cross_validate, order_seed=seed)
        for a, (clean, adv) in pairs.items():
            out[a].append(evaluate(clean, adv, specs, seed, cross_validate, order_seed=seed))
    return out
