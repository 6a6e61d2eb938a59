"""The Vrabel et al. §4.3–4.4 page runs at toy size (``smoke`` profile: the book's small
CIFAR-10 ResNet after a short training, two classes, a few Adam iterations; an untrained
CIFAR ResNet of width 4, two pairs), and what its ``SyntheticUntrainedStudy`` holds is what the page
relies on: inputs of the image's shape with losses that say whether they are modes,
bypass rounds within the budget whose straight paths start and end at those inputs,
and its report: three records with valid verdicts (``failed`` exactly when the inputs are
not modes), the losses a near-chance and an untrained network force pinned, and every
sentence glued, saying what the verdicts imply."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from conftest import needs_data

from connectivity import prose, scorecard
from connectivity.bypass import BypassResult
from connectivity.pages.vrabel2024 import synthetic_untrained as page
from connectivity.paper_values.vrabel2024_modes import SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS
from connectivity.stats import MIN_ONE_SIDED_N

IMAGE = (3, 32, 32)  # CIFAR-10
NOTEBOOK = "vrabel2024/02_synthetic_untrained"


def _check_rounds(result: BypassResult, pairs: int, points: int, per_segment: int, rounds: int):
    """The bypass rounds of ``pairs`` pairs: at most ``rounds`` rounds after the straight
    paths, each round at most doubling a pair's segments, every loss finite."""
    assert 1 <= len(result.rounds) <= rounds + 1
    reached = result.rounds_to_threshold
    assert reached.shape == (pairs,) and ((reached >= -1) & (reached <= rounds)).all()
    for r, round_ in enumerate(result.rounds):
        assert round_.max_loss.shape == (pairs,) and round_.segments.shape == (pairs,)
        assert ((round_.segments >= 1) & (round_.segments <= 2**r)).all()
        for p in range(pairs):
            curves = round_.curves[p]
            assert curves.shape == (int(round_.segments[p]), points if r == 0 else per_segment)
            assert torch.isfinite(curves).all() and (curves >= 0).all()
            assert float(round_.max_loss[p]) == pytest.approx(float(curves.max()))
    assert (result.rounds[0].segments == 1).all()  # round 0: the straight paths


def _check_modes(synthesis, n: int):
    """``n`` inputs of the image's shape; ``reached`` is their loss below the threshold."""
    assert synthesis.x.shape == (n, *IMAGE) and torch.isfinite(synthesis.x).all()
    assert synthesis.loss.shape == (n,) and (synthesis.loss >= 0).all()
    assert torch.equal(synthesis.reached, synthesis.loss < synthesis.threshold)


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_synthetic_untrained_page_at_toy_size(tmp_model_cache, tmp_build, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", NOTEBOOK)
    s = page.SyntheticUntrainedSettings.resolve("smoke")
    study = page.run(s)

    syn = study.synthetic  # §4.3: natural/high-frequency pairs, every class in turn
    assert syn.classes == s.synthetic_classes * s.synthetic_pairs_per_class
    k = len(syn.classes)
    assert len(syn.class_names) == 10
    assert syn.model_name.startswith("CIFAR-10 ResNet (smoke profile")
    for synthesis, cfg in ((syn.natural, s.natural), (syn.high_frequency, s.high_frequency)):
        _check_modes(synthesis, k)
        assert synthesis.threshold == cfg.threshold
        assert ((synthesis.iterations >= 0) & (synthesis.iterations <= cfg.iterations)).all()
    assert syn.natural.x.min() >= -1e-5 and syn.natural.x.max() <= 1 + 1e-5  # pixels kept
    assert syn.modes == bool(syn.natural.reached.all() and syn.high_frequency.reached.all())
    both = syn.natural.reached & syn.high_frequency.reached
    assert syn.pair_modes.tolist() == both.tolist()
    b = s.synthetic_bypass
    _check_rounds(syn.result, k, b.n_linear, b.per_segment, b.max_rounds)
    assert syn.threshold == b.threshold
    straight = syn.result.rounds[0]
    np.testing.assert_allclose(syn.straight.max_loss, straight.max_loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(syn.final.max_loss, syn.result.final.max_loss.numpy(), rtol=1e-6)
    ends = torch.stack([c[0, [0, -1]] for c in straight.curves])  # the straight paths join
    expected = torch.stack([syn.natural.loss, syn.high_frequency.loss], 1)  # the two modes
    torch.testing.assert_close(ends, expected, rtol=1e-2, atol=1e-3)

    unt = study.untrained  # §4.4: pairs of optimal inputs of an untrained network
    n = s.untrained_pairs
    assert unt.arch == f"CIFAR ResNet of width {s.untrained_width}"
    assert unt.target.tolist() == [p % 10 for p in range(n)]
    _check_modes(unt.inputs, 2 * n)
    assert unt.mode_threshold == s.untrained_synthesis.threshold == unt.inputs.threshold
    pair_modes = unt.pair_modes
    assert pair_modes.shape == (n,) and pair_modes.dtype == bool
    reached = unt.inputs.reached.view(2, n)
    assert pair_modes.tolist() == (reached[0] & reached[1]).tolist()
    b = s.untrained_bypass
    _check_rounds(unt.result, n, b.n_linear, b.per_segment, b.max_rounds)
    assert unt.threshold == b.threshold
    np.testing.assert_allclose(unt.straight.max_loss, unt.result.rounds[0].max_loss.numpy())

    table = page.untrained_table(unt)
    assert len(table) == n and table.index.name == "pair"
    assert table["segments"].tolist() == unt.result.final.segments.tolist()
    for fig in (
        page.plot_synthetic_modes(syn),
        page.plot_synthetic_paths(syn),
        page.plot_untrained_paths(unt),
    ):
        assert fig.axes
        plt.close(fig)
    for fig, study_ in (
        (page.plot_synthetic_paths(syn), syn),
        (page.plot_untrained_paths(unt), unt),
    ):
        # a pair left out of the test says so in its panel's title: not modes, or modes
        # connected at round 0 (no primary barrier)
        modes, barrier = study_.pair_modes, study_.primary_barrier
        assert barrier.tolist() == (study_.result.rounds_to_threshold != 0).tolist()
        titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
        assert [t.endswith("not modes, left out") for t in titles] == [not m for m in modes]
        tested = modes & barrier
        assert [t.endswith("left out") for t in titles] == [not t for t in tested]
        plt.close(fig)

    # the smoke network is near chance (a short training) and the untrained one outputs
    # near-uniform logits, and a few Adam iterations barely move either: every input's
    # cross-entropy, and so every straight barrier, stays near ln 10 = 2.30 (1.5-3.0)
    for loss in (syn.natural.loss, syn.high_frequency.loss, unt.inputs.loss):
        assert 1.5 < float(loss.min()) and float(loss.max()) < 3.0
    for heights in (syn.straight, unt.straight):
        assert 1.5 < heights.max_loss.min() and heights.max_loss.max() < 3.0
    # hence no input is below its mode threshold (at most 5e-4): no pair is a pair of modes
    assert not syn.pair_modes.any() and not unt.pair_modes.any()

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    out = page.report(study)
    recs = out.records
    assert (recs.synthetic.id, recs.untrained.id) == (SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS)
    assert recs.modes_reached.id == "vrabel2024.untrained.modes_reached"
    # fewer than 5 pairs are modes (there are 2 of each): never tested here
    assert k < MIN_ONE_SIDED_N and recs.synthetic.verdict == "failed"
    assert n < MIN_ONE_SIDED_N and recs.untrained.verdict == "failed"
    for rec, pairs in ((recs.synthetic, k), (recs.untrained, n)):
        assert rec.kind == "qualitative" and rec.reproduced is None
        assert rec.note.startswith(f"the optimal inputs are not modes: 0 of {pairs} pairs")
        assert rec.note.endswith(f"a one-sided test at 5 % needs {MIN_ONE_SIDED_N}")
    written = {r.id: r for r in scorecard.load([NOTEBOOK])}
    assert set(written) == {
        SYNTHETIC_ONE_ROUND,
        UNTRAINED_TWO_ROUNDS,
        "vrabel2024.untrained.modes_reached",
    }
    assert all(r.verdict in scorecard.VERDICTS for r in written.values())
    share = recs.modes_reached.reproduced
    assert recs.modes_reached.verdict == "no paper value"
    assert share == round(float(unt.inputs.reached.float().mean()), 4)
    assert share == 0  # every input's cross-entropy is above 1.5 (pinned above)

    assert glued == out.glued and set(glued) == {
        "modes_model",
        "modes_synthetic",
        "modes_untrained_arch",
        "modes_untrained",
        f"says.{SYNTHETIC_ONE_ROUND}",
        f"says.{UNTRAINED_TWO_ROUNDS}",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
    assert glued["modes_model"] == syn.model_name and glued["modes_untrained_arch"] == unt.arch
    assert glued["modes_synthetic"].startswith(f"0 of the {k} pairs (")
    assert glued["modes_untrained"].startswith(f"0 of the {n} pairs have both inputs")
    for name in ("modes_synthetic", "modes_untrained"):
        assert f"fewer than {MIN_ONE_SIDED_N} are modes, so the claim is failed." in glued[name]
    for claim in (SYNTHETIC_ONE_ROUND, UNTRAINED_TWO_ROUNDS):
        assert glued[f"says.{claim}"].startswith(
            "Failed, so the claim is not tested: the optimal inputs are not modes"
        )
