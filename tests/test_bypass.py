"""Barrier bypass (Vrabel et al. §3) on a 2-D toy with a known low pass."""

from __future__ import annotations

import torch

from connectivity import bypass


class TwoWells(torch.nn.Module):
    """Two-class logits (0, g(x)) for x (N, 2): wells around (-1, 0) and (1, 0), a ridge
    along x1 = 0 that blocks the straight path, and a pass through it at x2 = 0.8."""

    def forward(self, x):
        ridge = torch.exp(-x[:, 0] ** 2 / 0.05)
        pass_ = torch.exp(-(x[:, 1] - 0.8) ** 2 / 0.5)
        g = 4 - 10 * ridge * (1 - pass_)
        return torch.stack([torch.zeros_like(g), g], 1)


A, C = torch.tensor([[-1.0, 0.0]]), torch.tensor([[1.0, 0.0]])
CFG = bypass.BypassConfig(lr=0.005, iterations=1024, lambda_mse=0.1, lambda_hf=0.0, n_linear=201,
                          per_segment=101, threshold=0.1, max_rounds=3)


def test_bypass_finds_the_low_pass_and_stays_in_the_hyperplane():
    res = bypass.connect_modes(TwoWells(), A, C, torch.tensor([1]), CFG)
    primary = res["rounds"][0]["max_loss"][0].item()
    assert primary > 2.5  # the straight path crosses the ridge
    b, bp = res["b"][0], res["b_prime"][0]
    torch.testing.assert_close(b, torch.tensor([0.0, 0.0]), atol=0.01, rtol=0)
    # the exact minimiser of the 1-D objective on the hyperplane x1 = 0 (grid search)
    x2 = torch.linspace(-0.5, 1.5, 20001)
    pts = torch.stack([torch.zeros_like(x2), x2], 1)
    ce = torch.nn.functional.cross_entropy(TwoWells()(pts), torch.ones(len(x2), dtype=torch.long), reduction="none")
    best = x2[(ce + CFG.lambda_mse * x2 ** 2 / 2).argmin()].item()
    assert 0.5 < best < 0.8 and abs(bp[1].item() - best) < 0.02, (bp, best)  # in the pass
    assert abs(bp[0].item() - b[0].item()) < 1e-6  # orthogonal to AC: x1 unchanged
    assert res["max_abs_cos"] < 1e-6
    assert res["rounds"][-1]["max_loss"][0].item() < CFG.threshold
    assert res["rounds_to_threshold"].tolist() == [1] and bool(res["rounds"][-1]["all_target"][0])
    assert len(res["vertices"][0]) == 3  # A, B', C


def test_batched_bypass_equals_one_pair_at_a_time():
    """Pairs in one batch do not influence each other."""
    model = TwoWells()
    a2, c2 = torch.tensor([[-1.0, 0.1]]), torch.tensor([[1.0, -0.1]])
    both = bypass.connect_modes(model, torch.cat([A, a2]), torch.cat([C, c2]), torch.tensor([1, 1]), CFG)
    alone = bypass.connect_modes(model, a2, c2, torch.tensor([1]), CFG)
    torch.testing.assert_close(both["vertices"][1], alone["vertices"][0], atol=1e-5, rtol=0)


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
