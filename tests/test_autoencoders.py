"""Lancione chapter: linear AE = PCA plane, silhouettes = sklearn, subset rule, stacked training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.metrics import silhouette_samples as sk_samples
from sklearn.metrics import silhouette_score as sk_score

from connectivity import autoencoders as ae
from connectivity.data import Dataset


def test_linear_autoencoder_spans_the_pca_plane():
    """A tied linear AE trained to convergence spans the plane of sklearn's PCA."""
    rng = np.random.default_rng(0)
    scales = np.array([3.0, 2.0, 0.3, 0.25, 0.2, 0.15, 0.1, 0.1])  # clear gap after 2 components
    basis = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    x = (rng.normal(size=(300, 8)) * scales) @ basis.T + 0.5
    xt = torch.tensor(x, dtype=torch.float32)
    spec = ae.AESpec(kind="linear", latent=2, n_in=8)
    cfg = ae.AETrainConfig(epochs=1500, batch_size=300, lr=1e-2, weight_decay=0.0)
    res = ae.train_stacked(spec, [0, 1], [xt, xt], cfg)
    plane = PCA(2).fit(x).components_.T
    for m in range(2):
        angles = np.degrees(ae.principal_angles(res["params"][0][m].numpy(), plane))
        assert angles.max() < 0.5, angles


@pytest.mark.parametrize("seed", [0, 1])
def test_silhouette_equals_sklearn(seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 1, (40, 3)), rng.normal(2, 1, (25, 3)), rng.normal(-2, 0.5, (30, 3))])
    y = np.repeat([3, 7, 9], [40, 25, 30])
    ours = ae.silhouette_samples(torch.tensor(x), torch.tensor(y)).numpy()
    np.testing.assert_allclose(ours, sk_samples(x, y), atol=1e-10)
    assert abs(ae.silhouette_score(torch.tensor(x), torch.tensor(y)) - sk_score(x, y)) < 1e-10


def test_silhouette_of_a_singleton_cluster_is_zero_like_sklearn():
    x = np.array([[0.0], [0.1], [0.2], [5.0]])
    y = np.array([0, 0, 0, 1])
    np.testing.assert_allclose(ae.silhouette_samples(torch.tensor(x), torch.tensor(y)).numpy(), sk_samples(x, y))


def _fake(labels):
    y = torch.tensor(labels)
    x = torch.arange(len(y), dtype=torch.float32).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()
    return Dataset("mnist", "train", x, y, [str(i) for i in range(10)], "test")


def test_faithful_subset_keeps_the_digits_among_the_first_images():
    rng = np.random.default_rng(0)
    tr, te = _fake(rng.integers(0, 10, 10_000).tolist()), _fake(rng.integers(0, 10, 5_000).tolist())
    xtr, ytr, xva, yva = ae.digit_pair(tr, te, (1, 2), "faithful")
    expected_tr = [i for i in range(8000) if int(tr.y[i]) in (1, 2)]
    expected_va = [i for i in range(4000) if int(te.y[i]) in (1, 2)]
    assert xtr[:, 0].long().tolist() == expected_tr and xva[:, 0].long().tolist() == expected_va
    assert set(ytr.tolist()) == {1, 2} and xtr.shape[1] == 784
    xtr_full, _, xva_full, _ = ae.digit_pair(tr, te, (1, 2), "full")
    assert len(xtr_full) == int(((tr.y == 1) | (tr.y == 2)).sum()) > len(xtr)
    assert len(xva_full) == int(((te.y == 1) | (te.y == 2)).sum())
    with pytest.raises(ValueError):
        ae.digit_pair(tr, te, (1, 1))
    with pytest.raises(ValueError):
        ae.digit_pair(tr, te, (1, 2), "most")


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_stacked_training_equals_training_each_model_alone(noise):
    """Masked Adam: models of different data sizes in one stack = trained separately."""
    g = torch.Generator().manual_seed(0)
    x1, x2 = torch.rand(21, 16, generator=g), torch.rand(13, 16, generator=g)
    spec = ae.AESpec(latent=2, hidden=(8, 4), n_in=16)
    cfg = ae.AETrainConfig(epochs=3, batch_size=4, lr=1e-2, noise=noise)
    both = ae.train_stacked(spec, [5, 6], [x1, x2], cfg)
    alone = [ae.train_stacked(spec, [5], [x1], cfg), ae.train_stacked(spec, [6], [x2], cfg)]
    for m in range(2):
        for p_both, p_alone in zip(both["params"], alone[m]["params"]):
            torch.testing.assert_close(p_both[m], p_alone[0], rtol=1e-5, atol=1e-6)


def test_latent_of_tanh_autoencoder_is_bounded_and_shapes_are_documented():
    model = ae.StackedAE(ae.AESpec(), [0, 1, 2])
    x = torch.rand(3, 5, 784)
    z = model.encode(x)
    assert z.shape == (3, 5, 2) and z.abs().max() < 1
    out = model.decode(z)
    assert out.shape == (3, 5, 784) and 0 <= out.min() and out.max() <= 1


def test_count_regions_finds_a_split_class():
    rng = np.random.default_rng(0)
    a1, b, a2 = rng.normal([-3, 0], 0.3, (300, 2)), rng.normal([0, 0], 0.3, (300, 2)), rng.normal([3, 0], 0.3, (300, 2))
    z = np.concatenate([a1, b, a2])
    labels = np.repeat([0, 1, 0], 300)
    assert ae.count_regions(z, labels, 0) == 2
    assert ae.count_regions(z, labels, 1) == 1


def test_procrustes_disparity_ignores_rotation_and_scale():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(100, 2))
    rot = np.array([[0.0, -1.0], [1.0, 0.0]])
    assert ae.procrustes_disparity(torch.tensor(z), torch.tensor(3 * z @ rot + 1)) < 1e-10
    assert ae.procrustes_disparity(torch.tensor(z), torch.tensor(rng.normal(size=(100, 2)))) > 0.5


def test_wrong_reconstruction_rate_counts_the_other_digit():
    class Judge(torch.nn.Module):
        def forward(self, x):  # predicts digit 7 for bright images, 1 otherwise
            out = torch.zeros(len(x), 10)
            out[:, 7] = x.mean(1)
            out[:, 1] = 0.5
            return out

    recon = torch.tensor([[0.9] * 784, [0.1] * 784, [0.9] * 784, [0.1] * 784])
    labels = torch.tensor([1, 1, 7, 7])
    assert ae.wrong_reconstruction_rate(Judge(), recon, labels, (1, 7)) == 0.5
