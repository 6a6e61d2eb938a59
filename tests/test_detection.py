"""Adversarial detectors and the benchmark's evaluation on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.covariance import EmpiricalCovariance
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score, roc_curve
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


def test_cross_validated_score_is_the_mean_of_the_folds_and_keeps_the_benchmark_split():
    rng = np.random.default_rng(1)
    clean = rng.normal(size=(150, 5))
    adv = rng.normal(size=(150, 5)) + 0.6
    cv = detection.evaluate(clean, adv, detection.ClassifierSpec(), cross_validate=True)
    assert cv.n_test == 300 and list(cv.labels) == [0] * 150 + [1] * 150
    one = cv.benchmark_split
    acc, auc = benchmark_by_hand(clean, adv)
    assert one.n_test == 60 and one.accuracy == pytest.approx(acc) and one.auc == pytest.approx(auc)
    # each fold's AUC and accuracy from its own classifier, by hand; the score their mean
    aucs, accs = [], []
    for train, _, test in detection.detection_splits(150, True):
        xtr = np.concatenate([clean[train], adv[train]])
        w, b = _summed_loss_lbfgs(xtr, np.r_[np.zeros(len(train)), np.ones(len(train))])
        prob = 1 / (1 + np.exp(-(np.concatenate([clean[test], adv[test]]) @ w + b)))
        truth = np.r_[np.zeros(len(test)), np.ones(len(test))]
        aucs.append(100 * roc_auc_score(truth, prob))
        accs.append(100 * np.mean((prob > 0.5) == truth))
    np.testing.assert_allclose(cv.fold_auc, aucs, atol=1e-6)
    np.testing.assert_allclose(cv.fold_accuracy, accs, atol=1e-6)
    assert cv.auc == pytest.approx(np.mean(aucs)) and cv.accuracy == pytest.approx(np.mean(accs))
    assert cv.auc_se == pytest.approx(np.std(aucs, ddof=1) / np.sqrt(5))
    assert cv.accuracy_se == pytest.approx(np.std(accs, ddof=1) / np.sqrt(5))
    assert cv.between_folds and cv.se_kind == "between-fold"
    assert sorted(np.bincount(cv.test_fold)) == [60] * 5  # 30 + 30 test examples per fold
    single = detection.evaluate(clean, adv, detection.ClassifierSpec())
    assert single.benchmark_split is single and single.auc == pytest.approx(auc)
    assert not single.between_folds and single.se_kind == "Hanley–McNeil"


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
    assert "printed rounding" in tol.se_basis and "unknown (spread between fits" in tol.se_basis


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


# ------------------------------------------ issue 36: LID in the benchmark's batches


def _benchmark_lid_by_hand(model, images, advs, k, batch_size):
    """A transcription of the benchmark's ``estimate`` (extract_characteristics.py, LID):
    every batch filled with ``images[j]`` (not ``images[start + j]``), scipy's cdist and
    its ``mle_batch``; here on this book's ReLU outputs and in float64."""
    from scipy.spatial.distance import cdist

    def mle_batch(data, batch, k):
        k = min(k, len(data) - 1)
        a = np.sort(cdist(batch, data), axis=1)[:, 1 : k + 1]
        return np.array([-k / np.sum(np.log(v / v[-1])) for v in a])

    n = len(images)
    lids, lids_adv = [], []
    for i_batch in range(int(np.ceil(n / batch_size))):
        start, end = i_batch * batch_size, min(n, (i_batch + 1) * batch_size)
        n_feed = end - start
        batch = torch.stack([images[j] for j in range(n_feed)])  # the benchmark's images[j]
        batch_adv = torch.stack([advs[j] for j in range(n_feed)])
        with torch.no_grad():
            relus = list(range(len(detection.relu_positions(model))))
            acts = detection.relu_outputs(model, batch, relus)
            acts_adv = detection.relu_outputs(model, batch_adv, relus)
        lb, la = np.zeros((n_feed, len(acts))), np.zeros((n_feed, len(acts)))
        for i, (c, a) in enumerate(zip(acts, acts_adv)):
            c, a = c.flatten(1).double().numpy(), a.flatten(1).double().numpy()
            lb[:, i], la[:, i] = mle_batch(c, c, k), mle_batch(c, a, k)
        lids.extend(lb)
        lids_adv.extend(la)
    return np.asarray(lids), np.asarray(lids_adv)


@pytest.mark.timeout(120)
def test_benchmark_lid_batches_reproduce_the_benchmarks_copy_bug(tiny_vgg):
    """24 pairs in batches of 10: the benchmark's rows 10-19 copy rows 0-9 and rows 20-23
    are the first 4 pairs estimated among themselves; only 10 pairs are distinct."""
    model, x = tiny_vgg
    adv = (x + 0.05 * torch.randn_like(x)).clamp(0, 1)
    lc, la = detection.lid_features(model, x, adv, k=5, batch_size=10, benchmark_batches=True)
    want_c, want_a = _benchmark_lid_by_hand(model, x, adv, 5, 10)
    np.testing.assert_allclose(lc, want_c, rtol=2e-3, atol=1e-4)
    np.testing.assert_allclose(la, want_a, rtol=2e-3, atol=1e-4)
    np.testing.assert_array_equal(lc[10:20], lc[:10])  # the copy bug
    np.testing.assert_array_equal(la[10:20], la[:10])
    first4 = detection.lid_features(model, x[:4], adv[:4], k=5, batch_size=4)
    np.testing.assert_allclose(lc[20:], first4[0], rtol=1e-5)
    assert len(np.unique(lc, axis=0)) == 14  # 10 distinct pairs + the last batch's 4
    corrected, _ = detection.lid_features(model, x, adv, k=5, batch_size=10)
    assert not np.allclose(corrected[10:20], corrected[:10])


@pytest.mark.timeout(120)
def test_benchmark_lid_batches_equal_the_corrected_ones_in_one_batch(tiny_vgg):
    """With one batch for the whole set the bug has nothing to repeat: both ways agree."""
    model, x = tiny_vgg
    adv = (x + 0.05 * torch.randn_like(x)).clamp(0, 1)
    bench = detection.lid_features(model, x, adv, k=5, batch_size=24, benchmark_batches=True)
    fixed = detection.lid_features(model, x, adv, k=5, batch_size=24)
    for b, f in zip(bench, fixed):
        np.testing.assert_array_equal(b, f)


@pytest.mark.timeout(60)
def test_lid_cells_take_the_papers_standard_error_at_the_effective_n():
    """The benchmark's LID rows repeat its first 100 pairs: the paper's Hanley–McNeil /
    binomial part of the SE at 100 + 100 pairs, not at its 1,600 + 1,600 test rows."""
    from connectivity.pages.vrabel2024.detection.tolerances import BENCHMARK_LID_BATCH, paper_pairs

    assert BENCHMARK_LID_BATCH == 100
    assert paper_pairs("cifar10", "lid") == 100 and paper_pairs("cifar10", "lid_x") == 1600
    margins = cell_margins("cifar10", "lid", 0)
    score = _score(80.0, 75.0, 2000)
    acc, auc = cell_tolerances(score, 75.0, 80.0, "cifar10", margins)
    acc100, auc100 = cell_tolerances(score, 75.0, 80.0, "cifar10", margins, pairs=100)
    hm = lambda n: 100 * hanley_mcneil_se(0.8, n, n)  # noqa: E731
    bi = lambda n: 100 * np.sqrt(0.75 * 0.25 / (2 * n))  # noqa: E731
    assert auc100.se**2 - auc.se**2 == pytest.approx(hm(100) ** 2 - hm(1600) ** 2)
    assert acc100.se**2 - acc.se**2 == pytest.approx(bi(100) ** 2 - bi(1600) ** 2)
    assert hm(100) / hm(1600) == pytest.approx(4.0, rel=0.01)  # the referee's 4x
    assert auc100.value == auc.value and "100+100 distinct" in auc100.se_basis
    # at or above the test split nothing changes
    assert cell_tolerances(score, 75.0, 80.0, "cifar10", margins, pairs=1600)[1] == auc


# ---------------------------------------------------------------- folds and refits (issue 36)


def _fold(auc: float, accuracy: float = 50.0) -> detection.DetectionScore:
    """A one-split score with a known AUC, its ROC a diagonal step."""
    labels = np.r_[np.zeros(2), np.ones(2)]
    return detection.DetectionScore(
        accuracy, auc, 0.0, 4, labels, labels, np.array([0.0, 1.0]), np.array([0.0, 1.0])
    )


@pytest.mark.timeout(30)
def test_mean_of_folds_with_known_aucs():
    """Five folds with AUCs 70, 75, 80, 85, 90 (SD √62.5): the mean 80 and between-fold SE
    √62.5 / √5 = 3.536; accuracies 60..80 alike; fold 1 kept as the benchmark's split."""
    folds = [_fold(a, acc) for a, acc in zip([70, 75, 80, 85, 90], [60, 65, 70, 75, 80])]
    s = detection.mean_of_folds(folds, "c", folds[0])
    assert s.auc == pytest.approx(80.0) and s.auc_se == pytest.approx(np.sqrt(62.5 / 5))
    assert s.accuracy == pytest.approx(70.0) and s.accuracy_se == pytest.approx(np.sqrt(12.5))
    assert s.benchmark_split.auc == 70 and s.n_test == 20 and s.between_folds
    same = detection.mean_of_folds([_fold(80.0)] * 5, "c", _fold(80.0))
    assert same.auc == 80.0 and same.auc_se == 0.0  # folds that agree: no between-fold spread


@pytest.mark.timeout(60)
def test_averaged_roc_has_the_mean_area_of_the_folds():
    """Constructed scores with a different AUC in each fold: the vertically averaged ROC's
    area is the folds' mean AUC (up to the averaging grid)."""
    rng = np.random.default_rng(3)
    folds = []
    for shift in (0.3, 0.8, 1.5):
        truth = np.r_[np.zeros(200), np.ones(200)]
        prob = np.r_[rng.normal(size=200), rng.normal(size=200) + shift]
        fpr, tpr, _ = roc_curve(truth, prob)
        auc = 100 * roc_auc_score(truth, prob)
        folds.append(detection.DetectionScore(50.0, auc, 0.0, 400, truth, prob, fpr, tpr))
    s = detection.mean_of_folds(folds, "c", folds[0])
    area = 100 * np.sum(np.diff(s.fpr) * (s.tpr[1:] + s.tpr[:-1]) / 2)
    assert area == pytest.approx(s.auc, abs=0.5)


@pytest.mark.timeout(120)
def test_refit_spread_is_zero_for_a_deterministic_classifier_and_positive_when_seeded():
    """Refits on the same features: the logistic regression has no random state, so
    reshuffling its training rows (the classifier seed) leaves the score where it was;
    a KNN on features with exact ties between clean and adversarial rows breaks them by
    row order, and new fold-split seeds move every score."""
    rng = np.random.default_rng(4)
    clean, adv = rng.normal(size=(120, 3)), rng.normal(size=(120, 3)) + 0.7
    spec = detection.ClassifierSpec("logistic")
    base = detection.evaluate(clean, adv, spec, 42, True)
    same_split = [detection.evaluate(clean, adv, spec, 42, True, order_seed=r) for r in (1, 2, 3)]
    order = detection.refit_spread(base, same_split, "classifier seed")
    assert order.n == 4 and order.auc_sd == pytest.approx(0.0, abs=1e-9)
    assert order.accuracy_sd == pytest.approx(0.0, abs=1e-9)
    new_split = [detection.evaluate(clean, adv, spec, r, True, order_seed=r) for r in (1, 2, 3)]
    assert detection.refit_spread(base, new_split).auc_sd > 0  # the folds are a seed
    # integer features: many clean and adversarial rows at the same distance
    tied_c = rng.integers(0, 2, size=(120, 2)).astype(float)
    tied_a = rng.integers(0, 2, size=(120, 2)).astype(float) + (rng.random((120, 1)) < 0.3)
    knn = detection.ClassifierSpec("knn", k=3)
    knn_base = detection.evaluate(tied_c, tied_a, knn, 42, True)
    knn_refits = [
        detection.evaluate(tied_c, tied_a, knn, 42, True, order_seed=r) for r in range(1, 6)
    ]
    assert detection.refit_spread(knn_base, knn_refits).auc_sd > 0  # ties broken by row order
    assert detection.refit_spread(base, []) is None  # no refits: no spread
    assert detection.refit_spread(base, [detection.DetectionScore.empty()]) is None


@pytest.mark.timeout(120)
def test_refit_tuned_knn_chooses_again_per_seed():
    rng = np.random.default_rng(5)
    pairs = {a: (rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + 1.0) for a in "ab"}
    again = detection.refit_tuned_knn(pairs, [1, 15], ["uniform"], [7, 8], True)
    assert set(again) == {"a", "b"} and all(len(v) == 2 for v in again.values())
    specs, _ = detection.tune_knn(pairs, [1, 15], ["uniform"], 7, True, order_seed=7)
    want = detection.evaluate(*pairs["a"], specs, 7, True, order_seed=7)
    assert again["a"][0].auc == pytest.approx(want.auc)


@pytest.mark.timeout(30)
def test_cell_tolerance_uses_the_between_fold_se_and_the_refit_spread():
    """Our side of a cross-validated cell is its between-fold SE, the refit SD enters in
    quadrature; z and the borderline mark follow from the difference and the tolerance."""
    from connectivity.pages.vrabel2024.detection.tolerances import borderline, cell_z

    margins = cell_margins("cifar10", "mode_connectivity", 0)
    folds = [_fold(a, acc) for a, acc in zip([70, 75, 80, 85, 90], [60, 65, 70, 75, 80])]
    s = detection.mean_of_folds(folds, "c", folds[0])
    acc_tol, auc_tol = cell_tolerances(s, 70.0, 80.0, "cifar10", margins)
    assert "between-fold SE" in auc_tol.se_basis and "not measured" in auc_tol.se_basis
    s.refit = detection.RefitSpread(np.array([70.0, 72, 74]), np.array([80.0, 83, 86]), "x")
    _, with_refit = cell_tolerances(s, 70.0, 80.0, "cifar10", margins)
    assert with_refit.se == pytest.approx(np.hypot(auc_tol.se, 3.0))  # SD of 80, 83, 86
    assert "SD over 3 fits" in with_refit.se_basis and "need a GPU" in with_refit.se_basis
    assert cell_z(2.0, with_refit) == pytest.approx(2.0 / with_refit.se)
    m = with_refit.value
    assert borderline(0.95 * m, with_refit) and not borderline(0.5 * m, with_refit)
    # folds that agree exactly fall back to the Hanley–McNeil SE at all the test examples
    same = detection.mean_of_folds([_fold(80.0)] * 5, "c", _fold(80.0))
    _, flat = cell_tolerances(same, 70.0, 80.0, "cifar10", margins)
    assert flat.se > 0 and "folds agree exactly" in flat.se_basis
