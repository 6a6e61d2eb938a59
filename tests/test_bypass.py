"""Barrier bypass (Vrabel et al. §3, §4.1): a 2-D toy with a known low pass, and the
official loop in normalised coordinates on a model with a normalisation layer."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from connectivity import bypass
from connectivity.models import Normalize


class TwoWells(torch.nn.Module):
    """Two-class logits (0, g(x)) for x (N, 2): wells around (-1, 0) and (1, 0), a ridge
    along x1 = 0 that blocks the straight path, and a pass through it at x2 = 0.8."""

    def forward(self, x):
        ridge = torch.exp(-(x[:, 0] ** 2) / 0.05)
        pass_ = torch.exp(-((x[:, 1] - 0.8) ** 2) / 0.5)
        g = 4 - 10 * ridge * (1 - pass_)
        return torch.stack([torch.zeros_like(g), g], 1)


A, C = torch.tensor([[-1.0, 0.0]]), torch.tensor([[1.0, 0.0]])
CFG = bypass.BypassConfig(
    lr=0.005,
    iterations=1024,
    lambda_mse=0.1,
    lambda_hf=0.0,
    n_linear=201,
    per_segment=101,
    threshold=0.1,
    max_rounds=3,
)


def test_bypass_finds_the_low_pass_and_stays_in_the_hyperplane():
    res = bypass.connect_modes(TwoWells(), A, C, torch.tensor([1]), CFG)
    primary = res.rounds[0].max_loss[0].item()
    assert primary > 2.5  # the straight path crosses the ridge
    b, bp = res.b[0], res.b_prime[0]
    torch.testing.assert_close(b, torch.tensor([0.0, 0.0]), atol=0.01, rtol=0)
    # the exact minimiser of the 1-D objective on the hyperplane x1 = 0 (grid search)
    x2 = torch.linspace(-0.5, 1.5, 20001)
    pts = torch.stack([torch.zeros_like(x2), x2], 1)
    ce = F.cross_entropy(TwoWells()(pts), torch.ones(len(x2), dtype=torch.long), reduction="none")
    best = x2[(ce + CFG.lambda_mse * x2**2 / 2).argmin()].item()
    assert 0.5 < best < 0.8 and abs(bp[1].item() - best) < 0.02, (bp, best)  # in the pass
    assert abs(bp[0].item() - b[0].item()) < 1e-6  # orthogonal to AC: x1 unchanged
    assert res.max_abs_cos < 1e-6
    assert res.final.max_loss[0].item() < CFG.threshold
    assert res.rounds_to_threshold.tolist() == [1] and bool(res.final.all_target[0])
    assert len(res.vertices[0]) == 3  # A, B', C
    assert res.first_pairs.tolist() == [0]
    assert res["rounds"][0]["max_loss"] is res.rounds[0].max_loss  # the older dict access


def test_batched_bypass_equals_one_pair_at_a_time():
    """Pairs in one batch do not influence each other. In float64: the two runs agree to
    the last bit here, and 1e-9 leaves room for rounding amplified over 1,024 Adam steps
    (kernels may round a batch of two and of one differently) while a learning rate 0.1 %
    off already moves the pair by 4e-5."""
    model = TwoWells()
    a, c = A.double(), C.double()
    a2 = torch.tensor([[-1.0, 0.1]], dtype=torch.float64)
    c2 = torch.tensor([[1.0, -0.1]], dtype=torch.float64)
    both = bypass.connect_modes(
        model, torch.cat([a, a2]), torch.cat([c, c2]), torch.tensor([1, 1]), CFG
    )
    alone = bypass.connect_modes(model, a2, c2, torch.tensor([1]), CFG)
    assert alone.vertices[0].dtype == torch.float64
    torch.testing.assert_close(both.vertices[1], alone.vertices[0], atol=1e-9, rtol=0)


def test_a_path_below_the_threshold_is_left_alone():
    flat = bypass.connect_modes(
        TwoWells(),
        torch.tensor([[-1.0, 0.8]]),
        torch.tensor([[1.0, 0.8]]),
        torch.tensor([1]),
        CFG,
    )
    assert flat.rounds_to_threshold.tolist() == [0] and len(flat.rounds) == 1
    assert flat.b is None and len(flat.vertices[0]) == 2


# ---------------------------------------------------------------- the official loop


MEAN, STD = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)


def _net() -> torch.nn.Sequential:
    torch.manual_seed(0)
    body = torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, padding=1),
        torch.nn.BatchNorm2d(8),
        torch.nn.Tanh(),
        torch.nn.AdaptiveAvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32, 4),
    )
    body[1].running_mean.uniform_(-0.1, 0.1)
    body[1].running_var.uniform_(0.5, 2.0)
    return torch.nn.Sequential(Normalize(MEAN, STD), *body).double().eval()


def _high_freq_penalty(t):
    return (t[..., :, 1:] - t[..., :, :-1]).abs().sum() + (
        t[..., 1:, :] - t[..., :-1, :]
    ).abs().sum()


def official_bypass(net_z, x_a, x_c, anchor, target, lr, iterations, lambda_mse, lambda_hf):
    """A straight reimplementation of the official ``bypass_barrier`` (utils.py): one
    pair, tensors in the network's normalised coordinates, the gradient's component
    along AC removed before every Adam step, nothing else projected."""
    v = (x_c - x_a).flatten()
    current = anchor.clone().unsqueeze(0).requires_grad_(True)
    optimizer = torch.optim.Adam([current], lr=lr)
    tgt = torch.tensor([target])
    for _ in range(iterations):
        optimizer.zero_grad()
        ce = F.cross_entropy(net_z(current), tgt)
        dev = torch.mean((current.squeeze(0) - anchor) ** 2)
        hf = _high_freq_penalty(current.squeeze(0) - anchor)
        (ce + lambda_mse * dev + lambda_hf * hf).backward()
        with torch.no_grad():
            g = current.grad.flatten()
            current.grad -= (torch.dot(g, v) / torch.dot(v, v)) * v.view_as(current.grad)
        optimizer.step()
    return current.detach().squeeze(0)


def official_barrier(net_z, z_a, z_c, target, steps):
    alphas = torch.linspace(0, 1, steps, dtype=z_a.dtype)
    points = torch.stack([(1 - a) * z_a + a * z_c for a in alphas])
    with torch.no_grad():
        losses = F.cross_entropy(net_z(points), torch.full((steps,), target), reduction="none")
    return points[int(losses.argmax())]


def test_bypass_equals_the_official_loop_in_normalised_coordinates():
    net = _net()
    g = torch.Generator().manual_seed(1)
    a = torch.rand(2, 3, 8, 8, generator=g, dtype=torch.float64)
    c = torch.rand(2, 3, 8, 8, generator=g, dtype=torch.float64)
    target = torch.tensor([1, 3])
    cfg = bypass.BypassConfig(
        iterations=60,
        n_linear=101,
        per_segment=11,
        threshold=0.0,
        max_rounds=1,
        project_iterate=False,
        lambda_hf=1e-3,  # a TV weight large enough to matter here
    )
    res = bypass.connect_modes(net, a, c, target, cfg)
    mean, std = torch.tensor(MEAN).view(3, 1, 1).double(), torch.tensor(STD).view(3, 1, 1).double()
    tail = net[1:]
    assert res.first_pairs.tolist() == [0, 1]
    for p in range(2):
        z_a, z_c = (a[p] - mean) / std, (c[p] - mean) / std
        z_b = official_barrier(tail, z_a, z_c, int(target[p]), cfg.n_linear)
        # float64 throughout: the barrier point is a grid point (one forward pass, no
        # iteration), 1.1e-16 apart; B' after 60 Adam steps 2.2e-16 apart (also with MKL
        # and oneDNN capped at AVX2), 1e-9 a margin of 1e6 for rounding
        torch.testing.assert_close(res.b[p], mean + std * z_b, atol=1e-12, rtol=0)
        z_bp = official_bypass(
            tail,
            z_a,
            z_c,
            z_b,
            int(target[p]),
            cfg.lr,
            cfg.iterations,
            cfg.lambda_mse,
            cfg.lambda_hf,
        )
        torch.testing.assert_close(res.b_prime[p], mean + std * z_bp, atol=1e-9, rtol=0)
        torch.testing.assert_close(res.vertices[p][1], mean + std * z_bp, atol=1e-9, rtol=0)
    # the same settings applied to pixels are a different optimisation
    pixels = bypass.connect_modes(
        net, a, c, target, cfg.__class__(**{**cfg.__dict__, "coordinates": "pixels"})
    )
    assert (pixels.b_prime - res.b_prime).abs().max() > 1e-3


def test_projecting_the_iterate_keeps_b_prime_in_the_hyperplane():
    net = _net()
    g = torch.Generator().manual_seed(2)
    a = torch.rand(1, 3, 8, 8, generator=g, dtype=torch.float64)
    c = torch.rand(1, 3, 8, 8, generator=g, dtype=torch.float64)
    base = dict(iterations=80, n_linear=51, per_segment=11, threshold=0.0, max_rounds=1)
    exact = bypass.connect_modes(net, a, c, torch.tensor([2]), bypass.BypassConfig(**base))
    official = bypass.connect_modes(
        net, a, c, torch.tensor([2]), bypass.BypassConfig(**base, project_iterate=False)
    )
    assert exact.max_abs_cos < 1e-10  # in the hyperplane (normalised coordinates)
    assert official.max_abs_cos > 1e-6  # Adam's scaling leaks a component along AC
    # ... and otherwise the two optimisations agree closely
    d_exact = exact.b_prime - exact.b
    assert (official.b_prime - exact.b_prime).norm() < 0.05 * d_exact.norm()


def test_tv1_of_a_known_pattern():
    d = torch.zeros(1, 1, 3, 3)
    d[0, 0, 1, 1] = 1.0  # a single bright pixel: 2 horizontal + 2 vertical jumps
    assert bypass.tv1(d).item() == 4.0


def test_orthogonal_projection_is_exact():
    g = torch.Generator().manual_seed(0)
    t, u = torch.randn(4, 3, 8, 8, generator=g), torch.randn(4, 3, 8, 8, generator=g)
    u = u / u.flatten(1).norm(dim=1).view(-1, 1, 1, 1)
    out = bypass._project_out(t, u)
    assert (out.flatten(1) * u.flatten(1)).sum(1).abs().max() < 1e-5


def test_settings_are_checked():
    with pytest.raises(ValueError):
        bypass.BypassConfig(lr=0)
    with pytest.raises(ValueError):
        bypass.BypassConfig(coordinates="pixel")
