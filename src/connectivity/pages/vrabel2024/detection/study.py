"""What the detection page computes: the benchmark of Harder et al. (2021) on each data
set, with the five baselines and the mode-connectivity detector of Vrabel et al. (2024,
§4.2.1).

:func:`run` runs :func:`run_dataset` on every data set of the settings. On one data set
that is a few steps, in this order (the order of the computation and of its random
draws):

1. the classifiers chapter's VGG (batch norm folded) and :func:`attacked_images`, at
   most ``n_images`` correctly classified test images;
2. the benchmark's five attacks on them (:func:`attack_images`, cached);
3. :func:`class_references`: each class's low-loss reference image (for the
   mode-connectivity detector) and its Gaussian (for Mahalanobis), from training images;
4. :func:`score_baselines`: per attack, the baselines' features
   (:func:`baseline_features`) and scores, and the mode-connectivity features of the
   clean and adversarial images;
5. :func:`score_mode_connectivity`: the detector's KNN chosen on validation data, for
   the loss curve and logits together and for each alone (the ablation); every Table 1
   score (step 4 and "both" here) fitted again ``refit_seeds`` times on its features
   with other fold-split and classifier seeds (:func:`refit_seeds`), its spread kept
   as the score's ``refit``;
6. :func:`claim_tests`: per attack, the paired bootstrap of "its AUC exceeds every
   baseline's".

Each detector is scored as the benchmark does (accuracy and AUC on its 20 % test split;
with ``cross_validate``, on five such folds that test every pair once). No records,
sentences or figures here (``report``, ``figures``).
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd
import torch
from torch import nn

from connectivity import detection as det
from connectivity import reader_checkpoint as rc
from connectivity.attacks import UNTARGETED, AttackResult, UntargetedConfig, untargeted_attack
from connectivity.caching import cached
from connectivity.data import Dataset, load_dataset, subset_indices
from connectivity.models import fold_batchnorm
from connectivity.paper_values.vrabel2024_adversarial import DETECTORS
from connectivity.settings import ParameterError
from connectivity.shared_classifiers import shared_classifier
from connectivity.training import default_device, predict

from ...readers import (
    TORCHVISION_RESNETS,
    load_checkpoint,
    measured_accuracy,
    reader_key,
    who,
)
from .settings import DetectionSettings

# detect_adversarials.py, CIFAR-100 LayerMFS/LayerPFS on DeepFool and C&W: (C, gamma)
BENCHMARK_SVM = {
    ("layermfs", "cw"): (1.0, 0.1),
    ("layermfs", "deepfool"): (10.0, 0.1),
    ("layerpfs", "cw"): (10.0, 0.01),
    ("layerpfs", "deepfool"): (10.0, 0.01),
}
# Table 1 cells refitted for their spread (refit_seeds): only detectors with at most this
# many feature columns (LID, Mahalanobis, InputMFS, the KNN's curve and logits; a 5-fold
# logistic regression on 3,072 columns costs ~1 s, on LayerMFS's ~39,000 at ci ~6 s)
REFIT_MAX_FEATURES = 4096
CURVES_SHOWN = 20  # loss curves per attack kept for the figure
EXAMPLES_SHOWN = 4  # clean images (and their adversarials) kept for the figure


# ---------------------------------------------------------------- results


@dataclass
class AttackSummary:
    """One attack on one data set: how many images, how often it succeeded, how far the
    adversarials are from their clean images, and what it cost."""

    attack: str
    attacked: int
    successes: int
    median_linf: float
    median_l2: float
    seconds: float

    @property
    def success_rate(self) -> float:
        return self.successes / max(1, self.attacked)


@dataclass
class DatasetRun:
    """The benchmark on one data set: attacks, scores per detector and attack, the
    mode-connectivity ablation, the KNN chosen, curves and images for the figures."""

    dataset: str
    model_accuracy: float
    model_width: float
    model_epochs: int
    label_smoothing: float
    attacks: dict[str, AttackSummary]
    scores: dict[str, dict[str, det.DetectionScore]]  # detector -> attack -> score
    ablation: dict[str, dict[str, det.DetectionScore]]  # feature part -> attack -> score
    knn: dict[str, list[det.ClassifierSpec]]  # feature part -> KNN chosen per fold
    knn_grid: np.ndarray
    curves: dict[str, tuple[np.ndarray, np.ndarray]]  # attack -> (clean, adversarial) curves
    clean_images: torch.Tensor  # (4, C, H, W) for the figure
    adversarial_images: dict[str, torch.Tensor]  # attack -> (4, C, H, W)
    feature_ms: dict[str, float]  # detector -> ms per image to featurise
    claims: dict[str, object] = field(default_factory=dict)  # attack -> stats.TestResult
    # attack -> Mahalanobis scored with the rows Table 1 does not use (settings.mahalanobis_rows)
    mahalanobis_other: dict[str, det.DetectionScore] = field(default_factory=dict)
    # whose classifier, where a reader's checkpoint ran (file, sha256, architecture, data
    # set, test accuracy measured here); None for the book's VGG
    reader: dict | None = None
    # attack -> LID with corrected batches (Table 1: the benchmark's batches, see lid_features)
    lid_other: dict[str, det.DetectionScore] = field(default_factory=dict)
    # (num_classes,) each class reference's cross-entropy against its own class
    reference_ce: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # attack -> the claim's test with the other LID batches and Mahalanobis rows
    claims_other: dict[str, object] = field(default_factory=dict)


@dataclass
class DetectionStudy:
    settings: DetectionSettings
    runs: dict[str, DatasetRun]
    seconds: float

    @property
    def reader(self) -> dict | None:
        """Whose classifier ran, where a reader's checkpoint did (None: the book's)."""
        return next((r.reader for r in self.runs.values() if r.reader), None)

    def scores_frame(self) -> pd.DataFrame:
        """One row per data set, attack and detector: accuracy, AUC and its SE (%)."""
        rows = [
            {
                "data set": ds,
                "attack": atk,
                "detector": d,
                "accuracy": s.accuracy,
                "auc": s.auc,
                "auc_se": s.auc_se,
                "n_test": s.n_test,
            }
            for ds, run in self.runs.items()
            for d, by_attack in run.scores.items()
            for atk, s in by_attack.items()
        ]
        return pd.DataFrame(rows)


@dataclass
class AttackScores:
    """What :func:`score_baselines` found per attack: ``summaries`` (every attack),
    ``scores`` (detector -> attack -> score; the baselines scored, every detector empty
    where too few adversarials), ``mode_connectivity`` (attack -> (clean, adversarial)
    path-loss features, attacks with enough adversarials) and ``curves`` (attack -> the
    first loss curves of each, for the figure)."""

    summaries: dict[str, AttackSummary]
    scores: dict[str, dict[str, det.DetectionScore]]
    mode_connectivity: dict[str, tuple[det.PathFeatures, det.PathFeatures]]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]
    # attack -> the Mahalanobis score with the rows Table 1 does not use
    mahalanobis_other: dict[str, det.DetectionScore]
    # attack -> LID with corrected batches (Table 1 uses the benchmark's)
    lid_other: dict[str, det.DetectionScore] = field(default_factory=dict)


class FeatureClock:
    """Seconds spent and images featurised per detector, for the cost table."""

    def __init__(self) -> None:
        self.seconds = {d: 0.0 for d in DETECTORS}
        self.counted = {d: 0 for d in DETECTORS}

    def timed(self, name: str, n: int, fn, *args):
        """``fn(*args)``, its time counted for detector ``name`` over ``n`` images."""
        t0 = time.perf_counter()
        out = fn(*args)
        self.seconds[name] += time.perf_counter() - t0
        self.counted[name] += n
        return out

    def ms_per_image(self) -> dict[str, float]:
        return {d: 1000 * self.seconds[d] / max(1, self.counted[d]) for d in DETECTORS}


# ---------------------------------------------------------------- the steps


def _stratified(y: torch.Tensor, n: int, num_classes: int, seed: int) -> torch.Tensor:
    """``n`` indices with about n / num_classes per class (at least one), drawn with ``seed``."""
    g = torch.Generator().manual_seed(seed)
    per = max(1, n // num_classes)
    out = []
    for c in range(num_classes):
        members = torch.nonzero(y == c).flatten()
        out.append(members[torch.randperm(len(members), generator=g)[:per]])
    return torch.cat(out)


def select_correct(model, x: torch.Tensor, y: torch.Tensor, n: int, seed: int) -> torch.Tensor:
    """Indices of at most ``n`` correctly classified images, drawn at random with ``seed``
    (all of them when there are fewer, as the benchmark's ``generate_clean_data.py``)."""
    ok = torch.nonzero(predict(model, x).argmax(1) == y).flatten()
    if len(ok) < det.MIN_PAIRS:
        raise ValueError(f"only {len(ok)} correctly classified test images")
    perm = torch.randperm(len(ok), generator=torch.Generator().manual_seed(seed))
    return ok[perm[:n]].sort().values


@dataclass(frozen=True)
class Classifier:
    """The classifier a data set's benchmark runs on: ``model`` (batch norm folded) for
    the features and paths, ``attacked`` (as trained) for the attacks, ``key`` the cache
    key of its attacks, and what the page says of it (NaN / 0 where a reader's file does
    not say)."""

    model: nn.Module
    attacked: nn.Module
    key: str
    accuracy: float
    width: float = float("nan")
    epochs: int = 0
    label_smoothing: float = float("nan")
    reader: dict | None = None


def load_classifier(settings: DetectionSettings, dataset: str, test: Dataset) -> Classifier:
    """The book's VGG-16-BN of ``dataset`` (the classifiers chapter's), or the reader's
    ``checkpoint`` (checked by :func:`connectivity.reader_checkpoint.load_classifier`
    before any work; its detectors read :func:`detector_layers`; its accuracy measured
    here on every image of ``test``, the data set's test split the page reads anyway)."""
    if settings.checkpoint is None:
        changes = settings.classifier_changes or None
        trained = shared_classifier(settings.profile, f"{dataset}_vgg", changes)
        return Classifier(
            fold_batchnorm(trained.model),
            trained.model,
            trained.config.cache_key(),
            trained.test_accuracy,
            float(trained.config.arch_kwargs.get("width", 1.0)),
            int(trained.config.epochs),
            float(trained.config.label_smoothing),
        )
    ckpt = settings.checkpoint
    found = load_checkpoint(ckpt, settings.detector_layers or [])
    network = found.model.to(default_device()).eval()
    paths = detector_layers(found, settings.detector_layers)
    if paths is not None:  # the named modules' outputs: the network after its normalisation
        network = nn.Sequential(
            OrderedDict(normalize=network.normalize, network=det.Tapped(network.network, paths))
        )
    key = reader_key(found, ckpt.get("arch_kwargs"))
    accuracy = measured_accuracy(network, key, test)
    return Classifier(
        fold_batchnorm(network), network, key, accuracy, reader=who(found, accuracy, len(test))
    )


def detector_layers(found: rc.ReaderClassifier, given: list[str] | None) -> list[str] | None:
    """The module paths whose outputs the layer-based detectors read in a reader's
    network: ``given``, else its architecture's — None for the book's VGG-16-BN (its 13
    ReLUs, as the benchmark), every ReLU of ``features`` for torchvision's VGGs, the stem's
    ``relu`` and ``layer1``–``layer4`` for torchvision's ResNets. Another architecture
    needs them named (a :class:`ParameterError`)."""
    if given:
        return list(given)
    arch = found.architecture
    if rc.is_book(arch) and arch.removeprefix(rc.BOOK_PREFIX) == "cifar_vgg16_bn":
        return None
    if not rc.is_book(arch) and arch.startswith("vgg"):
        return [
            name
            for name, m in found.network.named_modules()
            if name.startswith("features.") and isinstance(m, nn.ReLU)
        ]
    if not rc.is_book(arch) and arch.startswith(TORCHVISION_RESNETS):
        return ["relu", "layer1", "layer2", "layer3", "layer4"]
    raise ParameterError(
        f"detector_layers: the page has no default layers for {arch!r} (it has them for "
        "torchvision's VGGs and ResNets and the book's VGG): name the modules whose outputs "
        "LID, Mahalanobis and the spectral detectors read, by module path as "
        "model.named_modules() names them (e.g. ['layer1', 'layer2', 'layer3', 'layer4'])"
    )


def attacked_images(settings: DetectionSettings, model, test: Dataset) -> torch.Tensor:
    """Indices into ``test`` of the images to attack: at most ``n_images`` correctly
    classified ones among ``candidate_images`` (:func:`select_correct`)."""
    # all test images unless candidate_images says otherwise (only smoke-paper does): a
    # toy CIFAR-100 model is right on ~1 % of them, and a 1,000-image subset might leave
    # fewer correct images than the detectors need
    candidates = subset_indices(len(test), settings.candidate_images)
    return candidates[
        select_correct(
            model, test.x[candidates], test.y[candidates], settings.n_images, settings.image_seed
        )
    ]


def _attack_cached(model, key: str, x, y, idx, name: str, cfg: UntargetedConfig) -> AttackResult:
    params = {
        "model": key,
        "images": idx.tolist(),
        "attack": name,
        "settings": dataclasses.asdict(cfg),
        "algorithm": 3,
    }
    return cached("detection-attacks", params, lambda: untargeted_attack(model, x, y, name, cfg))


def attack_images(
    settings: DetectionSettings, classifier: Classifier, x: torch.Tensor, y: torch.Tensor, idx
) -> dict[str, AttackResult]:
    """The benchmark's five attacks on the images ``x`` (test indices ``idx``) of the
    classifier's unfolded network, cached by its key."""
    model, key = classifier.attacked, classifier.key
    return {a: _attack_cached(model, key, x, y, idx, a, settings.attacks) for a in UNTARGETED}


def class_references(settings: DetectionSettings, model, train: Dataset):
    """(each class's reference image for the mode-connectivity detector, the class
    Gaussians for Mahalanobis), each from a stratified draw of training images."""
    k = train.num_classes
    ref_idx = _stratified(train.y, settings.reference_pool, k, settings.image_seed + 1)
    refs = det.reference_images(model, train.x[ref_idx], train.y[ref_idx], k)
    g_idx = _stratified(train.y, settings.gaussian_train, k, settings.image_seed + 2)
    gauss = det.fit_class_gaussians(model, train.x[g_idx], train.y[g_idx], k)
    return refs, gauss


def _baseline_spec(settings: DetectionSettings, dataset: str, detector: str, attack: str):
    if settings.spectral_svm and dataset == "cifar100" and (detector, attack) in BENCHMARK_SVM:
        c, gamma = BENCHMARK_SVM[(detector, attack)]
        return det.ClassifierSpec("svm", C=c, gamma=gamma)
    return det.ClassifierSpec("logistic", standardise=settings.standardise_baselines)


def _special_case(settings: DetectionSettings, dataset: str, attack: str) -> bool:
    """The benchmark's CIFAR-100 DeepFool/C&W spectral case: last ReLU, max-scaled spectra."""
    return settings.spectral_svm and dataset == "cifar100" and attack in ("deepfool", "cw")


def _clean_and_adversarial(fn, xc, xa, *args):
    return fn(xc, *args), fn(xa, *args)


def summarise_attack(name: str, res: AttackResult) -> AttackSummary:
    """How many images attack ``name`` ran on, how many it turned, how far and how fast."""
    ok = res.success
    return AttackSummary(
        name,
        len(ok),
        int(ok.sum()),
        float(res.linf[ok].median()) if ok.any() else float("nan"),
        float(res.l2[ok].median()) if ok.any() else float("nan"),
        res.seconds,
    )


def baseline_features(
    settings: DetectionSettings,
    dataset: str,
    attack: str,
    model,
    x: torch.Tensor,
    ok: torch.Tensor,
    xa: torch.Tensor,
    gauss,
    maha_clean: dict[float, np.ndarray],
    clock: FeatureClock,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Detector -> (clean, adversarial) features of the five baselines on the images
    that ``attack`` turned (``ok``, a bool mask over ``x``; ``xa`` their adversarials).
    The Mahalanobis features of all clean images ``x`` are computed once per noise
    magnitude and kept in ``maha_clean``. ``"lid"`` is LID in the benchmark's batches
    (its first batch reused), ``"lid_corrected"`` each image once."""
    xc, m = x[ok], int(ok.sum())
    special = _special_case(settings, dataset, attack)
    relus = det.LAST_RELU if special else det.SPECTRAL_RELUS
    k_lid = settings.lid_k[dataset]
    feats = {
        "lid": clock.timed(
            "lid",
            2 * m,
            partial(det.lid_features, benchmark_batches=True),
            model,
            xc,
            xa,
            k_lid,
            settings.lid_batch,
        ),
        "lid_corrected": det.lid_features(model, xc, xa, k_lid, settings.lid_batch),
        "inputmfs": clock.timed(
            "inputmfs",
            2 * m,
            _clean_and_adversarial,
            det.input_spectrum_features,
            xc,
            xa,
            "MFS",
            special,
        ),
    }
    for d, kind in (("layermfs", "MFS"), ("layerpfs", "PFS")):
        spectra = partial(det.layer_spectrum_features, model)
        feats[d] = clock.timed(
            d, 2 * m, _clean_and_adversarial, spectra, xc, xa, kind, relus, special
        )
    mag = settings.magnitude(dataset, attack)
    if mag not in maha_clean:
        maha_clean[mag] = clock.timed(
            "mahalanobis", len(x), det.mahalanobis_features, model, x, gauss, mag
        )
    maha_adv = clock.timed("mahalanobis", m, det.mahalanobis_features, model, xa, gauss, mag)
    feats["mahalanobis"] = (maha_clean[mag][ok.numpy()], maha_adv)
    return feats


def score_baselines(
    settings: DetectionSettings,
    dataset: str,
    model,
    x: torch.Tensor,
    advs: dict[str, AttackResult],
    refs,
    gauss,
    clock: FeatureClock,
) -> AttackScores:
    """Per attack: its summary; where it turned at least ``det.MIN_PAIRS`` images, the
    baselines' features and scores (the benchmark's classifier per detector) and the
    mode-connectivity features of the clean and adversarial images (every detector
    empty elsewhere)."""
    p = settings.path_points
    mc = det.MODE_CONNECTIVITY
    mc_clean = clock.timed(mc, len(x), det.path_loss_features, model, x, refs, p)
    maha_clean: dict[float, np.ndarray] = {}
    scores = {d: {} for d in DETECTORS}
    mc_pairs, curves, summaries, maha_other, lid_other = {}, {}, {}, {}, {}
    for name in UNTARGETED:
        res = advs[name]
        ok = res.success
        summaries[name] = summarise_attack(name, res)
        if int(ok.sum()) < det.MIN_PAIRS:
            for d in DETECTORS:
                scores[d][name] = det.DetectionScore.empty()
            maha_other[name] = lid_other[name] = det.DetectionScore.empty()
            continue
        xa, m = res.x[ok], int(ok.sum())
        feats = baseline_features(
            settings, dataset, name, model, x, ok, xa, gauss, maha_clean, clock
        )
        rows = mahalanobis_rows(feats["mahalanobis"], settings.split_seed)
        feats["mahalanobis"] = rows[settings.mahalanobis_rows]
        for d in det.BASELINES:
            spec = _baseline_spec(settings, dataset, d, name)
            scores[d][name] = det.evaluate(
                *feats[d], spec, settings.split_seed, settings.cross_validate
            )
            if feats[d][0].shape[1] <= REFIT_MAX_FEATURES:
                scores[d][name].refit = det.refit_spread(
                    scores[d][name],
                    [
                        det.evaluate(*feats[d], spec, r, settings.cross_validate, order_seed=r)
                        for r in refit_seeds(settings)
                    ],
                )
        other = next(r for r in rows if r != settings.mahalanobis_rows)
        maha_other[name] = det.evaluate(
            *rows[other],
            _baseline_spec(settings, dataset, "mahalanobis", name),
            settings.split_seed,
            settings.cross_validate,
        )
        lid_other[name] = det.evaluate(
            *feats["lid_corrected"],
            _baseline_spec(settings, dataset, "lid", name),
            settings.split_seed,
            settings.cross_validate,
        )
        del feats
        mc_adv = clock.timed(mc, m, det.path_loss_features, model, xa, refs, p)
        mc_pairs[name] = (mc_clean[ok.numpy()], mc_adv)
        shown = slice(CURVES_SHOWN)
        curves[name] = (mc_clean[ok.numpy()][shown].curve, mc_adv[shown].curve)
    return AttackScores(summaries, scores, mc_pairs, curves, maha_other, lid_other)


def refit_seeds(settings: DetectionSettings) -> list[int]:
    """The seeds of the refits of each Table 1 cell (``refit_seeds`` of them, none equal
    to ``split_seed``): each draws the folds and shuffles the classifier's training rows."""
    return [settings.split_seed + 1 + r for r in range(settings.refit_seeds)]


def mahalanobis_rows(
    features: tuple[np.ndarray, np.ndarray], seed: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The Mahalanobis (clean, adversarial) features both ways: ``aligned`` (each row one
    image, clean and adversarial twins in the same row order: what the method describes)
    and ``shuffled`` (the benchmark's loaders, :func:`det.benchmark_row_shuffle`)."""
    return {"aligned": features, "shuffled": det.benchmark_row_shuffle(*features, seed)}


def score_mode_connectivity(
    settings: DetectionSettings, mc_pairs: dict[str, tuple[det.PathFeatures, det.PathFeatures]]
):
    """(ablation, knn, grid): the mode-connectivity detector scored per attack with the
    loss curve and the sorted logits together ("both") and with each alone, each part
    with its own KNN chosen on validation data over all attacks (``knn``: part -> the KNN
    per fold; ``grid``: the validation AUCs of the grid for "both")."""
    ablation = {
        part: {a: det.DetectionScore.empty() for a in UNTARGETED} for part in det.FEATURE_PARTS
    }
    knn, grid = {}, np.zeros((0, 0))
    for part in det.FEATURE_PARTS if mc_pairs else ():
        pairs = {a: tuple(f.part(part) for f in fs) for a, fs in mc_pairs.items()}
        spec, part_grid = det.tune_knn(
            pairs,
            settings.knn_k,
            settings.knn_weights,
            settings.split_seed,
            settings.cross_validate,
        )
        knn[part] = spec
        grid = part_grid if part == "both" else grid
        ablation[part] = {
            a: det.evaluate(*pairs[a], spec, settings.split_seed, settings.cross_validate)
            if a in pairs
            else det.DetectionScore.empty()
            for a in UNTARGETED
        }
        if part == "both":  # Table 1's cells: their spread over refits
            again = det.refit_tuned_knn(
                pairs,
                settings.knn_k,
                settings.knn_weights,
                refit_seeds(settings),
                settings.cross_validate,
            )
            for a, refits in again.items():
                ablation[part][a].refit = det.refit_spread(ablation[part][a], refits)
    return ablation, knn, grid


def claim_tests(
    settings: DetectionSettings,
    scores: dict[str, dict[str, det.DetectionScore]],
    attacks,
) -> dict[str, object]:
    """Attack -> the paired bootstrap of "the mode-connectivity detector's AUC exceeds
    every baseline's" (:func:`connectivity.detection.beats_all_test`), for ``attacks``."""
    return {
        a: det.beats_all_test(
            scores[det.MODE_CONNECTIVITY][a],
            {b: scores[b][a] for b in det.BASELINES},
            settings.n_boot,
            settings.split_seed,
        )
        for a in attacks
    }


def run_dataset(settings: DetectionSettings, dataset: str) -> DatasetRun:
    """The benchmark on one data set (see the module docstring)."""
    test = load_dataset(dataset, "test")
    classifier = load_classifier(settings, dataset, test)
    model = classifier.model
    train = load_dataset(dataset, "train")
    idx = attacked_images(settings, model, test)
    x, y = test.x[idx], test.y[idx]
    advs = attack_images(settings, classifier, x, y, idx)
    refs, gauss = class_references(settings, model, train)
    clock = FeatureClock()
    attacked = score_baselines(settings, dataset, model, x, advs, refs, gauss, clock)
    ablation, knn, grid = score_mode_connectivity(settings, attacked.mode_connectivity)
    scores = attacked.scores
    scores[det.MODE_CONNECTIVITY] = ablation["both"]
    claims = claim_tests(settings, scores, attacked.mode_connectivity)
    other = {**scores, "lid": attacked.lid_other, "mahalanobis": attacked.mahalanobis_other}
    claims_other = claim_tests(settings, other, attacked.mode_connectivity)
    pick = torch.arange(min(EXAMPLES_SHOWN, len(x)))
    return DatasetRun(
        dataset=dataset,
        model_accuracy=classifier.accuracy,
        model_width=classifier.width,
        model_epochs=classifier.epochs,
        label_smoothing=classifier.label_smoothing,
        attacks=attacked.summaries,
        scores=scores,
        ablation=ablation,
        knn=knn,
        knn_grid=grid,
        curves=attacked.curves,
        clean_images=x[pick],
        adversarial_images={a: advs[a].x[pick] for a in UNTARGETED},
        feature_ms=clock.ms_per_image(),
        claims=claims,
        mahalanobis_other=attacked.mahalanobis_other,
        lid_other=attacked.lid_other,
        reference_ce=det.mode_connectivity.reference_cross_entropy(model, refs),
        claims_other=claims_other,
        reader=classifier.reader,
    )


def run(settings: DetectionSettings) -> DetectionStudy:
    """:func:`run_dataset` for every data set of ``settings``."""
    t0 = time.perf_counter()
    runs = {ds: run_dataset(settings, ds) for ds in settings.datasets}
    return DetectionStudy(settings, runs, time.perf_counter() - t0)
