"""Class-optimal inputs (feature visualisation by optimisation, Vrabel et al. §4.3-4.4,
App. D.1) on tiny networks, against the official loop in normalised coordinates."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from connectivity.models import Normalize
from connectivity.synthesis import (
    SynthesisConfig,
    free_barrier_optimiser,
    minimise_ce,
    optimal_inputs,
)

MEAN, STD = (0.4, 0.5, 0.6), (0.2, 0.25, 0.3)


def _net(double: bool = True) -> torch.nn.Sequential:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        Normalize(MEAN, STD),
        torch.nn.Conv2d(3, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Flatten(),
        torch.nn.Linear(4 * 8 * 8, 5),
    )
    return (net.double() if double else net).eval()


@pytest.mark.parametrize("jitter", [0, 1])
def test_optimal_inputs_reach_the_threshold_and_report_their_own_loss(jitter):
    torch.manual_seed(0)
    # a linear classifier: every class is reachable, so the threshold must be met
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10)).eval()
    target = torch.tensor([0, 3, 7])
    cfg = SynthesisConfig(lr=0.05, weight_decay=0.0, iterations=300, threshold=1e-2, jitter=jitter)
    out = optimal_inputs(model, target, (3, 32, 32), cfg)
    with torch.no_grad():
        ce = F.cross_entropy(model(out.x), target, reduction="none")
    torch.testing.assert_close(out.loss, ce, rtol=1e-4, atol=1e-6)  # the returned inputs' loss
    assert out.all_reached and bool((out.loss < cfg.threshold).all())
    assert bool((out.iterations < cfg.iterations).all())
    assert any(p.requires_grad for p in model.parameters())  # the caller's model is untouched


def _high_freq_penalty(t):
    return (t[..., :, 1:] - t[..., :, :-1]).abs().sum() + (
        t[..., 1:, :] - t[..., :-1, :]
    ).abs().sum()


def official_fvo(net_z, x0, target, lr, iterations, loss_threshold, weight_decay, lambda_hf):
    """A straight reimplementation of the official ``feature_visualization`` (utils.py),
    from a given start: Adam on the network's input, the loss after each step tracked,
    the best tensor kept, stop below the threshold."""
    x = x0.clone().unsqueeze(0).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=lr, weight_decay=weight_decay)
    tgt = torch.tensor([target])
    best_loss, best = float("inf"), None
    for _ in range(iterations):
        optimizer.zero_grad()
        ce = F.cross_entropy(net_z(x), tgt)
        loss = ce + lambda_hf * _high_freq_penalty(x) if lambda_hf > 0 else ce
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            post = F.cross_entropy(net_z(x), tgt).item()
        if post < best_loss:
            best_loss, best = post, x.detach().clone()
        if post < loss_threshold:
            break
    return best.squeeze(0), best_loss


def test_synthesis_equals_the_official_loop_in_normalised_coordinates():
    net = _net()
    tail = net[1:]
    cfg = SynthesisConfig(iterations=400, threshold=1e-2)
    g = torch.Generator().manual_seed(3)
    z0 = 0.01 * torch.randn(3, 3, 8, 8, generator=g, dtype=torch.float64)
    target = torch.tensor([1, 4, 1])
    tv = torch.tensor([2e-3, 0.0, 0.0], dtype=torch.float64)  # large enough to matter here
    best, loss, used, reached = minimise_ce(tail, z0, target, cfg, tv)
    assert bool(reached[1:].all())  # the smooth input (row 0) needs longer
    for p in range(3):
        ref, ref_loss = official_fvo(
            tail,
            z0[p],
            int(target[p]),
            cfg.lr,
            cfg.iterations,
            cfg.threshold,
            cfg.weight_decay,
            float(tv[p]),
        )
        # float64 on both sides: 3.1e-15 apart (2.4e-15 with MKL and oneDNN capped at AVX2);
        # 1e-9 leaves a margin of 1e5 for rounding over the 400 Adam steps
        torch.testing.assert_close(best[p], ref, atol=1e-9, rtol=0)
        assert loss[p].item() == pytest.approx(ref_loss, abs=1e-12)
    assert len(set(used.tolist())) > 1  # the rows left the batch at different iterations


def test_optimal_inputs_start_from_noise_in_normalised_coordinates():
    net = _net()
    cfg = SynthesisConfig(iterations=0)  # no step: the start itself
    out = optimal_inputs(net, torch.tensor([0] * 64), (3, 8, 8), cfg, seed=5)
    z = (out.x - torch.tensor(MEAN).view(3, 1, 1)) / torch.tensor(STD).view(3, 1, 1)
    assert abs(z.mean().item()) < 2e-3 and z.std().item() == pytest.approx(0.01, rel=0.05)
    assert not out.all_reached and bool((out.iterations == 0).all())


def test_clamped_synthesis_stays_in_the_pixel_range():
    net = _net(double=False)
    cfg = SynthesisConfig(iterations=50, threshold=0.0, clamp=True, init_scale=1.0, lr=0.5)
    out = optimal_inputs(net, torch.tensor([2, 3]), (3, 8, 8), cfg)
    assert out.x.min() >= -1e-6 and out.x.max() <= 1 + 1e-6


def test_free_barrier_optimiser_lowers_the_loss_to_the_threshold():
    net = _net()
    tail = net[1:]
    b = torch.zeros(2, 3, 8, 8, dtype=torch.float64)
    target = torch.tensor([0, 2])
    opt = free_barrier_optimiser(SynthesisConfig(iterations=500, threshold=1e-2))
    bp = opt(tail, None, None, b, target)
    with torch.no_grad():
        assert bool((F.cross_entropy(tail(bp), target, reduction="none") < 1e-2).all())
