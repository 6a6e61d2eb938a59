"""Vrabel et al. §4.1, §4.3–4.4, App. D.1, §5 chapters: pair draws, verdicts on studies
with known answers (claims fail when the inputs are not modes), settings, and the
§4.1 paper code path on a fake ImageNet folder."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from connectivity.pages.vrabel2024 import (
    bypass,
    networks,
    percolation,
    synthetic_untrained,
    training_dynamics,
)
from connectivity.pages.vrabel2024.percolation.report import records as percolation_records
from connectivity.pages.vrabel2024.synthetic_untrained.report import records as modes_records
from connectivity.pages.vrabel2024.training_dynamics.report import records as dynamics_records

SETTINGS = (
    bypass.BypassSettings,
    synthetic_untrained.SyntheticUntrainedSettings,
    training_dynamics.TrainingDynamicsSettings,
    percolation.PercolationSettings,
)


@pytest.mark.parametrize("cls", SETTINGS)
def test_every_profile_resolves(cls):
    for profile in ("paper", "ci", "smoke", "smoke-paper"):
        assert cls.resolve(profile).profile == profile


def test_paper_defaults_are_the_papers():
    b = bypass.BypassSettings()
    assert (b.bypass.lr, b.bypass.iterations, b.bypass.lambda_mse, b.bypass.lambda_hf) == (
        0.005,
        1024,
        0.1,
        1e-8,
    )
    assert (b.bypass.n_linear, b.bypass.per_segment, b.bypass.coordinates) == (
        1000,
        500,
        "normalised",
    )
    m = synthetic_untrained.SyntheticUntrainedSettings()
    s = m.untrained_synthesis
    assert (s.lr, s.weight_decay, s.threshold, s.init_scale) == (0.05, 1e-7, 5e-4, 0.01)
    assert m.untrained_tv == 2.5e-7 and m.untrained_arch == "resnet18"
    assert m.untrained_bypass.max_rounds == 2 and m.untrained_bypass.n_linear == 200
    d = training_dynamics.TrainingDynamicsSettings()
    assert (d.model.arch, d.model.optimizer, d.model.lr, d.model.batch_size) == (
        "resnet18",
        "adam",
        1e-3,
        512,
    )
    assert d.synthesis.threshold == 5e-3 and d.pairs_per_class == 5 and d.points == 200
    assert d.batches == list(range(31)) and d.epochs == list(range(1, 31))


# ---------------------------------------------------------------- §4.1 pairs


def test_mode_pairs_use_only_modes_when_there_are_enough():
    loss = torch.tensor([0.001, 0.5, 0.002, 0.003, 0.0001, 0.004, 0.9, 0.0005])
    y = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1])
    pairs = bypass.draw_mode_pairs(loss, y.clone(), y, 2, 0.01, seed=0)
    assert pairs.all_modes and pairs.candidates == 6
    assert pairs.label.tolist() == [0, 1]
    assert bool((pairs.loss <= 0.01).all())
    assert (y[pairs.first] == y[pairs.second]).all() and (pairs.first != pairs.second).all()


def test_mode_pairs_fall_back_to_the_lowest_losses_and_say_so():
    loss = torch.tensor([0.3, 0.2, 0.9, 0.1, 0.5, 0.7])
    y = torch.tensor([0, 0, 0, 1, 1, 1])
    pairs = bypass.draw_mode_pairs(loss, y.clone(), y, 2, 0.01, seed=0)
    assert not pairs.all_modes and pairs.candidates == 0
    assert sorted(pairs.loss[0].tolist()) == pytest.approx([0.2, 0.3])  # class 0's lowest


# ---------------------------------------------------------------- claims that must fail


def _synthesis(loss, reached, threshold=1e-3):
    from connectivity.synthesis import Synthesis

    n = len(loss)
    return Synthesis(
        torch.zeros(n, 3, 4, 4),
        torch.tensor(loss),
        torch.zeros(n),
        torch.tensor(reached),
        threshold,
    )


def test_untrained_claim_fails_when_the_inputs_are_not_modes(tmp_build):
    from connectivity.barriers import barrier_heights
    from connectivity.bypass import BypassResult

    res = BypassResult(
        [], [], torch.tensor([1, 1]), None, None, torch.zeros(0), 0.0, 1e-3, 2, "normalised"
    )
    heights = barrier_heights(np.ones((2, 3)))
    unt = synthetic_untrained.UntrainedStudy(
        "toy",
        torch.tensor([0, 1]),
        _synthesis([1e-4, 0.2, 1e-4, 1e-4], [True, False, True, True]),
        res,
        heights,
        heights,
        1e-3,
        5e-4,
    )
    syn = synthetic_untrained.SyntheticStudy(
        "toy",
        [0, 1],
        ["a", "b"],
        _synthesis([1e-4, 1e-4], [True, True]),
        _synthesis([1e-4, 1e-4], [True, True]),
        BypassResult(
            [], [], torch.tensor([1, 0]), None, None, torch.zeros(0), 0.0, 0.1, 1, "normalised"
        ),
        heights,
        heights,
        0.1,
    )
    recs = modes_records(synthetic_untrained.SyntheticUntrainedStudy(syn, unt))
    assert recs.untrained.verdict == "failed" and "not modes" in recs.untrained.note
    # two pairs of modes, both connected: too few for a one-sided test at 5 %
    assert recs.synthetic.verdict == "failed" and "needs 5" in recs.synthetic.note


def _untrained(reached_pairs, rounds):
    from connectivity.barriers import barrier_heights
    from connectivity.bypass import BypassResult

    n = len(rounds)
    res = BypassResult(
        [], [], torch.tensor(rounds), None, None, torch.zeros(0), 0.0, 1e-3, 2, "normalised"
    )
    heights = barrier_heights(np.ones((n, 3)))
    reached = list(reached_pairs) * 2  # both inputs of a pair alike
    inputs = _synthesis([1e-4 if r else 0.2 for r in reached], reached)
    return synthetic_untrained.UntrainedStudy(
        "toy", torch.arange(n) % 10, inputs, res, heights, heights, 1e-3, 5e-4
    )


def test_untrained_claim_is_tested_on_the_pairs_that_are_modes(tmp_build):
    modes = [True] * 6 + [False] * 2
    unt = _untrained(modes, [0, 1, 2, 2, 2, -1, 0, 0])  # the last two would count if kept
    syn = synthetic_untrained.SyntheticStudy(
        "toy",
        [0],
        ["a"],
        _synthesis([1e-4], [True]),
        _synthesis([1e-4], [True]),
        unt.result,
        unt.straight,
        unt.final,
        0.1,
    )
    recs = modes_records(synthetic_untrained.SyntheticUntrainedStudy(syn, unt))
    assert recs.untrained.reproduced == "5/6" and "2 pair(s) left out" in recs.untrained.note
    assert recs.untrained.verdict == "not significant"  # P(X >= 5 | 6, 1/2) = 7/64
    four = _untrained([True] * 4 + [False] * 4, [0] * 8)
    recs = modes_records(synthetic_untrained.SyntheticUntrainedStudy(syn, four))
    assert recs.untrained.verdict == "failed" and "needs 5" in recs.untrained.note


def _synthetic(natural_reached, rounds):
    from connectivity.barriers import barrier_heights
    from connectivity.bypass import BypassResult

    n = len(rounds)
    res = BypassResult(
        [], [], torch.tensor(rounds), None, None, torch.zeros(0), 0.0, 1e-3, 1, "normalised"
    )
    heights = barrier_heights(np.ones((n, 3)))
    natural = _synthesis([1e-5 if r else 3e-4 for r in natural_reached], natural_reached, 1e-4)
    return synthetic_untrained.SyntheticStudy(
        "toy",
        [p % 10 for p in range(n)],
        [str(c) for c in range(10)],
        natural,
        _synthesis([1e-5] * n, [True] * n, 1e-4),
        res,
        heights,
        heights,
        1e-3,
    )


def test_synthetic_claim_is_tested_on_the_pairs_that_are_modes(tmp_build):
    unt = _untrained([True] * 6, [0] * 6)
    # seven pairs of modes connected within one round, two that are not modes and never
    # connected: kept, they would make it 7/9 (p 0.09); left out, 7/7 (p 0.0078)
    syn = _synthetic([True] * 7 + [False] * 2, [1, 0, 1, 1, 0, 1, 1, -1, -1])
    assert syn.pair_modes.tolist() == [True] * 7 + [False] * 2
    recs = modes_records(synthetic_untrained.SyntheticUntrainedStudy(syn, unt))
    assert recs.synthetic.reproduced == "7/7" and recs.synthetic.verdict == "reproduced"
    assert "2 pair(s) left out" in recs.synthetic.note
    # a pair that needs a second round is not connected after one
    syn = _synthetic([True] * 8, [1, 1, 2, 2, -1, 2, 0, 1])
    recs = modes_records(synthetic_untrained.SyntheticUntrainedStudy(syn, unt))
    assert recs.synthetic.reproduced == "4/8" and recs.synthetic.verdict == "not significant"
    syn = _synthetic([True] * 8, [-1] * 7 + [1])
    recs = modes_records(synthetic_untrained.SyntheticUntrainedStudy(syn, unt))
    assert recs.synthetic.reproduced == "1/8" and recs.synthetic.verdict == "differs"


def _snapshot(kind, step, barrier, modes=None, n=20, seed=0):
    rng = np.random.default_rng(seed + step)
    curves = np.full((n, 5), 1e-3)
    curves[:, 2] = barrier + 0.01 * rng.random(n)
    modes = np.ones(n, bool) if modes is None else modes
    return training_dynamics.Snapshot(kind, step, curves, np.full((n, 2), 1e-3), modes)


def test_dynamics_verdicts_follow_the_barriers(tmp_build):
    s = training_dynamics.TrainingDynamicsSettings.resolve("smoke")
    falling = [_snapshot("batch", b, 2.0 - 0.3 * b) for b in range(5)]
    flat_epochs = [_snapshot("epoch", e, 0.5, seed=10) for e in (1, 2, 3)]
    recs = dynamics_records(
        training_dynamics.TrainingDynamicsStudy(s, "toy", falling + flat_epochs)
    )
    assert recs.falls.verdict == "reproduced" and recs.falls.reproduced < 0
    assert recs.spread.verdict in ("not significant", "differs")
    rising = [_snapshot("batch", b, 0.5 + 0.3 * b) for b in range(5)]
    recs = dynamics_records(training_dynamics.TrainingDynamicsStudy(s, "toy", rising + flat_epochs))
    assert recs.falls.verdict == "differs"


def test_dynamics_leaves_out_pairs_that_are_not_modes(tmp_build):
    s = training_dynamics.TrainingDynamicsSettings.resolve("smoke")
    none = np.zeros(20, bool)
    snaps = [_snapshot("batch", b, 1.0, modes=none) for b in range(5)]
    snaps += [_snapshot("epoch", e, 0.5) for e in (1, 2, 3)]
    study = training_dynamics.TrainingDynamicsStudy(s, "toy", snaps)
    recs = dynamics_records(study)
    assert recs.falls.verdict == "failed" and "only 0 of the 5 batch snapshots" in recs.falls.note
    assert len(snaps[0].barriers) == 0
    assert training_dynamics.snapshot_table(study)["pairs that are modes"].iloc[0] == "0/20"


# ---------------------------------------------------------------- §5


def test_conjecture_verdict_follows_the_fractions(tmp_build):
    s = percolation.PercolationSettings.resolve("smoke")
    dims = [2, 3, 8, 32]
    rng = np.random.default_rng(0)
    found = {n: rng.random(40) < p for n, p in zip(dims, (0.3, 0.5, 0.8, 0.95))}
    conj = percolation.Conjecture(dims, [32] * 4, found, found, {}, {n: 0.0 for n in dims})
    pc = {2: 0.6, 3: 0.36, 4: 0.22, 5: 0.15}  # a perfect trend over four dimensions
    mf = {n: np.zeros(3) for n in pc}
    lattice = {n: np.full(3, 0.4 - 0.1 * k) for k, n in enumerate(pc)}
    sizes = {n: 8 for n in pc}
    study = percolation.PercolationStudy(
        s, {}, np.zeros(0), pc, sizes, np.zeros(3), lattice, mf, conj
    )
    recs = percolation_records(study)
    assert recs.conjecture.verdict == "reproduced"
    assert recs.conjecture.extra["above_trend"] == "reproduced"  # 0.5 -> 0.8 -> 0.95
    # textbook facts check the lattice code: shown apart, never counted as reproductions
    assert recs.pc_falls.kind == recs.mean_field.kind == "check"
    assert recs.pc_falls.verdict == "check" and recs.mean_field.verdict == "check"
    # 2-D: 0.6 is 0.007 from the literature's 0.5927; 3-D: 0.36 is 0.048 from 0.3116
    assert [c.verdict for c in recs.checks] == ["check", "failed"]

    # a rising threshold and a mean field that worsens fail their checks (a bug);
    # growth only from n = 2 to 3, flat above, is said to be one step
    found = {n: rng.random(40) < p for n, p in zip(dims, (0.3, 0.95, 0.95, 0.95))}
    conj = percolation.Conjecture(dims, [32] * 4, found, found, {}, {n: 0.0 for n in dims})
    rising = {n: 0.2 + 0.1 * k for k, n in enumerate(pc)}
    worse = {n: np.full(3, 0.1 + 0.1 * k) for k, n in enumerate(pc)}
    study = percolation.PercolationStudy(
        s, {}, np.zeros(0), rising, sizes, np.zeros(3), worse, mf, conj
    )
    recs = percolation_records(study)
    assert recs.pc_falls.verdict == "failed" and recs.mean_field.verdict == "failed"
    assert recs.conjecture.verdict == "reproduced"
    assert recs.conjecture.extra["above_trend"] != "reproduced"


@pytest.mark.slow
@pytest.mark.filterwarnings("error::RuntimeWarning")  # was 0/0 in Fig. 3's bent path (t_B = 0)
def test_section_4_1_paper_path_on_a_fake_imagenet_folder(tmp_build, fake_imagenet):
    """The `smoke-paper` code path of §4.1: GoogLeNet (random weights) on the fake
    ImageNet folder of the session; random weights give no modes, so the claims fail."""
    from connectivity.pages.vrabel2024.bypass.report import records

    s = bypass.BypassSettings.resolve("smoke-paper")
    study = bypass.run(s)
    assert study.a.shape[1:] == (3, 224, 224) and study.model_name.startswith("GoogLeNet")
    assert len(study.pairs.first) == s.n_pairs and not study.pairs.all_modes
    recs = records(study)
    assert recs.lowers.verdict == "failed" and "not all modes" in recs.lowers.note


def test_a_missing_imagenet_folder_is_a_clear_error(monkeypatch):
    from connectivity.data import DataNotFoundError

    monkeypatch.delenv("CONNECTIVITY_IMAGENET", raising=False)
    with pytest.raises(DataNotFoundError, match="CONNECTIVITY_IMAGENET"):
        networks.load_model_and_images("imagenet_googlenet", "paper", False, 3, 2, 0)


def test_batch_snapshots_past_the_first_epoch_are_refused():
    from connectivity.pages.vrabel2024.training_dynamics import TrainingDynamicsSettings
    from connectivity.settings import ParameterError

    with pytest.raises(ParameterError, match="inside the first epoch"):
        TrainingDynamicsSettings.resolve("ci", batches=[0, 20])  # 20 batches of 512 = one epoch
    assert max(TrainingDynamicsSettings.resolve("paper").batches) < 50_000 // 512


def test_synthetic_path_threshold_below_the_modes_is_refused():
    from connectivity.settings import ParameterError

    with pytest.raises(ParameterError, match="below the modes' threshold"):
        synthetic_untrained.SyntheticUntrainedSettings.resolve(
            "ci", synthetic_bypass={"threshold": 5e-5}
        )
    # the paper's "almost up to the numerical precision": ten times the modes' threshold
    for profile in ("ci", "paper"):
        s = synthetic_untrained.SyntheticUntrainedSettings.resolve(profile)
        assert s.synthetic_bypass.threshold == pytest.approx(10 * s.natural.threshold)


def test_empty_snapshot_or_class_lists_are_parameter_errors():
    from connectivity.settings import ParameterError

    with pytest.raises(ParameterError, match="at least one class"):
        synthetic_untrained.SyntheticUntrainedSettings.resolve("ci", synthetic_classes=[])
    with pytest.raises(ParameterError, match="at least one snapshot"):
        training_dynamics.TrainingDynamicsSettings.resolve("ci", batches=[])
