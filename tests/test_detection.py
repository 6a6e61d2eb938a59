"""Untargeted attacks and adversarial detectors on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.covariance import EmpiricalCovariance
from torch import nn

from connectivity import attacks, detection
from connectivity.models import cifar_vgg16_bn


def linear_two_class(seed=0, dim=48, n=400):
    """A linear 2-class model on inputs in [0.3, 0.7]^dim (no pixel clipping with eps
    0.03), and its correctly classified inputs with their labels and margins."""
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(dim, 2))
    with torch.no_grad():
        model[1].weight.copy_(torch.randn(2, dim, generator=g))
        model[1].bias.zero_()
    x = (0.3 + 0.4 * torch.rand(n, 1, 1, dim, generator=g))
    with torch.no_grad():
        logits = model(x)
    y = logits.argmax(1)
    margin = (logits.gather(1, y[:, None]) - logits.gather(1, 1 - y[:, None])).flatten()
    dw = model[1].weight[0] - model[1].weight[1]  # w_y - w_other, sign by label
    return model, x, y, margin, dw.detach()


@pytest.mark.parametrize("name", ["fgsm", "bim"])
def test_linf_attacks_succeed_exactly_where_the_budget_crosses_the_boundary(name):
    model, x, y, margin, dw = linear_two_class()
    cfg = attacks.UntargetedConfig(eps=0.03)
    res = attacks.untargeted_attack(model, x, y, name, cfg)
    # the optimal L-inf step lowers the margin by eps * ||w_y - w_other||_1
    expected = margin < cfg.eps * dw.abs().sum()
    near = (margin - cfg.eps * dw.abs().sum()).abs() < 1e-3  # floating-point ties
    assert expected.float().mean() > 0.1  # the case is not trivial
    assert bool((res["success"] == expected)[~near].all())
    assert res["linf"].max() <= cfg.eps + 1e-6


def test_pgd_succeeds_where_its_steps_reach_and_never_beyond_the_optimum():
    """From a random start in [-eps, eps], 50 steps of eps/30 move every coordinate to
    at least 2/3 eps in the optimal direction (foolbox's step size cannot reach the
    corner from the far side)."""
    model, x, y, margin, dw = linear_two_class()
    cfg = attacks.UntargetedConfig(eps=0.03)
    res = attacks.untargeted_attack(model, x, y, "pgd", cfg)
    l1 = dw.abs().sum()
    assert bool(res["success"][margin < 2 / 3 * cfg.eps * l1 - 1e-3].all())
    assert not bool(res["success"][margin > cfg.eps * l1 + 1e-3].any())


def test_deepfool_steps_just_past_the_linear_boundary():
    model, x, y, margin, dw = linear_two_class()
    res = attacks.untargeted_attack(model, x, y, "deepfool", attacks.UntargetedConfig())
    assert bool(res["success"].all())
    # one step to the hyperplane, scaled by 1 + overshoot: |m| / ||dw||_2 * 1.02
    expected = (margin + 1e-4) / dw.norm() * 1.02
    torch.testing.assert_close(res["l2"], expected, rtol=1e-3, atol=1e-5)


def test_cw_finds_small_l2_adversarials():
    model, x, y, margin, dw = linear_two_class()
    res = attacks.untargeted_attack(model, x[:50], y[:50], "cw",
                                    attacks.UntargetedConfig(cw_steps=200, cw_c=10.0, cw_lr=0.01))
    assert res["success"].float().mean() >= 0.9
    minimal = margin[:50] / dw.norm()  # the L2 distance to the boundary
    ok = res["success"]
    assert bool((res["l2"][ok] >= minimal[ok] - 1e-4).all())


def test_unknown_attack_is_refused():
    model, x, y, _, _ = linear_two_class()
    with pytest.raises(ValueError, match="unknown attack"):
        attacks.untargeted_attack(model, x, y, "magic", attacks.UntargetedConfig())


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
    y = model(x).argmax(1).detach()
    refs = x[:4]
    ours = detection.path_loss_features(model, x, refs, n_points=7, batch_size=10)
    assert ours.shape == (24, 7 + 4)
    lc, la = detection.lid_features(model, x, x.flip(0), k=5, batch_size=12)
    assert lc.shape == la.shape == (24, 13)
    g = detection.fit_class_gaussians(model, x, torch.arange(24) % 4, 4)
    assert detection.mahalanobis_features(model, x, g, 0.001).shape == (24, 13)
    assert detection.input_spectrum_features(x).shape == (24, 3 * 32 * 32)
    dims = sum(h[0].numel() for h in detection.relu_outputs(model, x[:1], list(detection.SPECTRAL_RELUS)))
    assert detection.layer_spectrum_features(model, x, "PFS").shape == (24, dims)
    assert np.isfinite(ours).all() and np.isfinite(lc).all()
    del y


def test_path_loss_features_start_at_the_image_and_end_at_the_reference(tiny_vgg):
    model, x = tiny_vgg
    refs = x[4:8]
    feats = detection.path_loss_features(model, x[:6], refs, n_points=5)
    with torch.no_grad():
        logits = model(x[:6])
        pred = logits.argmax(1)
        start = nn.functional.cross_entropy(logits, pred, reduction="none")
        end = nn.functional.cross_entropy(model(refs[pred]), pred, reduction="none")
    np.testing.assert_allclose(feats[:, 0], start.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(feats[:, 4], end.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(feats[:, 5:], logits.sort(1, descending=True).values.numpy(), rtol=1e-5, atol=1e-6)


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


def test_fourier_magnitude_of_a_constant_image_is_its_sum_at_zero_frequency():
    h = torch.full((1, 2, 4, 4), 0.5)
    mfs = detection.fourier_spectrum(h, "MFS").view(2, 4, 4)
    assert mfs[:, 0, 0].tolist() == [8.0, 8.0]
    assert float(mfs.flatten(1)[:, 1:].abs().max()) < 1e-6
    with pytest.raises(ValueError):
        detection.fourier_spectrum(h, "XYZ")


def test_benchmark_splits_and_evaluation():
    tr, va, te = detection.benchmark_splits(100)
    assert (len(tr), len(va), len(te)) == (64, 16, 20)
    assert len(set(tr) | set(va) | set(te)) == 100
    rng = np.random.default_rng(0)
    clean = rng.normal(size=(200, 3))
    separable = detection.evaluate(clean, clean + 10, {"kind": "logistic"})
    assert separable["auc"] == 100.0 and separable["f1"] == 100.0
    same = detection.evaluate(clean, rng.normal(size=(200, 3)), {"kind": "logistic"})
    assert 25 < same["auc"] < 75
    spec, grid = detection.tune_knn({"a": (clean, clean + 10)}, [1, 3], ["uniform", "distance"])
    assert spec["kind"] == "knn" and grid.shape == (2, 2) and grid.max() == 100.0
    few = detection.evaluate(clean[:5], clean[:5] + 10, {"kind": "logistic"})
    assert np.isnan(few["auc"]) and few["n_test"] == 0  # too few pairs: no score rather than a fake one
    with pytest.raises(ValueError):
        detection.make_classifier({"kind": "svm"})
