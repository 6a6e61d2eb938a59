"""NEB on the Müller-Brown potential, and the path helpers."""

from __future__ import annotations

import functools

import pytest
import torch

from connectivity import neb, paths

A_MIN = torch.tensor([-0.558, 1.442], dtype=torch.float64)
C_MIN = torch.tensor([0.623, 0.028], dtype=torch.float64)
SADDLE = torch.tensor([-0.822, 0.624], dtype=torch.float64)
B_MIN = torch.tensor([-0.050, 0.467], dtype=torch.float64)


def mb_energy(z):  # (P, K, 2) -> (P, K)
    return neb.muller_brown(z)


@functools.lru_cache(maxsize=None)
def _relax(climbing=True):
    cfg = neb.NEBConfig(n_pivots=24, steps=4000, lr=2e-4, spring=100.0, optimizer="sgd", climbing=climbing,
                        climb_after=500)
    return neb.run_neb(mb_energy, A_MIN.view(1, 2), C_MIN.view(1, 2), cfg)


def test_known_values_of_the_potential():
    v = neb.muller_brown(torch.stack([SADDLE, B_MIN]))
    torch.testing.assert_close(v, torch.tensor([-40.66, -80.77], dtype=torch.float64), atol=0.02, rtol=0)


def test_climbing_image_neb_finds_the_saddle_and_the_intermediate_minimum():
    res = _relax()
    band, e = res.path[0], res.energies[0]
    top = e[1:-1].argmax() + 1
    assert abs(e[top].item() - (-40.66)) < 0.5, e[top]
    assert (band[top] - SADDLE).norm() < 0.05, band[top]
    # the band runs through the basin of the intermediate minimum
    near_b = (band - B_MIN).norm(dim=1).min()
    assert near_b < 0.1 and e.min() < -146  # and starts in the deepest minimum
    assert neb.muller_brown(band[(band - B_MIN).norm(dim=1).argmin()]) < -75


def test_straight_line_has_a_far_higher_maximum():
    line = paths.linear_path(A_MIN.view(1, 2), C_MIN.view(1, 2), 400)
    e_line = neb.muller_brown(line).max().item()
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
    assert (y[idx[:, 0]] == cls).all() and (y[idx[:, 1]] == cls).all() and (idx[:, 0] != idx[:, 1]).all()
    assert len(set(idx.flatten().tolist())) == 12
    with pytest.raises(ValueError, match="same-class pairs"):
        paths.same_class_pairs(Model(), ds, 100, seed=0)


def test_evaluate_linear_equals_evaluate_path_of_the_built_path():
    from connectivity.models import cifar_resnet
    from connectivity.paths import evaluate_linear, evaluate_path, linear_path

    torch.manual_seed(0)
    model = cifar_resnet((1,), width=4).eval()
    z1, z2 = torch.rand(3, 3, 32, 32), torch.rand(3, 3, 32, 32)
    target = torch.tensor([1, 4, 7])
    ref = evaluate_path(model, linear_path(z1, z2, 11), target, batch_size=7)
    got = evaluate_linear(model, z1, z2, 11, target, batch_size=5)  # batches cut across pairs
    for key in ("probs", "loss"):
        torch.testing.assert_close(got[key], ref[key], rtol=1e-5, atol=1e-6)
    assert torch.equal(got["pred"], ref["pred"]) and torch.equal(got["all_target"], ref["all_target"])
