"""NEB on the Müller-Brown potential, and the path helpers."""

from __future__ import annotations

import functools

import pytest
import torch

from connectivity import input_paths as paths
from connectivity import neb, potentials
from connectivity.pages.gu2023.table1 import Table1Settings

A_MIN = torch.tensor([-0.558, 1.442], dtype=torch.float64)
C_MIN = torch.tensor([0.623, 0.028], dtype=torch.float64)
SADDLE = torch.tensor([-0.822, 0.624], dtype=torch.float64)
B_MIN = torch.tensor([-0.050, 0.467], dtype=torch.float64)


def mb_energy(z):  # (P, K, 2) -> (P, K)
    return potentials.muller_brown(z)


@functools.cache
def _relax(climbing=True):
    cfg = neb.NEBConfig(
        n_pivots=24,
        steps=4000,
        lr=2e-4,
        spring=100.0,
        optimizer="sgd",
        climbing=climbing,
        climb_after=500,
    )
    return neb.run_neb(mb_energy, A_MIN.view(1, 2), C_MIN.view(1, 2), cfg)


def neb_forces(path, energies, grads, spring: float, climbing: bool) -> torch.Tensor:
    """The NEB forces on the inner points through the band step's Gram-matrix form
    (``neb._force_coefficients``): path (P, N+2, D), energies (P, N+2), gradients at the
    inner points (P, N, D) -> forces (P, N, D)."""
    tp = path[:, 2:] - path[:, 1:-1]
    tm = path[:, 1:-1] - path[:, :-2]
    stacked = torch.stack([tp, tm, grads], 2)
    gram = stacked @ stacked.transpose(-1, -2)
    alpha, beta = neb._force_coefficients(gram, energies, spring, climbing)
    return -grads + alpha.unsqueeze(-1) * tp + beta.unsqueeze(-1) * tm


def test_known_values_of_the_potential():
    v = potentials.muller_brown(torch.stack([SADDLE, B_MIN]))
    torch.testing.assert_close(
        v, torch.tensor([-40.66, -80.77], dtype=torch.float64), atol=0.02, rtol=0
    )


def test_climbing_image_neb_finds_the_saddle_and_the_intermediate_minimum():
    res = _relax()
    band, e = res.path[0], res.energies[0]
    top = e[1:-1].argmax() + 1
    assert abs(e[top].item() - (-40.66)) < 0.5, e[top]
    assert (band[top] - SADDLE).norm() < 0.05, band[top]
    # the band runs through the basin of the intermediate minimum
    near_b = (band - B_MIN).norm(dim=1).min()
    assert near_b < 0.1 and e.min() < -146  # and starts in the deepest minimum
    assert potentials.muller_brown(band[(band - B_MIN).norm(dim=1).argmin()]) < -75


def test_straight_line_has_a_far_higher_maximum():
    line = paths.linear_path(A_MIN.view(1, 2), C_MIN.view(1, 2), 400)
    e_line = potentials.muller_brown(line).max().item()
    res = _relax()
    assert e_line > res.energies.max().item() + 50, (e_line, res.energies.max())


def test_tangent_is_uphill_on_a_monotonic_stretch():
    path = torch.tensor([[[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]])
    tau = neb.tangents(path, torch.tensor([[0.0, 1.0, 2.0]]))
    torch.testing.assert_close(tau, torch.tensor([[[0.0, 1.0]]]))
    tau = neb.tangents(path, torch.tensor([[2.0, 1.0, 0.0]]))
    torch.testing.assert_close(tau, torch.tensor([[[1.0, 0.0]]]))


def test_bands_that_are_done_are_frozen_and_their_step_recorded():
    z1 = torch.zeros(2, 2)
    z2 = torch.ones(2, 2)
    cfg = neb.NEBConfig(n_pivots=3, steps=20, lr=0.1, optimizer="sgd")
    calls = []

    def done(bands, idx):  # band 0 is done from the start, band 1 never
        calls.append(idx.tolist())
        return idx == 0

    centre = torch.tensor([0.0, 1.0])  # pulls the band off the diagonal
    res = neb.run_neb(lambda z: ((z - centre) ** 2).sum(-1), z1, z2, cfg, done=done, check_every=5)
    assert res.success_step.tolist() == [0, -1]
    assert calls[0] == [0, 1] and calls[1] == [1]  # done only sees the bands still running
    torch.testing.assert_close(res.path[0], paths.linear_path(z1, z2, 5)[0])  # untouched
    assert not torch.allclose(res.path[1], paths.linear_path(z1, z2, 5)[1])


def test_resample_and_linear_path_shapes_and_values():
    piv = torch.tensor([[[0.0], [1.0], [3.0]]])
    dense = paths.resample(piv, 2)
    torch.testing.assert_close(dense, torch.tensor([[[0.0], [0.5], [1.0], [2.0], [3.0]]]))
    lp = paths.linear_path(torch.zeros(2, 3, 4, 4), torch.ones(2, 3, 4, 4), 5)
    assert lp.shape == (2, 5, 3, 4, 4) and lp[:, 2].eq(0.5).all()
    with pytest.raises(ValueError):
        paths.linear_path(torch.zeros(1, 2), torch.ones(1, 2), 1)


def test_bad_settings_are_rejected():
    with pytest.raises(ValueError):
        neb.NEBConfig(optimizer="lbfgs").validate()
    with pytest.raises(ValueError):
        neb.NEBConfig(n_pivots=0).validate()


def test_same_class_pairs_are_correct_distinct_and_spread():
    from connectivity.data import Dataset

    x = torch.arange(40, dtype=torch.float32).view(40, 1, 1, 1)
    y = torch.arange(40) % 4
    ds = Dataset("cifar10", "test", x, y, ["a", "b", "c", "d"], "test")

    class Model(torch.nn.Module):  # right on everything except class 3
        def forward(self, x):
            lab = x.view(-1).long() % 4
            lab = torch.where(lab == 3, torch.zeros_like(lab), lab)
            return torch.nn.functional.one_hot(lab, 4).float()

    idx, cls, pred = paths.same_class_pairs(Model(), ds, 6, seed=0)
    assert cls.tolist() == [0, 1, 2, 0, 1, 2]  # class 3 has no correct image: skipped
    assert (
        (y[idx[:, 0]] == cls).all()
        and (y[idx[:, 1]] == cls).all()
        and (idx[:, 0] != idx[:, 1]).all()
    )
    assert len(set(idx.flatten().tolist())) == 12
    with pytest.raises(ValueError, match="same-class pairs"):
        paths.same_class_pairs(Model(), ds, 100, seed=0)


def test_evaluate_linear_equals_evaluate_path_of_the_built_path():
    from connectivity.input_paths import evaluate_linear, evaluate_path, linear_path
    from connectivity.models import cifar_resnet

    torch.manual_seed(0)
    model = cifar_resnet((1,), width=4).eval()
    z1, z2 = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    target = torch.tensor([1, 4, 7])
    ref = evaluate_path(model, linear_path(z1, z2, 11), target, batch_size=7)
    got = evaluate_linear(model, z1, z2, 11, target, batch_size=5)  # batches cut across pairs
    for key in ("probs", "loss"):
        torch.testing.assert_close(got[key], ref[key], rtol=1e-5, atol=1e-6)
    assert torch.equal(got["pred"], ref["pred"]) and torch.equal(
        got["all_target"], ref["all_target"]
    )


# ------------------------------------------------------------------ the chapter's configuration


def _saddle_run(profile):
    cfg = Table1Settings.resolve(profile).neb
    return cfg, neb.run_neb(mb_energy, A_MIN.view(1, 2), C_MIN.view(1, 2), cfg)


@pytest.mark.parametrize("profile", ["ci", "paper"])
def test_chapter_configuration_finds_the_minimum_energy_path_on_mueller_brown(profile):
    """Adam, no climbing image, the chapter's pivots, step, spring and iterations: the band
    leaves the straight line (max energy 12.7) for the MEP through the intermediate
    minimum, whose highest point is the saddle at -40.66."""
    cfg, res = _saddle_run(profile)
    assert cfg.optimizer == "adam" and not cfg.climbing
    band = res.path[0]
    dense = paths.resample(band.unsqueeze(0), 20)[0]
    top = potentials.muller_brown(dense).max().item()
    assert -40.66 - 1e-6 <= top + 0.5  # a continuous path must cross the saddle's level
    assert top < -38.0, top  # ... and the band crosses near the saddle, not over a ridge
    assert (band - B_MIN).norm(dim=1).min() < 0.15  # through the intermediate basin
    assert (band[1:-1] - SADDLE).norm(dim=1).min() < 0.1


def test_forces_equal_the_textbook_formula():
    torch.manual_seed(0)
    path = torch.randn(3, 7, 5, dtype=torch.float64)
    energies = torch.randn(3, 7, dtype=torch.float64)
    grads = torch.randn(3, 5, 5, dtype=torch.float64)
    for climbing in (False, True):
        tau = neb.tangents(path, energies)
        g_par = (grads * tau).sum(-1, keepdim=True)
        d_next = (path[:, 2:] - path[:, 1:-1]).norm(dim=-1, keepdim=True)
        d_prev = (path[:, 1:-1] - path[:, :-2]).norm(dim=-1, keepdim=True)
        ref = -(grads - g_par * tau) + 2.5 * (d_next - d_prev) * tau
        if climbing:
            top = energies[:, 1:-1].argmax(1)
            for p in range(3):
                ref[p, top[p]] = -grads[p, top[p]] + 2 * g_par[p, top[p]] * tau[p, top[p]]
        got = neb_forces(path, energies, grads, 2.5, climbing)
        torch.testing.assert_close(got, ref)


def test_adam_step_moves_each_coordinate_by_lr_times_the_band_scale():
    """Adam's first step is lr x mean|z2 - z1| per coordinate, whatever the force."""
    z1, z2 = torch.zeros(2, 4), torch.tensor([[1.0, 1, 1, 1], [4.0, 4, 4, 4]])
    cfg = neb.NEBConfig(n_pivots=3, steps=1, lr=0.01, spring=0.0)
    res = neb.run_neb(lambda z: (z[..., 0] * 3 + z[..., 1] ** 2).float(), z1, z2, cfg)
    moved = (res.path - paths.linear_path(z1, z2, 5)).abs()[:, 1:-1, 0]
    torch.testing.assert_close(moved, torch.tensor([[0.01] * 3, [0.04] * 3]), atol=1e-6, rtol=0)


def test_band_times_contain_the_straight_checks_points_and_the_pivots():
    ts = paths.band_times(14, 200)
    grid = torch.linspace(0, 1, 200, dtype=torch.float64)
    piv = torch.arange(14, dtype=torch.float64) / 13
    assert all((ts - t).abs().min() < 1e-12 for t in torch.cat([grid, piv]))
    assert (ts[1:] > ts[:-1]).all() and len(ts) >= 200


def test_evaluate_band_equals_evaluate_path_of_the_built_points():
    from connectivity.models import cifar_resnet

    torch.manual_seed(0)
    model = cifar_resnet((1,), width=4).eval()
    pivots = torch.rand(2, 5, 3, 8, 8)
    ts = paths.band_times(5, 9)
    seg = (ts * 4).floor().clamp(0, 3).long()
    frac = (ts * 4 - seg).float().view(-1, 1, 1, 1)
    built = pivots[:, seg] + frac * (pivots[:, seg + 1] - pivots[:, seg])
    target = torch.tensor([2, 5])
    ref = paths.evaluate_path(model, built, target)
    got = paths.evaluate_band(model, pivots, ts, target, batch_size=3)
    torch.testing.assert_close(got["loss"], ref["loss"], rtol=1e-5, atol=1e-5)
    # a band still on the segment is checked at every point of the straight check
    z1, z2 = torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)
    on_line = paths.evaluate_band(model, paths.linear_path(z1, z2, 5), ts, target[:1])
    lin = paths.evaluate_linear(model, z1, z2, 9, target[:1])
    idx = [int((ts - t).abs().argmin()) for t in torch.linspace(0, 1, 9, dtype=torch.float64)]
    torch.testing.assert_close(on_line["loss"][:, idx], lin["loss"], rtol=1e-4, atol=1e-5)


def test_segment_departure_known_values():
    band = torch.tensor(
        [[[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]], [[0.0, 0.0], [0.5, 0.3], [2.0, 0.0]]]
    )
    linf, rel = paths.segment_departure(band)
    torch.testing.assert_close(linf, torch.tensor([0.0, 0.3]))
    torch.testing.assert_close(rel, torch.tensor([0.0, 0.15]))
    # beyond the ends, the distance is to the nearest endpoint
    linf, rel = paths.segment_departure(torch.tensor([[[0.0, 0.0], [-1.0, 0.0], [1.0, 0.0]]]))
    torch.testing.assert_close(linf, torch.tensor([1.0]))


class _Bump(torch.nn.Module):
    """Class 1 in a Gaussian bump centred just above the middle of the segment
    (0, 0) -> (1, 0), class 0 elsewhere: the segment crosses class 1."""

    def forward(self, z):
        z = z.view(len(z), -1)
        r2 = (z[:, 0] - 0.5) ** 2 + (z[:, 1] - 0.05) ** 2
        logit = 6 * torch.exp(-r2 / 0.02) - 2
        return torch.stack([torch.zeros_like(logit), logit], 1)


def test_connect_pairs_linear_nonlinear_and_the_check_grid():
    """Pair 0's segment crosses the bump: NEB walks around it (nonlinear, after iteration
    0, off the segment by about the bump's radius); pair 1's segment misses it (linear)."""
    tail = _Bump()
    z1 = torch.tensor([[0.0, 0.0], [0.0, 0.5]])
    z2 = torch.tensor([[1.0, 0.0], [1.0, 0.5]])
    cfg = neb.NEBConfig(n_pivots=6, steps=200, lr=0.02, spring=1.0)
    conn = neb.connect_pairs(tail, z1, z2, torch.tensor([0, 0]), 101, cfg, check_every=1)
    assert conn.category == ["nonlinear", "linear"]
    assert conn.iterations[0] > 0 and conn.iterations[1] == -1
    assert conn.neb_index.tolist() == [0] and conn.check_points >= 101
    assert conn.departure_rel_l2[0] > 0.05  # it had to leave the segment
    ts = paths.band_times(8, 101)
    band = conn.bands[0].unsqueeze(0)
    assert paths.evaluate_band(tail, band, ts, torch.tensor([0]))["all_target"].all()
    # the same band checked on a coarse grid of its pivots only could pass earlier: the
    # check is at least as dense as the straight one
    assert conn.check_points == len(ts)


def test_a_band_that_passes_before_moving_is_a_linear_pair():
    """A success at iteration 0 is the straight segment itself: the pair is linear. (A
    model wrong only on its first call makes the straight check fail and the band's
    check at iteration 0 pass.)"""

    class WrongOnce(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, z):
            self.calls += 1
            logit = torch.full((len(z),), 5.0 if self.calls == 1 else -5.0)
            return torch.stack([torch.zeros_like(logit), logit], 1)

    z1, z2 = torch.zeros(1, 2), torch.tensor([[1.0, 0.0]])
    conn = neb.connect_pairs(WrongOnce(), z1, z2, torch.tensor([0]), 11, neb.NEBConfig(2, 5))
    assert conn.category == ["linear"] and conn.iterations[0] == -1
