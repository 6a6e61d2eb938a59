"""Lancione's measures with known answers: silhouettes = sklearn, principal angles = scipy,
PCA = sklearn, collapse detection on a collapsed model, regions, scale-free spread."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_samples as sk_samples
from sklearn.metrics import silhouette_score as sk_score

from connectivity.data import Dataset
from connectivity.latent.collapse import (
    check_collapse,
    code_spread,
    reconstruction_r2,
)
from connectivity.latent.digit_pairs import digit_pair
from connectivity.latent.judge import wrong_reconstruction_rate
from connectivity.latent.metrics import (
    count_regions,
    near_origin_fraction,
    principal_angles,
    procrustes_disparity,
    silhouette_bootstrap,
    silhouette_samples,
    silhouette_score,
    split_test,
    zero_coordinate_fraction,
)
from connectivity.latent.pca import fit_pca
from connectivity.latent.stacked import (
    AESpec,
    AETrainConfig,
    StackedAE,
    encode_each,
    reconstruct_each,
    train_stacked,
)


@pytest.mark.parametrize("seed", [0, 1])
def test_silhouette_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate(
        [rng.normal(0, 1, (40, 3)), rng.normal(2, 1, (25, 3)), rng.normal(-2, 0.5, (30, 3))]
    )
    y = np.repeat([3, 7, 9], [40, 25, 30])
    ours = silhouette_samples(torch.tensor(x), torch.tensor(y)).numpy()
    np.testing.assert_allclose(ours, sk_samples(x, y), atol=1e-10)
    assert abs(silhouette_score(torch.tensor(x), torch.tensor(y)) - sk_score(x, y)) < 1e-10


def test_silhouette_of_a_singleton_cluster_is_zero_like_sklearn():
    x = np.array([[0.0], [0.1], [0.2], [5.0]])
    y = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(
        silhouette_samples(torch.tensor(x), torch.tensor(y)).numpy(), sk_samples(x, y)
    )


def test_silhouette_bootstrap_spreads_around_the_score():
    rng = np.random.default_rng(0)
    x = torch.tensor(np.concatenate([rng.normal(0, 1, (100, 2)), rng.normal(3, 1, (100, 2))]))
    y = torch.tensor(np.repeat([0, 1], 100))
    boot = silhouette_bootstrap(x, y, n_boot=100)
    assert boot.shape == (100,) and abs(boot.mean() - silhouette_score(x, y)) < 3 * boot.std()
    assert 0.005 < boot.std() < 0.1
    np.testing.assert_array_equal(boot, silhouette_bootstrap(x, y, n_boot=100))  # seeded


@pytest.mark.parametrize("k,j", [(2, 2), (3, 2), (2, 3), (1, 1)])
def test_principal_angles_equal_scipy(k, j):
    rng = np.random.default_rng(k * 10 + j)
    a, b = rng.normal(size=(30, k)), rng.normal(size=(30, j))
    np.testing.assert_allclose(principal_angles(a, b), subspace_angles(a, b), atol=1e-12)


def test_small_principal_angles_are_accurate():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 2))
    b = a @ np.array([[2.0, 1.0], [0.0, 1.0]]) + 1e-7 * rng.normal(
        size=(50, 2)
    )  # same plane, other basis
    ours = principal_angles(a, b)
    np.testing.assert_allclose(ours, subspace_angles(a, b), rtol=1e-6)
    assert ours.max() < 1e-6


def test_pca_closed_form_equals_sklearn():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 12)) @ rng.normal(size=(12, 12)) + 3
    fit = fit_pca(torch.tensor(x), 3)
    sk = PCA(3, svd_solver="full").fit(x)
    np.testing.assert_allclose(fit.components.numpy(), sk.components_, atol=1e-10)
    np.testing.assert_allclose(fit.variances.numpy(), sk.explained_variance_, rtol=1e-10)
    np.testing.assert_allclose(fit.transform(torch.tensor(x)).numpy(), sk.transform(x), atol=1e-9)
    recon = sk.inverse_transform(sk.transform(x)[:, :2] @ np.eye(2, 3))
    np.testing.assert_allclose(fit.reconstruct(torch.tensor(x), 2).numpy(), recon, atol=1e-9)
    again = fit_pca(torch.tensor(x), 3)
    assert torch.equal(again.components, fit.components)  # deterministic, unlike randomized PCA


def test_collapse_detector_flags_a_collapsed_model_and_passes_a_trained_one():
    g = torch.Generator().manual_seed(0)
    basis = torch.randn(2, 16, generator=g)
    x = torch.sigmoid(torch.randn(200, 2, generator=g) @ basis)  # images on a 2-D manifold
    collapsed = StackedAE(AESpec(hidden=(8, 4), n_in=16), [0])
    for k in range(6):  # zero encoder: one code for every input, the decoder's output is constant
        collapsed.params[k].zero_()
    z = encode_each(collapsed, [x])[0]
    recon = reconstruct_each(collapsed, [x])[0]
    check = check_collapse(x, recon, z)
    assert check.collapsed and check.spread == 0.0 and check.r2 < 0.01
    trained = train_stacked(
        AESpec(hidden=(8, 4), n_in=16), [0], [x], AETrainConfig(epochs=60, batch_size=16)
    )
    good = check_collapse(
        x, reconstruct_each(trained.model, [x])[0], encode_each(trained.model, [x])[0]
    )
    assert not good.collapsed and good.r2 > 0.5
    mean_image = x.mean(0).expand_as(x)
    assert abs(reconstruction_r2(x, mean_image)) < 1e-12 and reconstruction_r2(x, x) == 1.0
    assert code_spread(torch.ones(10, 2) * 3) == 0.0


def test_near_origin_fraction_is_scale_free():
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(0, 0.01, (50, 2)), rng.normal(0, 1, (50, 2)) + 3])
    assert near_origin_fraction(z) == near_origin_fraction(7.5 * z) == pytest.approx(0.5)
    assert (
        zero_coordinate_fraction(np.array([[0.0, 1.0], [2.0, 3.0], [0.0, 0.0], [1.0, 1.0]])) == 0.5
    )


def test_count_regions_finds_a_split_class():
    rng = np.random.default_rng(0)
    a1, b, a2 = (
        rng.normal([-3, 0], 0.3, (300, 2)),
        rng.normal([0, 0], 0.3, (300, 2)),
        rng.normal([3, 0], 0.3, (300, 2)),
    )
    z = np.concatenate([a1, b, a2])
    labels = np.repeat([0, 1, 0], 300)
    assert count_regions(z, labels, 0) == 2
    assert count_regions(z, labels, 1) == 1
    regions, test = split_test(z, labels, n_subsamples=20)
    assert regions == {0: 2, 1: 1} and test.verdict() == "reproduced"
    one = np.concatenate([rng.normal([-3, 0], 0.3, (300, 2)), rng.normal([3, 0], 0.3, (300, 2))])
    _, none = split_test(one, np.repeat([0, 1], 300), n_subsamples=20)
    assert none.p_value == 1.0 and none.verdict() != "reproduced"  # no split in the full data


@pytest.mark.timeout(300)  # ~15 s alone: 20 layouts x 21 grids x 10 digits
def test_split_test_rarely_calls_one_blob_per_class_split():
    """Layouts with one Gaussian blob per class, overlapping (the grid cuts such blobs
    now and then): the old with-replacement bootstrap called 44 % of them split. The
    VAE page's layout: ten digits of ~1,000 codes each."""
    from connectivity.latent.metrics import one_blob_per_class

    rng = np.random.default_rng(1)
    k = 10  # the VAE's ten digits
    labels = np.repeat(np.arange(k), 1000)  # the VAE page: ~1,000 codes per digit
    called = 0
    for _ in range(20):
        centres = np.repeat(rng.normal(size=(k, 2)) * 1.5, 1000, axis=0)
        z = one_blob_per_class(rng.normal(size=(k * 1000, 2)) + centres, labels, rng)
        _, test = split_test(z, labels, n_subsamples=20, seed=int(rng.integers(1e6)))
        called += test.verdict() == "reproduced"
    assert called <= 3  # at a 5 % rate: P(X >= 4 of 20) = 0.016


def test_procrustes_disparity_ignores_rotation_and_scale():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(100, 2))
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert procrustes_disparity(torch.tensor(z), torch.tensor(3 * z @ rot + 1)) < 1e-10
    assert procrustes_disparity(torch.tensor(z), torch.tensor(rng.normal(size=(100, 2)))) > 0.5


def test_wrong_reconstruction_rate_counts_the_other_digit():
    class Judge(torch.nn.Module):
        def forward(self, x):  # predicts digit 7 for bright images, 1 otherwise
            out = torch.zeros(len(x), 10)
            out[:, 7] = x.mean(1)
            out[:, 1] = 0.5
            return out

    recon = torch.tensor([[0.9] * 784, [0.1] * 784, [0.9] * 784, [0.1] * 784])
    labels = torch.tensor([1, 1, 7, 7])
    assert wrong_reconstruction_rate(Judge(), recon, labels, (1, 7)) == 0.5


def _fake(labels):
    y = torch.tensor(labels)
    x = torch.arange(len(y), dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()
    return Dataset("mnist", "train", x, y, [str(i) for i in range(10)], "test")


def test_faithful_subset_keeps_the_digits_among_the_first_images():
    rng = np.random.default_rng(0)
    tr, te = _fake(rng.integers(0, 10, 10_000).tolist()), _fake(rng.integers(0, 10, 5_000).tolist())
    pair = digit_pair(tr, te, (1, 2), "faithful")
    expected_tr = [i for i in range(8000) if int(tr.y[i]) in (1, 2)]
    expected_va = [i for i in range(4000) if int(te.y[i]) in (1, 2)]
    assert pair.x_train[:, 0].long().tolist() == expected_tr
    assert pair.x_val[:, 0].long().tolist() == expected_va
    assert set(pair.y_train.tolist()) == {1, 2} and pair.x_train.shape[1] == 784
    full = digit_pair(tr, te, (1, 2), "full")
    assert len(full.x_train) == int(((tr.y == 1) | (tr.y == 2)).sum()) > len(pair.x_train)
    assert len(full.x_val) == int(((te.y == 1) | (te.y == 2)).sum())
    with pytest.raises(ValueError):
        digit_pair(tr, te, (1, 1))
    with pytest.raises(ValueError):
        digit_pair(tr, te, (1, 2), "most")


def test_edge_sharpness_is_one_for_a_copy_and_falls_with_blur():
    from connectivity.latent.metrics import edge_sharpness

    torch.manual_seed(0)
    x = (torch.rand(50, 1, 28, 28) > 0.7).float()  # sharp strokes
    assert edge_sharpness(x, x) == pytest.approx(1.0)
    blurred = torch.nn.functional.avg_pool2d(x, 3, stride=1, padding=1)
    more = torch.nn.functional.avg_pool2d(blurred, 3, stride=1, padding=1)
    s1, s2 = edge_sharpness(blurred, x), edge_sharpness(more, x)
    assert s2 < s1 < 0.8  # blurring twice keeps fewer edges than once
    assert edge_sharpness(2 * x, x) == pytest.approx(2.0)  # contrast counts: not clipped
    assert edge_sharpness(blurred.flatten(1), x.flatten(1)) == pytest.approx(s1)  # flat input
