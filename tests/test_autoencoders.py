"""Stacked autoencoders (Lancione): the original code's tied weights, masked Adam, the
full-batch moment loss, convergence to the PCA plane, the VAE of vae.ipynb."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from torch import nn

from connectivity.latent.metrics import principal_angles
from connectivity.latent.stacked import (
    AESpec,
    AETrainConfig,
    StackedAE,
    _linear_moment_loss,
    train_stacked,
)
from connectivity.latent.vae import VAE, vae_loss


def _original_linear_ae(model: StackedAE):
    """ae.ipynb's linear AE (LINEAR=True, HIDDEN_DIM=[2]) as nn modules with the same
    initial weights; its decoder weights are nn.Parameter(encoder.weight.T), as there."""
    n_in = model.spec.n_in
    enc = [nn.Linear(n_in, 2), nn.Linear(2, 2)]
    dec = [nn.Linear(2, 2), nn.Linear(2, n_in)]
    p = [t[0] for t in model.params]
    with torch.no_grad():
        enc[0].weight.copy_(p[0].T)
        enc[0].bias.copy_(p[1][0])
        enc[1].weight.copy_(p[2].T)
        enc[1].bias.copy_(p[3][0])
        dec[0].bias.copy_(p[4][0])
        dec[1].bias.copy_(p[5][0])
    for i in range(2):
        dec[i].weight = nn.Parameter(enc[-i - 1].weight.transpose(0, 1))
    return enc, dec


def test_alias_tied_weights_train_exactly_as_the_original_code():
    """tie="alias" = nn.Parameter(W.T) decoders under torch.optim.Adam (two updates per
    step on the shared weight), batch for batch."""
    torch.manual_seed(0)
    x = torch.rand(40, 12)
    spec = AESpec(kind="linear", hidden=(2,), n_in=12, tie="alias")
    cfg = AETrainConfig(epochs=2, batch_size=8, lr=1e-2, weight_decay=1e-6)
    ours = train_stacked(spec, [3], [x], cfg).model.params
    enc, dec = _original_linear_ae(StackedAE(spec, [3]))
    assert dec[1].weight.data_ptr() == enc[0].weight.data_ptr()  # shared memory, two leaves
    params = [q for layer in enc + dec for q in layer.parameters()]
    opt = torch.optim.Adam(params, lr=1e-2, weight_decay=1e-6)
    g = torch.Generator().manual_seed(cfg.seed * 1_000_003 + 3)  # the trainer's batch order
    for _ in range(2):
        perm = torch.randperm(40, generator=g)
        for s in range(5):
            xb = x[perm[s * 8 : (s + 1) * 8]]
            h = xb
            for layer in enc + dec:
                h = layer(h)
            opt.zero_grad()
            nn.functional.mse_loss(h, xb).backward()
            opt.step()
    # float32, 10 Adam steps of a smooth loss: they agree to 3e-8 (6e-8 with MKL and oneDNN
    # capped at AVX2), a one-ulp change of x moves the result by 3e-8; 1e-6 is 15 times the
    # largest seen, and a learning rate 0.1 % off moves it by 1.7e-4
    torch.testing.assert_close(ours[0][0], enc[0].weight.detach().T, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours[2][0], enc[1].weight.detach().T, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours[5][0, 0], dec[1].bias.detach(), rtol=0, atol=1e-6)
    shared = train_stacked(AESpec(kind="linear", hidden=(2,), n_in=12, tie="shared"), [3], [x], cfg)
    assert (shared.model.params[0] - ours[0]).abs().max() > 1e-3  # the two ties do differ


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_stacked_training_equals_training_each_model_alone(noise):
    """Masked Adam: models of different data sizes in one stack = trained separately."""
    g = torch.Generator().manual_seed(0)
    x1, x2 = torch.rand(21, 16, generator=g), torch.rand(13, 16, generator=g)
    spec = AESpec(latent=2, hidden=(8, 4), n_in=16)
    cfg = AETrainConfig(epochs=3, batch_size=4, lr=1e-2, noise=noise)
    both = train_stacked(spec, [5, 6], [x1, x2], cfg)
    alone = [train_stacked(spec, [5], [x1], cfg), train_stacked(spec, [6], [x2], cfg)]
    for m in range(2):
        for p_both, p_alone in zip(both.model.params, alone[m].model.params):
            # float32, 3 epochs of Adam: 6e-8 apart here and with MKL and oneDNN capped at
            # AVX2, 9e-8 after a one-ulp change of the data; a learning rate 0.1 % off: 1.2e-4
            torch.testing.assert_close(p_both[m], p_alone[0], rtol=1e-5, atol=1e-6)


def test_training_is_bitwise_repeatable():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(30, 16, generator=g)
    spec = AESpec(latent=2, hidden=(8, 4), n_in=16)
    cfg = AETrainConfig(epochs=2, batch_size=4, noise=0.3)
    a, b = train_stacked(spec, [0, 1], [x, x], cfg), train_stacked(spec, [0, 1], [x, x], cfg)
    assert all(torch.equal(p, q) for p, q in zip(a.model.params, b.model.params))


@pytest.mark.parametrize("hidden", [(), (2,), (3, 2)])
def test_moment_loss_equals_the_mse_of_the_reconstructions(hidden):
    """The full-batch loss from X^T X and X^T 1 equals the mean squared error, gradients too."""
    g = torch.Generator().manual_seed(0)
    spec = AESpec(kind="linear", hidden=hidden, latent=2, n_in=10)
    model = StackedAE(spec, [0, 1])
    xs = [torch.rand(13, 10, generator=g), torch.rand(9, 10, generator=g)]
    data = torch.zeros(2, 13, 10, dtype=torch.float64)
    data[0], data[1, :9] = xs[0], xs[1]
    params = [p.clone().requires_grad_() for p in model.params]
    moments = (data.transpose(1, 2) @ data, data.sum(1, keepdim=True), torch.tensor([13, 9]))
    loss = _linear_moment_loss(model, params, None, *moments)
    ref = torch.stack(
        [
            ((model.forward(x[None], [p[k : k + 1] for p in params])[0] - x) ** 2).mean()
            for k, x in enumerate(xs)
        ]
    )
    torch.testing.assert_close(loss, ref, rtol=1e-5, atol=1e-7)
    for a, b in zip(
        torch.autograd.grad(loss.sum(), params), torch.autograd.grad(ref.sum(), params)
    ):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("tie", ["alias", "shared"])
def test_linear_autoencoder_converges_to_the_pca_plane(tie):
    """Full-batch training of the original's tied linear AE reaches sklearn's PCA plane."""
    rng = np.random.default_rng(0)
    scales = np.array([3.0, 2.0, 0.3, 0.25, 0.2, 0.15, 0.1, 0.1])  # clear gap after 2 components
    basis = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    x = (rng.normal(size=(300, 8)) * scales) @ basis.T + 0.5
    xt = torch.tensor(x, dtype=torch.float32)
    spec = AESpec(kind="linear", latent=2, hidden=(2,), n_in=8, tie=tie)
    cfg = AETrainConfig(epochs=1500, batch_size=300, lr=1e-2, weight_decay=0.0)
    res = train_stacked(spec, [0, 1], [xt, xt], cfg)
    plane = PCA(2, svd_solver="full").fit(x).components_.T
    for m in range(2):
        angles = np.degrees(principal_angles(res.model.params[0][m].numpy(), plane))
        assert angles.max() < 0.5, angles


def test_latent_of_tanh_autoencoder_is_bounded_and_shapes_are_documented():
    model = StackedAE(AESpec(), [0, 1, 2])
    x = torch.rand(3, 5, 784)
    z = model.encode(x)
    assert z.shape == (3, 5, 2) and z.abs().max() < 1
    out = model.decode(z)
    assert out.shape == (3, 5, 784) and 0 <= out.min() and out.max() <= 1
    assert (StackedAE(AESpec(activation="relu"), [0]).encode(x[:1]) >= 0).all()


def test_bad_specs_are_refused():
    with pytest.raises(ValueError):
        AESpec(kind="conv")
    with pytest.raises(ValueError):
        AESpec(kind="linear", tie="both")
    with pytest.raises(ValueError):
        AETrainConfig(epochs=0)


def test_vae_loss_is_the_original_codes_formula():
    """mean over the batch of the summed squared error, minus the batch mean of
    sum(log sigma^2 - mu^2 - sigma^2) (vae.ipynb)."""
    x, recon = torch.tensor([[1.0, 0.0], [0.5, 0.5]]), torch.tensor([[0.5, 0.0], [0.5, 1.0]])
    mu, sigma = torch.tensor([[1.0], [0.0]]), torch.tensor([[1.0], [0.5]])
    mse = (0.25 + 0.25) / 2
    kl = ((0 - 1 - 1) + (np.log(0.25) - 0 - 0.25)) / 2
    assert vae_loss(x, recon, mu, sigma).item() == pytest.approx(mse - kl)


def test_vae_shares_one_noise_draw_per_batch_as_the_original():
    vae = VAE(hidden=8, latent=2, n_in=6)
    x = torch.rand(5, 6)
    out, mu, sigma = vae(x, torch.zeros(2))
    assert out.shape == (5, 6) and mu.shape == sigma.shape == (5, 2)
    torch.testing.assert_close(out, vae.decoder(mu))  # eps = 0: the decoder sees the means
