"""Adversarial detectors and the benchmark's evaluation on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.covariance import EmpiricalCovariance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from torch import nn

from connectivity import detection
from connectivity.models import cifar_vgg16_bn
from connectivity.pages.vrabel2024.detection.tolerances import cell_margins, cell_tolerances
from connectivity.stats import hanley_mcneil_se

# ---------------------------------------------------------------- detectors


@pytest.fixture(scope="module")
def tiny_vgg():
    torch.manual_seed(0)
    model = cifar_vgg16_bn(width=0.0625, num_classes=4).eval()
    x = torch.rand(24, 3, 32, 32)
    return model, x


def test_relu_outputs_match_the_forward_pass(tiny_vgg):
    model, x = tiny_vgg
    assert len(detection.relu_positions(model)) == 13
    outs = detection.relu_outputs(model, x[:3], [0, 12])
    assert outs[0].shape == (3, 4, 32, 32) and outs[1].shape == (3, 32, 2, 2)
    # the last ReLU's output, pooled and classified, is the model's output
    torch.testing.assert_close(model.classifier(model.block5[-1](outs[1]).flatten(1)), model(x[:3]))


def test_feature_shapes(tiny_vgg):
    model, x = tiny_vgg
    refs = x[:4]
    feats = detection.path_loss_features(model, x, refs, n_points=7, batch_size=10)
    assert feats.part("both").shape == (24, 7 + 4) and len(feats) == 24
    assert feats.part("curve").shape == (24, 7) and feats.part("logits").shape == (24, 4)
    np.testing.assert_array_equal(feats.part("both")[:, 7:], feats.logits)
    assert feats[np.arange(24) < 5].part().shape == (5, 11)
    with pytest.raises(ValueError, match="unknown feature part"):
        feats.part("curves")
    lc, la = detection.lid_features(model, x, x.flip(0), k=5, batch_size=12)
    assert lc.shape == la.shape == (24, 13)
    g = detection.fit_class_gaussians(model, x, torch.arange(24) % 4, 4)
    assert detection.mahalanobis_features(model, x, g, 0.001).shape == (24, 13)
    assert detection.input_spectrum_features(x).shape == (24, 3 * 32 * 32)
    relus = list(detection.SPECTRAL_RELUS)
    dims = sum(h[0].numel() for h in detection.relu_outputs(model, x[:1], relus))
    assert detection.layer_spectrum_features(model, x, "PFS").shape == (24, dims)
    last = detection.layer_spectrum_features(model, x, "MFS", detection.LAST_RELU, True)
    assert last.shape == (24, 32 * 2 * 2) and np.allclose(last.max(1), 1.0)
    assert np.isfinite(feats.part()).all() and np.isfinite(lc).all()


def test_path_loss_features_start_at_the_image_and_end_at_the_reference(tiny_vgg):
    model, x = tiny_vgg
    refs = x[4:8]
    feats = detection.path_loss_features(model, x[:6], refs, n_points=5)
    with torch.no_grad():
        logits = model(x[:6])
        pred = logits.argmax(1)
        start = nn.functional.cross_entropy(logits, pred, reduction="none")
        end = nn.functional.cross_entropy(model(refs[pred]), pred, reduction="none")
    np.testing.assert_allclose(feats.curve[:, 0], start.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(feats.curve[:, 4], end.numpy(), rtol=1e-4, atol=1e-5)
    sorted_logits = logits.sort(1, descending=True).values.numpy()
    np.testing.assert_allclose(feats.logits, sorted_logits, rtol=1e-5, atol=1e-6)


def test_lid_uses_each_image_once(tiny_vgg):
    """Batch b's estimates come from batch b alone (the benchmark reused the first batch)."""
    model, x = tiny_vgg
    adv = (x + 0.05 * torch.randn_like(x)).clamp(0, 1)
    lc, la = detection.lid_features(model, x, adv, k=5, batch_size=8)
    lc2, la2 = detection.lid_features(model, x[8:16], adv[8:16], k=5, batch_size=8)
    np.testing.assert_allclose(lc[8:16], lc2, rtol=1e-5)
    np.testing.assert_allclose(la[8:16], la2, rtol=1e-5)
    assert not np.allclose(lc[8:16], lc[:8])


def test_lid_estimate_recovers_the_dimension_of_a_flat_cloud():
    g = torch.Generator().manual_seed(0)
    d = 4
    z = torch.rand(3000, d, generator=g)
    basis = torch.linalg.qr(torch.randn(30, d, generator=g))[0]  # a 4-D subspace of R^30
    pts = z @ basis.T
    dist = torch.cdist(pts[:300], pts).sort(1).values[:, 1:21]
    est = detection._mle_lid(dist).median().item()
    assert abs(est - d) < 0.8, est


def test_class_gaussians_match_sklearn(tiny_vgg):
    model, x = tiny_vgg
    y = torch.arange(24) % 4
    g = detection.fit_class_gaussians(model, x, y, 4, relus=[3])
    f = detection.relu_outputs(model, x, [3])[0].flatten(2).mean(2).detach().double()
    mu = torch.stack([f[y == c].mean(0) for c in range(4)])
    torch.testing.assert_close(g.means[0], mu.float())
    ref = EmpiricalCovariance(assume_centered=True).fit((f - mu[y]).numpy())
    cov = torch.linalg.pinv(g.precisions[0].double())
    torch.testing.assert_close(cov, torch.from_numpy(ref.covariance_), rtol=1e-3, atol=1e-6)


def test_mahalanobis_noise_is_added_in_normalised_units(tiny_vgg):
    """The benchmark moves the *normalised* input by the magnitude m, i.e. the pixels by
    m * std per channel: reproduce the score by hand in pixel space."""
    model, x = tiny_vgg
    y = torch.arange(24) % 4
    g = detection.fit_class_gaussians(model, x, y, 4, relus=[2])
    m = 0.01
    got = detection.mahalanobis_features(model, x[:6], g, m)[:, 0]
    xr = x[:6].clone().requires_grad_(True)
    f = detection.relu_outputs(model, xr, [2])[0].flatten(2).mean(2)
    scores = detection._gaussian_scores(f, g.means[0], g.precisions[0])
    (-scores.max(1).values.sum()).backward()
    moved = x[:6] - m * model.normalize.std * xr.grad.sign()
    with torch.no_grad():
        f2 = detection.relu_outputs(model, moved, [2])[0].flatten(2).mean(2)
        want = detection._gaussian_scores(f2, g.means[0], g.precisions[0]).max(1).values
    np.testing.assert_allclose(got, want.numpy(), rtol=1e-4, atol=1e-4)
    plain = detection.mahalanobis_features(model, x[:6], g, 0.0)[:, 0]
    assert not np.allclose(got, plain)  # the noise does something


def test_fourier_magnitude_and_phase():
    h = torch.full((1, 2, 4, 4), 0.5)
    mfs = detection.fourier_spectrum(h, "MFS").view(2, 4, 4)
    assert mfs[:, 0, 0].tolist() == [8.0, 8.0]
    assert float(mfs.flatten(1)[:, 1:].abs().max()) < 1e-6
    pfs = detection.fourier_spectrum(torch.randn(3, 2, 4, 4), "PFS")
    assert float(pfs.min()) >= 0 and float(pfs.max()) <= np.pi + 1e-6  # |phase|, as the benchmark
    with pytest.raises(ValueError):
        detection.fourier_spectrum(h, "XYZ")


# ---------------------------------------------------------------- evaluation


def benchmark_by_hand(clean, adv):
    """detect_adversarials.py's normal case, line by line."""
    k = len(clean)
    a_trv, a_te, _, _ = train_test_split(adv, np.ones(k), test_size=0.2, random_state=42)
    b_trv, b_te, _, _ = train_test_split(clean, np.zeros(k), test_size=0.2, random_state=42)
    a_tr, _, _, _ = train_test_split(a_trv, np.ones(len(a_trv)), test_size=0.2, random_state=42)
    b_tr, _, _, _ = train_test_split(b_trv, np.zeros(len(b_trv)), test_size=0.2, random_state=42)
    x_tr = np.concatenate((b_tr, a_tr))
    y_tr = np.concatenate((np.zeros(len(b_tr)), np.ones(len(a_tr))))
    x_te = np.concatenate((b_te, a_te))
    y_te = np.concatenate((np.zeros(len(b_te)), np.ones(len(a_te))))
    w, b = _summed_loss_lbfgs(x_tr, y_tr)  # LogisticRegression() of scikit-learn 0.23.2
    prob = 1 / (1 + np.exp(-(x_te @ w + b)))
    acc = 100 * np.mean((prob > 0.5) == y_te)
    return acc, 100 * roc_auc_score(y_te, prob)


def test_accuracy_and_auc_are_the_benchmarks():
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(150, 5))
    adv = rng.normal(size=(150, 5)) + 0.6
    score = detection.evaluate(clean, adv, detection.ClassifierSpec("logistic"))
    acc, auc = benchmark_by_hand(clean, adv)
    assert score.accuracy == pytest.approx(acc) and score.auc == pytest.approx(auc)
    assert score.n_test == 60 and 50 < score.auc < 100
    assert score.auc_se == pytest.approx(100 * hanley_mcneil_se(auc / 100, 30, 30))


def test_benchmark_splits_and_evaluation():
    tr, va, te = detection.benchmark_splits(100)
    assert (len(tr), len(va), len(te)) == (64, 16, 20)
    assert len(set(tr) | set(va) | set(te)) == 100
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(200, 3))
    separable = detection.evaluate(clean, clean + 10, detection.ClassifierSpec("logistic"))
    assert separable.auc == 100.0 and separable.accuracy == 100.0
    same = detection.evaluate(clean, rng.normal(size=(200, 3)), detection.ClassifierSpec())
    assert 25 < same.auc < 75
    svm = detection.evaluate(clean, clean + 10, detection.ClassifierSpec("svm", C=10, gamma=0.1))
    assert svm.auc == 100.0
    specs, grid = detection.tune_knn({"a": (clean, clean + 10)}, [1, 3], ["uniform", "distance"])
    assert [s.kind for s in specs] == ["knn"] and grid.shape == (2, 2) and np.nanmax(grid) == 100.0
    few = detection.evaluate(clean[:5], clean[:5] + 10, detection.ClassifierSpec())
    assert np.isnan(few.auc) and few.n_test == 0  # too few pairs: no score rather than a fake one
    with pytest.raises(ValueError):
        detection.ClassifierSpec("forest")


def test_five_folds_test_every_pair_once_and_start_with_the_benchmarks_split():
    n = 103
    folds = detection.detection_splits(n, True)
    assert len(folds) == 5
    tests = np.concatenate([t for _, _, t in folds])
    assert sorted(tests.tolist()) == list(range(n))  # every pair tested exactly once
    for train, val, test in folds:
        assert not set(train) & set(test) and not set(val) & set(test) and not set(train) & set(val)
        assert len(train) + len(val) + len(test) == n
        assert abs(len(test) - n / 5) <= 1 and abs(len(val) - 0.16 * n) <= 1.5
    for got, want in zip(folds[0], detection.benchmark_splits(n)):
        np.testing.assert_array_equal(got, want)  # fold 1 is the benchmark's split, in order


def test_a_classifier_with_one_output_for_every_image_is_flagged_constant():
    """Features without spread give one probability for every test example: 50 / 50 that
    says nothing (the chapter records it as failed); features with signal do not."""
    rng = np.random.default_rng(2)
    flat = detection.evaluate(np.zeros((100, 4)), np.zeros((100, 4)), detection.ClassifierSpec())
    assert flat.constant and flat.auc == 50.0 and flat.accuracy == 50.0
    signal = detection.evaluate(
        rng.normal(size=(100, 4)), rng.normal(size=(100, 4)) + 0.5, detection.ClassifierSpec()
    )
    assert not signal.constant and signal.auc > 50.0
    assert not detection.DetectionScore.empty().constant


def _summed_loss_lbfgs(x, y, C=1.0, tol=1e-4, max_iter=100):
    """scikit-learn 0.23.2's binary LogisticRegression (the benchmark's pin), written out:
    lbfgs on the *summed* log-loss + ||w||^2 / 2C (intercept unpenalised), gtol = tol."""
    from scipy.optimize import minimize

    s = 2 * y - 1

    def loss_grad(wb):
        w, b = wb[:-1], wb[-1]
        m = s * (x @ w + b)
        loss = np.logaddexp(0, -m).sum() + 0.5 / C * w @ w
        g = -s / (1 + np.exp(m))
        return loss, np.r_[x.T @ g + w / C, g.sum()]

    res = minimize(
        loss_grad,
        np.zeros(x.shape[1] + 1),
        jac=True,
        method="L-BFGS-B",
        options={"gtol": tol, "maxiter": max_iter},
    )
    return res.x[:-1], res.x[-1]


def test_logistic_regression_stops_as_the_benchmarks_scikit_learn():
    """scikit-learn >= 1.4 minimises the mean loss, so its default tolerance stops at w = 0
    when the classes' feature means differ by ~1e-5 (a constant classifier: the CIFAR-100
    InputMFS cells); the benchmark's 0.23.2 summed the loss and went on. ClassifierSpec's
    logistic regression stops where the summed-loss reference does."""
    rng = np.random.default_rng(0)
    clean = rng.normal(0.5, 0.01, size=(300, 40))
    adv = clean + rng.normal(3e-5, 1e-5, size=(300, 40))
    x = np.concatenate([clean, adv])
    y = np.r_[np.zeros(300), np.ones(300)]
    mean_loss = LogisticRegression().fit(x, y)
    assert mean_loss.n_iter_[0] == 0 and not mean_loss.coef_.any()  # the failure
    ours = detection.ClassifierSpec("logistic").build(len(y)).fit(x, y)
    w, b = _summed_loss_lbfgs(x, y)
    assert ours.n_iter_[0] > 0 and ours.coef_.any()
    reference = 1 / (1 + np.exp(-(x @ w + b)))
    ours_p = ours.predict_proba(x)[:, 1]
    assert np.ptp(ours_p) > 0 and np.corrcoef(ours_p, reference)[0, 1] > 0.99
    assert roc_auc_score(y, ours_p) == pytest.approx(roc_auc_score(y, reference), abs=0.01)


def test_classifier_needs_the_training_size():
    """The tolerance is per training example, so the size is required, not defaulted."""
    spec = detection.ClassifierSpec("logistic")
    with pytest.raises(TypeError):
        spec.build()
    with pytest.raises(ValueError, match="positive"):
        spec.build(0)
    assert spec.build(600).tol == pytest.approx(1e-4 / 600)


def test_cross_validated_score_pools_every_pair_and_keeps_the_benchmark_split():
    rng = np.random.default_rng(1)
    clean = rng.normal(size=(150, 5))
    adv = rng.normal(size=(150, 5)) + 0.6
    pooled = detection.evaluate(clean, adv, detection.ClassifierSpec(), cross_validate=True)
    assert pooled.n_test == 300 and list(pooled.labels) == [0] * 150 + [1] * 150
    one = pooled.benchmark_split
    acc, auc = benchmark_by_hand(clean, adv)
    assert one.n_test == 60 and one.accuracy == pytest.approx(acc) and one.auc == pytest.approx(auc)
    # the pooled AUC is that of the held-out probabilities, fold by fold, by hand
    probs = np.zeros(300)
    for train, _, test in detection.detection_splits(150, True):
        xtr = np.concatenate([clean[train], adv[train]])
        w, b = _summed_loss_lbfgs(xtr, np.r_[np.zeros(len(train)), np.ones(len(train))])
        probs[test] = 1 / (1 + np.exp(-(clean[test] @ w + b)))
        probs[150 + test] = 1 / (1 + np.exp(-(adv[test] @ w + b)))
    assert pooled.auc == pytest.approx(100 * roc_auc_score(pooled.labels, probs))
    assert pooled.auc_se == pytest.approx(100 * hanley_mcneil_se(pooled.auc / 100, 150, 150))
    assert pooled.auc_se < 0.6 * one.auc_se  # five times the test pairs: SE / sqrt(5)-ish
    single = detection.evaluate(clean, adv, detection.ClassifierSpec())
    assert single.benchmark_split is single and single.auc == pytest.approx(auc)


def test_knn_is_chosen_per_fold_on_validation_data_only():
    rng = np.random.default_rng(2)
    clean = rng.normal(size=(120, 2))
    pairs = {"a": (clean, rng.normal(size=(120, 2)) + 1.0)}
    specs, grid = detection.tune_knn(pairs, [1, 25], ["uniform"], cross_validate=True)
    assert len(specs) == 5 and grid.shape == (2, 1)
    # a 25-neighbour vote beats one neighbour on overlapping Gaussians in every fold
    assert all(s.k == 25 for s in specs) and grid[1, 0] > grid[0, 0]
    score = detection.evaluate(*pairs["a"], specs, cross_validate=True)
    assert score.classifier == "KNN (k = 25, uniform weights)"
    mixed = detection.describe_specs([detection.ClassifierSpec("knn", k=1)] * 2 + specs[:3])
    assert mixed == "KNN per fold: k = 25 uniform ×3, k = 1 uniform ×2"
    with pytest.raises(ValueError, match="folds"):
        detection.evaluate(*pairs["a"], specs[:2], cross_validate=True)


def scored(auc_shift: float, seed: int, n: int = 300):
    """A detector whose adversarial scores are shifted by ``auc_shift``."""
    rng = np.random.default_rng(seed)
    clean = rng.normal(size=(n, 2))
    adv = rng.normal(size=(n, 2)) + auc_shift
    return detection.evaluate(clean, adv, detection.ClassifierSpec())


def test_paired_bootstrap_of_identical_detectors_is_zero():
    a = scored(1.0, 0)
    assert np.all(detection.paired_bootstrap_auc(a, a, 200) == 0)


def test_beats_all_test_has_direction_and_significance():
    strong, weak, chance = scored(2.5, 0), scored(0.6, 0), scored(0.0, 0)
    # the same features (seed) and the same split: only the shift differs
    assert detection.beats_all_test(strong, {"w": weak, "c": chance}).verdict() == "reproduced"
    assert detection.beats_all_test(chance, {"s": strong, "w": weak}).verdict() == "differs"
    # beating one baseline is not beating all: the intersection-union test needs each
    mixed = detection.beats_all_test(weak, {"c": chance, "s": strong})
    assert mixed.p_value > 0.05 and mixed.effect < 0


# ---------------------------------------------------------------- Table 1 tolerances


def _score(auc: float, accuracy: float, n_test: int) -> detection.DetectionScore:
    empty = np.zeros(0)
    return detection.DetectionScore(accuracy, auc, 0.0, n_test, empty, empty, empty, empty)


MARGINS_LAYERMFS_FGSM = cell_margins("cifar10", "layermfs", 0)


def test_cell_margin_is_half_the_gap_to_the_nearest_detector_in_the_papers_column():
    # CIFAR-10 FGSM AUC: LayerMFS 100.0, nearest LayerPFS 99.9 -> 0.05; accuracy 99.6 vs
    # LayerPFS 97.0, InputMFS 98.1 -> nearest 98.1 -> 0.75
    (acc_margin, acc_basis), (auc_margin, _) = MARGINS_LAYERMFS_FGSM
    assert auc_margin == pytest.approx(0.05) and acc_margin == pytest.approx(0.75)
    assert "98.1" in acc_basis


@pytest.mark.parametrize(
    "auc, verdict",
    [
        (100.0, "not significant"),  # the paper's own ranking gap (0.1) is below any SE here
        (99.6, "not significant"),  # 0.4 points: within 1.96 SE of 400 + 400 examples
        (99.5, "differs"),
        (98.0, "differs"),  # two points off a paper value of 100.0 is a real difference
    ],
)
def test_a_cell_at_paper_auc_100_follows_the_one_rule(auc, verdict):
    _, tol = cell_tolerances(_score(auc, 99.0, 800), 99.6, 100.0, "cifar10", MARGINS_LAYERMFS_FGSM)
    assert tol.verdict(auc - 100.0) == verdict
    assert tol.power() == 0.0  # a 0.05-point margin cannot be shown on 400 + 400 examples
    assert "printed rounding" in tol.se_basis and "unknown (between trainings" in tol.se_basis


def test_cell_tolerances_count_both_sides():
    # the same cell scored on 10x the test examples narrows only this build's part
    margins = cell_margins("cifar10", "mode_connectivity", 0)
    small = cell_tolerances(_score(80.0, 75.0, 200), 75.0, 80.0, "cifar10", margins)[1].se
    large = cell_tolerances(_score(80.0, 75.0, 2000), 75.0, 80.0, "cifar10", margins)[1].se
    paper_only = 100 * hanley_mcneil_se(0.8, 1600, 1600)
    assert large < small and large > paper_only


def test_benchmark_row_shuffle_permutes_each_column_on_its_own():
    """The benchmark's Mahalanobis rows: every column in its own image order, clean and
    adversarial separately; the values of each column are kept."""
    rng = np.random.default_rng(0)
    clean, adv = rng.normal(size=(50, 13)), rng.normal(size=(50, 13))
    c, a = detection.benchmark_row_shuffle(clean, adv, seed=1)
    for got, was in ((c, clean), (a, adv)):
        np.testing.assert_array_equal(np.sort(got, 0), np.sort(was, 0))  # same column values
    moved = [(c[:, j] != clean[:, j]).mean() for j in range(13)]
    assert min(moved) > 0.8  # each column re-ordered
    orders = {tuple(np.argsort(np.argsort(c[:, j]))) for j in range(13)}
    assert len(orders) == 13  # and each in its own order
    c2, _ = detection.benchmark_row_shuffle(clean, adv, seed=1)
    np.testing.assert_array_equal(c, c2)  # seeded


def test_mahalanobis_rows_setting_is_checked():
    from connectivity.pages.vrabel2024.detection import DetectionSettings
    from connectivity.settings import ParameterError

    with pytest.raises(ParameterError, match="mahalanobis_rows is one of aligned, shuffled"):
        DetectionSettings.resolve("ci", mahalanobis_rows="shufled")
