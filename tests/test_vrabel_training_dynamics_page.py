"""The Vrabel et al. App. D.1 page runs at toy size (``smoke`` profile: a CIFAR ResNet of
width 4 trained for two epochs of 512 images, four batch and two epoch snapshots, one
pair per class, a few Adam iterations), and what its ``TrainingDynamicsStudy`` holds is what the
page relies on: every snapshot in order, primary loss curves that start and end at the
pairs' optimal inputs, every pair kept (best iterates) with the modes marked exactly where
both endpoints are below the threshold; and its report: two records with valid verdicts
(tested over every pair) and every sentence glued, saying what the verdicts imply and what
was measured behind them. A known-answer test on constructed snapshots checks the
selection: pairs that are not modes are kept, marked, and decide the tests."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import needs_data

from connectivity import prose, scorecard
from connectivity.pages.vrabel2024 import training_dynamics as page
from connectivity.pages.vrabel2024.training_dynamics.settings import CIFAR10_TRAIN_IMAGES
from connectivity.pages.vrabel2024.training_dynamics.study import noise_seed
from connectivity.paper_values.vrabel2024_modes import EVOLUTION_FALLS, EVOLUTION_SPREAD

NOTEBOOK = "vrabel2024/03_training_dynamics"


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(180)
def test_training_dynamics_page_at_toy_size(tmp_model_cache, tmp_build, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", NOTEBOOK)
    s = page.TrainingDynamicsSettings.resolve("smoke")
    study = page.run(s)
    assert study.settings is s and study.arch == s.model.arch and study.seconds > 0

    labels = [f"batch {b}" for b in sorted(s.batches)] + [f"epoch {e}" for e in sorted(s.epochs)]
    assert [snap.label for snap in study.snapshots] == labels
    assert [snap.step for snap in study.of("batch")] == sorted(s.batches)
    assert [snap.step for snap in study.of("epoch")] == sorted(s.epochs)
    pairs = s.classes * s.pairs_per_class
    threshold = s.synthesis.threshold
    for snap in study.snapshots:
        assert snap.curves.shape == (pairs, s.points) and np.isfinite(snap.curves).all()
        assert (snap.curves >= 0).all()
        assert snap.endpoint_loss.shape == (pairs, 2) and (snap.endpoint_loss >= 0).all()
        # the primary loss curve joins the pair's two optimal inputs
        np.testing.assert_allclose(
            snap.curves[:, [0, -1]], snap.endpoint_loss, rtol=1e-2, atol=1e-3
        )
        assert snap.modes.shape == (pairs,) and snap.modes.dtype == bool
        assert snap.modes.tolist() == (snap.endpoint_loss < threshold).all(1).tolist()
        barriers = snap.barriers  # every pair, modes or not (the official script's)
        np.testing.assert_allclose(barriers, snap.curves.max(1))
        np.testing.assert_allclose(snap.mode_barriers, snap.curves[snap.modes].max(1))
        np.testing.assert_allclose(
            snap.gaps, snap.curves.max(1) - snap.curves[:, [0, -1]].max(1), atol=1e-12
        )
        assert (snap.gaps >= 0).all()
        if snap.kind == "batch":
            assert snap.test_accuracy is None
        else:
            assert 0 <= snap.test_accuracy <= 1

    table = page.snapshot_table(study)
    assert table.index.tolist() == labels
    assert table["pairs that are modes"].tolist() == [
        f"{int(snap.modes.sum())}/{pairs}" for snap in study.snapshots
    ]
    fig = page.plot_barrier_evolution(study)
    assert len(fig.axes) == 4
    for ax, kind in zip(fig.axes[:2], ("batch", "epoch")):  # one curve per snapshot
        assert [t.get_text() for t in ax.get_legend().get_texts()] == [
            snap.label for snap in study.of(kind)
        ]
    plt.close(fig)

    # two epochs of 512 images leave a width-4 ResNet near chance on 10 classes (0.05-0.30)
    for snap in study.of("epoch"):
        assert 0.05 < snap.test_accuracy < 0.30
    # near chance, and 10 Adam iterations from noise, every input's cross-entropy and every
    # barrier stay near ln 10 = 2.30 (1.5-3.0), far above the mode threshold 0.005
    for snap in study.snapshots:
        assert 1.5 < snap.endpoint_loss.min() and snap.endpoint_loss.max() < 3.0
        assert 1.5 < snap.curves.max(1).min() and snap.curves.max(1).max() < 3.0
        assert not snap.modes.any()

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    out = page.report(study)
    recs = out.records
    assert (recs.falls.id, recs.spread.id) == (EVOLUTION_FALLS, EVOLUTION_SPREAD)
    for rec in (recs.falls, recs.spread):
        assert rec.verdict in scorecard.VERDICTS and rec.kind == "qualitative"
    # four batch snapshots of five pairs each: tested over all 20 pairs, none a mode
    assert recs.falls.verdict != "failed" and -1 <= recs.falls.reproduced <= 1
    assert "every pair kept at its best iterate, 0 of 20 reached" in recs.falls.note
    # two epoch snapshots: no trend to test
    assert recs.spread.verdict == "failed"
    assert recs.spread.note == "only 2 epoch snapshot(s) with two pairs each; a trend needs three"
    written = {r.id: r for r in scorecard.load([NOTEBOOK])}
    assert set(written) == {EVOLUTION_FALLS, EVOLUTION_SPREAD}

    assert glued == out.glued and set(glued) == {
        "dyn_setup",
        "dyn_batch",
        "dyn_epoch",
        "dyn_batch_why",
        "dyn_epoch_why",
        f"says.{EVOLUTION_FALLS}",
        f"says.{EVOLUTION_SPREAD}",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
    assert f"a {study.arch} (" in glued["dyn_setup"]
    assert f"{s.model.epochs} epoch(s) of 512 CIFAR-10 training images" in glued["dyn_setup"]
    for kind, snaps in (("batch", study.of("batch")), ("epoch", study.of("epoch"))):
        each = ", ".join(f"0/{pairs} after {x.label}" for x in snaps)
        assert glued[f"dyn_{kind}"].startswith(
            f"At the {kind} snapshots 0 of {pairs * len(snaps)} pairs have both inputs below "
            f"cross-entropy {threshold:g} ({each}); every pair is kept at its best iterate"
        )
        final = np.concatenate([x.endpoint_loss.ravel() for x in snaps])
        assert f"median cross-entropy of {np.median(final):.3g}" in glued[f"dyn_{kind}_why"]
    # no pair of modes: the modes-only test has nothing to test
    assert (
        "on the pairs of modes alone, it is not tested (fewer than three" in glued["dyn_batch_why"]
    )
    assert glued[f"says.{EVOLUTION_SPREAD}"].startswith("Failed, so the claim is not tested")


def _snapshot(kind, step, barriers, ends, modes, points=5):
    """A constructed snapshot: each pair's curve rises from its endpoints ``ends`` (P,)
    to its barrier ``barriers`` (P,) in the middle."""
    curves = np.array([[e, (e + b) / 2, b, (e + b) / 2, e] for b, e in zip(barriers, ends)])
    return page.Snapshot(
        kind,
        step,
        curves[:, :points],
        np.stack([ends, ends], 1),
        np.array(modes, bool),
        None if kind == "batch" else 0.5,
    )


@pytest.mark.timeout(30)
def test_every_pair_is_kept_and_marked(tmp_build, monkeypatch):
    """Known answer: pairs that are not modes are kept at every snapshot, counted as not
    modes, and decide the test. Only the non-mode pairs' constructed barrier gaps fall over
    the batches, so the test over every pair finds the fall (ρ and one-sided p as scipy's)
    and the modes-only one sees no trend."""
    from scipy.stats import spearmanr

    from connectivity.pages.vrabel2024.training_dynamics.report import (
        cause_sentence,
        pooled,
        records,
        smallest_p,
        trend_test,
    )

    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", NOTEBOOK)
    s = page.TrainingDynamicsSettings.resolve("smoke")
    ends = np.array([0.001, 0.002, 1.0, 1.5])  # two modes (below 5e-3), two not
    modes = [True, True, False, False]
    batch = [
        _snapshot("batch", b, ends + np.array([5.0, 5.0, 9 - 2 * b, 8 - 2 * b]), ends, modes)
        for b in range(4)
    ]
    epoch = [  # gaps spread out over the epochs: every deviation from the median is 0.1·e
        _snapshot("epoch", e, ends + 2 + np.array([-1, -1, 1, 1]) * e * 0.1, ends, modes)
        for e in (1, 2, 3)
    ]
    study = page.TrainingDynamicsStudy(s, "constructed", batch + epoch, 1.0)
    for snap in study.snapshots:  # kept, and marked
        assert len(snap.barriers) == 4 and snap.modes.tolist() == modes
        np.testing.assert_allclose(snap.mode_barriers, snap.barriers[:2])
    np.testing.assert_allclose(batch[2].gaps, [5.0, 5.0, 5.0, 4.0])

    steps, gaps, _ = pooled(batch)
    assert steps.tolist() == [0] * 4 + [1] * 4 + [2] * 4 + [3] * 4  # all 16 pairs
    result = trend_test(batch, "batch")
    ref = spearmanr(steps, -gaps, alternative="greater")
    assert result.effect == pytest.approx(ref.statistic)
    assert result.p_value == pytest.approx(ref.pvalue)
    assert result.effect > 0.6 and result.p_value < 0.01
    # the pairs of modes alone: constant gaps, no trend either way
    only = trend_test(batch, "batch", modes_only=True)
    assert only.effect == 0 and only.p_value == 1.0
    # three snapshots are needed: two batch snapshots give no test
    assert trend_test(batch[:2], "batch") is None
    # the smallest p this design can give: the values in perfect order with the steps
    assert smallest_p(steps) == pytest.approx(
        spearmanr(steps, np.arange(16), alternative="greater").pvalue
    )
    assert smallest_p([0, 1, 2]) == pytest.approx(1 / 6)  # three points: 1 of 3! orders

    recs = records(study)
    assert recs.falls.verdict == "reproduced"
    assert recs.falls.reproduced == pytest.approx(round(-result.effect, 3))
    assert "0 of 16" not in recs.falls.note and "8 of 16 reached" in recs.falls.note
    assert "cannot reach" not in recs.falls.note
    # the spread grows over the epochs in perfect order: ρ = +1 (the ties within an epoch
    # survive the floating-point sums only up to rounding, so ρ is within 0.05 of it)
    assert recs.spread.verdict == "reproduced"
    assert recs.spread.reproduced == pytest.approx(1.0, abs=0.05)
    assert "6 of 12 reached" in recs.spread.note
    why = cause_sentence(study, "batch", recs.falls)
    assert "on the pairs of modes alone, it shows no significant trend (ρ = +0.00" in why
    # one pair at each of three snapshots: p >= 1/6 at best, so no verdict is reachable
    three = [_snapshot("batch", b, [3.0 - b], [1.0], [False]) for b in range(3)]
    small = page.TrainingDynamicsStudy(s, "constructed", three + epoch, 1.0)
    rec = records(small).falls
    assert rec.verdict == "not significant"
    assert "this design cannot reach p < 0.05 (smallest possible p 0.17)" in rec.note
    assert "cannot reach p < 0.05 even with the values in perfect order" in cause_sentence(
        small, "batch", rec
    )


@pytest.mark.timeout(10)
def test_a_snapshots_noise_seed_is_its_own():
    """The synthesis seed depends on the snapshot alone (not on its place in the list),
    and no two snapshots of the paper's lists share one — nor of any lists the settings
    accept: a batch snapshot falls inside the first epoch (< 50,000 batches)."""
    seeds = [noise_seed("batch", b) for b in range(31)] + [
        noise_seed("epoch", e) for e in range(1, 31)
    ]
    assert len(set(seeds)) == len(seeds)
    assert noise_seed("batch", CIFAR10_TRAIN_IMAGES - 1) < noise_seed("epoch", 1)
