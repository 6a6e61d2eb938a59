"""Adversarial detection: the baselines of Harder et al. 2021's benchmark and the
mode-connectivity detector of Vrabel et al. 2024 (§4.2.1).

Every feature function maps images (n, C, H, W) with pixels in [0, 1] to a float32
numpy matrix (n, d); :func:`evaluate` then trains the benchmark's classifier on clean
(label 0) versus adversarial (label 1) features with the benchmark's splits.

The layer-based detectors read the outputs of the network's ReLUs. They need a model
whose ReLUs are reachable by flattening nested ``nn.Sequential`` containers (the VGG
nets of :mod:`connectivity.models`); the benchmark's layers are "all 13 ReLUs of
VGG-16" (LID, Mahalanobis) and "every second one from the third" (spectral).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, roc_auc_score, roc_curve
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from torch import nn

from .models import fold_batchnorm

DETECTORS = ("ours", "lid", "mahalanobis", "inputmfs", "layermfs", "layerpfs")
# Indices into the list of ReLUs of VGG-16 used by the benchmark's spectral detectors
# (its feature-module indices 9, 16, 22, 29, 36, 42).
SPECTRAL_RELUS = (2, 4, 6, 8, 10, 12)
MIN_PAIRS = 10  # fewer clean/adversarial pairs than this cannot be split and scored


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
        raise ValueError("the model has no top-level ReLU in its nn.Sequential structure; "
                         "layer-based detectors need a VGG-style network")
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


# ---------------------------------------------------------------- ours

@torch.no_grad()
def reference_images(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
                     batch_size: int = 1000) -> torch.Tensor:
    """The lowest-loss image of each class (the cross-entropy of its own label): x
    (N, C, H, W), y (N,) -> (num_classes, C, H, W). Raises if a class is absent."""
    model.eval()
    logits = torch.cat([model(x[s:e]) for s, e in _batches(len(x), batch_size)])
    loss = F.cross_entropy(logits, y, reduction="none")
    refs = []
    for c in range(num_classes):
        members = torch.nonzero(y == c).flatten()
        if len(members) == 0:
            raise ValueError(f"no image of class {c} to serve as its reference; use a larger reference pool")
        refs.append(x[members[loss[members].argmin()]])
    return torch.stack(refs)


@torch.no_grad()
def path_loss_features(model: nn.Module, x: torch.Tensor, references: torch.Tensor, n_points: int,
                       batch_size: int = 100) -> np.ndarray:
    """Vrabel et al.'s detector features: for each image x (n, C, H, W), the
    cross-entropy of its predicted class c at ``n_points`` evenly spaced points of the
    straight path from x to ``references[c]``, followed by its logits sorted in
    descending order -> (n, n_points + num_classes)."""
    if n_points < 2:
        raise ValueError("n_points must be at least 2")
    model.eval()
    t = torch.linspace(0, 1, n_points).view(1, n_points, 1, 1, 1)
    feats = []
    for s, e in _batches(len(x), batch_size):
        xb = x[s:e]
        logits = model(xb)
        pred = logits.argmax(1)
        path = (1 - t) * xb.unsqueeze(1) + t * references[pred].unsqueeze(1)  # (b, n_points, C, H, W)
        out = model(path.flatten(0, 1))
        loss = F.cross_entropy(out, pred.repeat_interleave(n_points), reduction="none").view(-1, n_points)
        feats.append(torch.cat([loss, logits.sort(1, descending=True).values], 1))
    return torch.cat(feats).numpy().astype(np.float32)


# ---------------------------------------------------------------- LID

def _mle_lid(dist: torch.Tensor) -> torch.Tensor:
    """Maximum-likelihood LID from sorted neighbour distances (n, k) -> (n,)."""
    dist = dist.clamp_min(1e-12)
    return -dist.shape[1] / torch.log(dist / dist[:, -1:]).sum(1).clamp_max(-1e-12)


@torch.no_grad()
def lid_features(model: nn.Module, clean: torch.Tensor, adv: torch.Tensor, k: int = 20,
                 batch_size: int = 100, relus: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local intrinsic dimensionality (Ma et al. 2018) of every ReLU's activations:
    clean, adv (n, C, H, W) paired -> two (n, L) matrices.

    Batch b's estimates use batch b's clean images as the reference sample: k nearest
    neighbours among them, the first (the point itself for a clean image; as in the
    benchmark, also skipped for an adversarial) left out. Unlike the benchmark's code,
    which fills every batch with the first ``batch_size`` images, each image is used
    exactly once.
    """
    model.eval()
    relus = list(range(len(relu_positions(model)))) if relus is None else relus
    lc, la = np.zeros((len(clean), len(relus)), np.float32), np.zeros((len(adv), len(relus)), np.float32)
    for s, e in _batches(len(clean), batch_size):
        kk = min(k, e - s - 1)
        if kk < 1:
            raise ValueError("LID needs batches of at least two images")
        ac, aa = relu_outputs(model, clean[s:e], relus), relu_outputs(model, adv[s:e], relus)
        for j, (c, a) in enumerate(zip(ac, aa)):
            c, a = c.flatten(1), a.flatten(1)
            dc = torch.cdist(c, c).sort(1).values[:, 1:kk + 1]
            da = torch.cdist(a, c).sort(1).values[:, 1:kk + 1]
            lc[s:e, j], la[s:e, j] = _mle_lid(dc).numpy(), _mle_lid(da).numpy()
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
def fit_class_gaussians(model: nn.Module, x: torch.Tensor, y: torch.Tensor, num_classes: int,
                        relus: list[int] | None = None, batch_size: int = 500) -> ClassGaussians:
    """Fit :class:`ClassGaussians` on training images x (N, C, H, W), labels y (N,)."""
    model.eval()
    relus = list(range(len(relu_positions(model)))) if relus is None else relus
    feats: list[list[torch.Tensor]] = [[] for _ in relus]
    for s, e in _batches(len(x), batch_size):
        for j, h in enumerate(relu_outputs(model, x[s:e], relus)):
            feats[j].append(h.flatten(2).mean(2))
    means, precisions = [], []
    for f in feats:
        f = torch.cat(f).double()
        present = torch.unique(y)
        if len(present) != num_classes:
            raise ValueError(f"Mahalanobis needs training images of every class; {len(present)} of {num_classes} present")
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


def mahalanobis_features(model: nn.Module, x: torch.Tensor, g: ClassGaussians, magnitude: float,
                         batch_size: int = 100) -> np.ndarray:
    """Mahalanobis confidence scores with input pre-processing, one per layer:
    x (n, C, H, W) -> (n, L). For each layer the input is moved by ``magnitude`` times
    the sign of the gradient that brings its features closer to their nearest class
    Gaussian, then scored: max over classes of -1/2 Mahalanobis distance.

    One forward pass serves every layer's gradient (a backward pass per layer, each
    stopping at the input); the moved inputs are scored by truncated forward passes.
    """
    model.eval()
    out = np.zeros((len(x), len(g.relus)), np.float32)
    for s, e in _batches(len(x), batch_size):
        xb = x[s:e].clone().requires_grad_(True)
        hs = relu_outputs(model, xb, g.relus)
        for j, (h, r) in enumerate(zip(hs, g.relus)):
            scores = _gaussian_scores(h.flatten(2).mean(2), g.means[j], g.precisions[j])
            loss = -scores.max(1).values.mean()
            (grad,) = torch.autograd.grad(loss, xb, retain_graph=j + 1 < len(hs))
            with torch.no_grad():
                moved = xb - magnitude * torch.sign(grad)
                f2 = relu_outputs(model, moved, [r])[0].flatten(2).mean(2)
                out[s:e, j] = _gaussian_scores(f2, g.means[j], g.precisions[j]).max(1).values.numpy()
    return out


# ---------------------------------------------------------------- spectral

def fourier_spectrum(h: torch.Tensor, kind: str = "MFS") -> torch.Tensor:
    """2-D Fourier magnitude ("MFS") or phase ("PFS") of every channel:
    h (n, C, H, W) -> (n, C*H*W)."""
    spec = torch.fft.fft2(h.float())
    if kind == "MFS":
        return spec.abs().flatten(1)
    if kind == "PFS":
        return spec.angle().flatten(1)
    raise ValueError(f"unknown spectrum kind {kind!r} (MFS or PFS)")


def input_spectrum_features(x: torch.Tensor, kind: str = "MFS") -> np.ndarray:
    """InputMFS / InputPFS: x (n, C, H, W) -> (n, C*H*W)."""
    return fourier_spectrum(x, kind).numpy().astype(np.float32)


@torch.no_grad()
def layer_spectrum_features(model: nn.Module, x: torch.Tensor, kind: str = "MFS",
                            relus: tuple[int, ...] = SPECTRAL_RELUS, batch_size: int = 200) -> np.ndarray:
    """LayerMFS / LayerPFS: spectra of the chosen ReLUs' feature maps, concatenated:
    x (n, C, H, W) -> (n, sum_l C_l*H_l*W_l)."""
    model.eval()
    parts = []
    for s, e in _batches(len(x), batch_size):
        parts.append(torch.cat([fourier_spectrum(h, kind) for h in relu_outputs(model, x[s:e], list(relus))], 1))
    return torch.cat(parts).numpy().astype(np.float32)


# ---------------------------------------------------------------- evaluation

def benchmark_splits(n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (train, validation, test) of n clean/adversarial pairs as the benchmark
    splits them: 80/20 train+validation/test, then 20 % of that for validation. The
    benchmark splits clean and adversarial features separately with the same seed and
    length, so a clean image and its adversarial twin always land in the same part."""
    idx = np.arange(n)
    trval, test = train_test_split(idx, test_size=0.2, random_state=seed)
    train, val = train_test_split(trval, test_size=0.2, random_state=seed)
    return train, val, test


def make_classifier(spec: dict):
    """A scikit-learn classifier from ``{"kind": "logistic"}`` or
    ``{"kind": "knn", "k": 5, "weights": "distance"}``; features are standardised first."""
    kind = spec.get("kind")
    if kind == "logistic":
        # the benchmark's scikit-learn defaults (lbfgs, 100 iterations): on spectral features
        # with far more dimensions than examples it stops before full convergence, as there
        clf = LogisticRegression(max_iter=spec.get("max_iter", 100), C=spec.get("C", 1.0))
    elif kind == "knn":
        clf = KNeighborsClassifier(n_neighbors=spec["k"], weights=spec.get("weights", "uniform"))
    else:
        raise ValueError(f"unknown classifier kind {kind!r} (logistic or knn)")
    return make_pipeline(StandardScaler(), clf)


def evaluate(clean: np.ndarray, adv: np.ndarray, spec: dict, part: str = "test", seed: int = 42) -> dict:
    """Train ``spec``'s classifier on the training part of paired features clean, adv
    (n, d) and score it on ``part`` ("test" or "validation"). Returns ``auc`` and
    ``f1`` in % (adversarial = positive class), ``fpr``/``tpr`` (ROC curve) and ``n_test``."""
    if clean.shape != adv.shape:
        raise ValueError(f"clean and adversarial features must pair up: {clean.shape} vs {adv.shape}")
    if len(clean) < MIN_PAIRS:  # e.g. an attack that hardly ever succeeded: nothing to learn
        return {"auc": float("nan"), "f1": float("nan"), "fpr": np.array([0.0, 1.0]), "tpr": np.array([0.0, 1.0]),
                "n_test": 0}
    train, val, test = benchmark_splits(len(clean), seed)
    held = {"test": test, "validation": val}[part]
    xtr = np.concatenate([clean[train], adv[train]])
    ytr = np.r_[np.zeros(len(train)), np.ones(len(train))]
    xte = np.concatenate([clean[held], adv[held]])
    yte = np.r_[np.zeros(len(held)), np.ones(len(held))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = make_classifier(spec).fit(np.nan_to_num(xtr), ytr)
    xte = np.nan_to_num(xte)
    prob = clf.predict_proba(xte)[:, 1]
    fpr, tpr, _ = roc_curve(yte, prob)
    return {"auc": 100 * roc_auc_score(yte, prob), "f1": 100 * f1_score(yte, clf.predict(xte)),
            "fpr": fpr, "tpr": tpr, "n_test": len(yte)}


def tune_knn(pairs: dict[str, tuple[np.ndarray, np.ndarray]], ks: list[int], weights: list[str],
             seed: int = 42) -> tuple[dict, "np.ndarray"]:
    """One KNN setting for all attacks: the (k, weights) with the highest mean
    validation AUC over ``pairs`` (attack -> (clean, adv) features). Returns the spec
    and the grid of mean AUCs (len(ks), len(weights))."""
    grid = np.zeros((len(ks), len(weights)))
    for i, k in enumerate(ks):
        for j, w in enumerate(weights):
            aucs = []
            for clean, adv in pairs.values():
                if len(clean) < MIN_PAIRS:
                    continue
                n_train = len(benchmark_splits(len(clean), seed)[0])
                if 2 * n_train < k:
                    raise ValueError(f"k = {k} exceeds the {2 * n_train} training examples")
                aucs.append(evaluate(clean, adv, {"kind": "knn", "k": k, "weights": w}, "validation", seed)["auc"])
            grid[i, j] = np.mean(aucs)
    i, j = np.unravel_index(np.argmax(grid), grid.shape)
    return {"kind": "knn", "k": ks[i], "weights": weights[j]}, grid


# ---------------------------------------------------------------- the benchmark

@dataclass(frozen=True)
class BenchmarkConfig:
    """Scale of one dataset's detection benchmark (every number a profile parameter)."""
    n_images: int = 1000  # correctly classified test images attacked
    seed: int = 0  # which test images
    path_points: int = 32  # points on each loss curve of "ours"
    reference_pool: int = 10_000  # training images searched for each class's reference
    gaussian_train: int = 50_000  # training images for the Mahalanobis class Gaussians
    lid_k: int = 20
    lid_batch: int = 100
    magnitudes: tuple[tuple[str, float], ...] = (("fgsm", 0.0002), ("cw", 0.00001), ("default", 0.00005))
    split_seed: int = 42  # the benchmark's random_state

    def validate(self) -> None:
        if self.n_images < 20:
            raise ValueError(f"n_images must be at least 20 (the splits need them), got {self.n_images}")
        if self.path_points < 2:
            raise ValueError("path_points must be at least 2")
        if self.lid_batch < 2 or not 1 <= self.lid_k < self.lid_batch:
            raise ValueError("need 1 <= lid_k < lid_batch")
        if self.reference_pool < 1 or self.gaussian_train < 1:
            raise ValueError("reference_pool and gaussian_train must be positive")

    def magnitude(self, attack: str) -> float:
        m = dict(self.magnitudes)
        return m.get(attack, m["default"])


def select_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor, n: int, seed: int,
                   batch_size: int = 1000) -> torch.Tensor:
    """Indices of ``n`` correctly classified images, drawn at random with ``seed``."""
    with torch.no_grad():
        pred = torch.cat([model(x[s:e]).argmax(1) for s, e in _batches(len(x), batch_size)])
    ok = torch.nonzero(pred == y).flatten()
    if len(ok) < n:
        raise ValueError(f"only {len(ok)} correctly classified test images; {n} asked for")
    perm = torch.randperm(len(ok), generator=torch.Generator().manual_seed(seed))
    return ok[perm[:n]].sort().values


def run_attacks(trained, test, cfg: BenchmarkConfig, attack_cfg, attacks_to_run: tuple[str, ...]) -> dict:
    """Attack ``cfg.n_images`` correctly classified test images with every attack,
    cached by (model, images, attack settings). Returns ``idx`` (n,) and per attack a
    dict from :func:`connectivity.attacks.untargeted_attack` plus ``seconds``."""
    import dataclasses
    import time

    from .attacks import untargeted_attack
    from .caching import cached

    model = fold_batchnorm(trained.model)  # same function, faster passes
    idx = select_correct(model, test.x, test.y, cfg.n_images, cfg.seed)
    x, y = test.x[idx], test.y[idx]
    out = {"idx": idx}
    for name in attacks_to_run:
        params = {"model": dataclasses.asdict(trained.config), "images": idx.tolist(), "attack": name,
                  "settings": dataclasses.asdict(attack_cfg), "algorithm": 2}

        def compute(name=name):
            t0 = time.perf_counter()
            res = untargeted_attack(model, x, y, name, attack_cfg, seed=cfg.seed)
            res["seconds"] = time.perf_counter() - t0
            return res

        out[name] = cached("detection-attacks", params, compute)
    return out


def detector_features(trained, train, test, adv: dict, cfg: BenchmarkConfig, attacks_to_run: tuple[str, ...]) -> dict:
    """Features of every detector for the clean images and each attack's successful
    adversarials: ``{detector: {attack: (clean (m, d), adv (m, d))}}`` over the m
    successful pairs, plus ``seconds[detector]`` (feature time per image)."""
    import time

    from .training import NUM_CLASSES

    model = fold_batchnorm(trained.model)
    k = NUM_CLASSES[trained.config.dataset]
    x = test.x[adv["idx"]]
    g = torch.Generator().manual_seed(cfg.seed + 1)
    pool = torch.randperm(len(train.x), generator=g)
    ref_idx = pool[: cfg.reference_pool]
    refs = reference_images(model, train.x[ref_idx], train.y[ref_idx], k)
    gidx = pool[: cfg.gaussian_train]
    gauss = fit_class_gaussians(model, train.x[gidx], train.y[gidx], k)
    feats = {d: {} for d in DETECTORS}
    seconds = {d: 0.0 for d in DETECTORS}
    counted = {d: 0 for d in DETECTORS}

    def timed(det, fn, n):
        t0 = time.perf_counter()
        r = fn()
        seconds[det] += time.perf_counter() - t0
        counted[det] += n
        return r

    # features of single images: clean ones computed once for all attacks
    single = {
        "ours": lambda z: path_loss_features(model, z, refs, cfg.path_points),
        "inputmfs": lambda z: input_spectrum_features(z, "MFS"),
        "layermfs": lambda z: layer_spectrum_features(model, z, "MFS"),
        "layerpfs": lambda z: layer_spectrum_features(model, z, "PFS"),
    }
    clean = {d: timed(d, lambda f=f: f(x), len(x)) for d, f in single.items()}
    maha_clean: dict[float, np.ndarray] = {}
    n_relus = len(relu_positions(model))
    for name in attacks_to_run:
        ok = adv[name]["success"]
        if int(ok.sum()) < MIN_PAIRS:  # too few successful adversarials to score: empty features
            for d in DETECTORS:
                width = clean[d].shape[1] if d in clean else n_relus
                feats[d][name] = (np.zeros((0, width), np.float32), np.zeros((0, width), np.float32))
            continue
        xa = adv[name]["x"][ok]
        for d, f in single.items():
            feats[d][name] = (clean[d][ok.numpy()], timed(d, lambda f=f: f(xa), len(xa)))
        feats["lid"][name] = timed("lid", lambda: lid_features(model, x[ok], xa, cfg.lid_k, cfg.lid_batch), 2 * len(xa))
        m = cfg.magnitude(name)
        if m not in maha_clean:  # a clean image's score depends only on the magnitude
            maha_clean[m] = timed("mahalanobis", lambda: mahalanobis_features(model, x, gauss, m), len(x))
        feats["mahalanobis"][name] = (maha_clean[m][ok.numpy()],
                                      timed("mahalanobis", lambda: mahalanobis_features(model, xa, gauss, m), len(xa)))
    feats["seconds"] = {d: seconds[d] / max(1, counted[d]) for d in DETECTORS}
    return feats
