"""The Vrabel et al. App. D.1 page runs at toy size (``smoke`` profile: a CIFAR ResNet of
width 4 trained for two epochs of 512 images, four batch and two epoch snapshots, one
pair per class, a few Adam iterations), and what its ``TrainingDynamicsStudy`` holds is what the
page relies on: every snapshot in order, primary loss curves that start and end at the
pairs' optimal inputs, modes exactly where both endpoints are below the threshold; and its
report: two records with valid verdicts (those the toy scale forces, pinned, with the
near-chance losses and accuracies behind them) and every sentence glued, saying what the
verdicts imply."""

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
        barriers = snap.barriers  # only the pairs that are modes
        assert len(barriers) == int(snap.modes.sum())
        np.testing.assert_allclose(barriers, snap.curves[snap.modes].max(1))
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
    for ax, kind in zip(fig.axes[:2], ("batch", "epoch")):  # a legend, or why there is none
        shown = any(snap.modes.any() for snap in study.of(kind))
        assert (ax.get_legend() is not None) == shown
        assert shown or [t.get_text() for t in ax.texts] == [
            f"no {kind} snapshot has a pair of modes"
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
    for rec, kind, need in ((recs.falls, "batch", 1), (recs.spread, "epoch", 2)):
        assert rec.verdict in scorecard.VERDICTS and rec.kind == "qualitative"
        usable = [snap for snap in study.of(kind) if snap.modes.sum() >= need]
        if len(usable) < 3:  # a trend needs three snapshots with pairs of modes
            assert rec.verdict == "failed" and f"only {len(usable)} of the" in rec.note
        else:
            assert -1 <= rec.reproduced <= 1  # Spearman ρ
    # no pair is a pair of modes, and there are only two epoch snapshots: both claims fail
    assert recs.falls.verdict == recs.spread.verdict == "failed"
    assert recs.falls.note.startswith(f"only 0 of the {len(s.batches)} batch snapshots")
    assert recs.spread.note.startswith(f"only 0 of the {len(s.epochs)} epoch snapshots")
    written = {r.id: r for r in scorecard.load([NOTEBOOK])}
    assert set(written) == {EVOLUTION_FALLS, EVOLUTION_SPREAD}

    assert glued == out.glued and set(glued) == {
        "dyn_setup",
        "dyn_batch",
        "dyn_epoch",
        f"says.{EVOLUTION_FALLS}",
        f"says.{EVOLUTION_SPREAD}",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
    assert f"a {study.arch} (" in glued["dyn_setup"]
    assert f"{s.model.epochs} epoch(s) of 512 CIFAR-10 training images" in glued["dyn_setup"]
    for kind, snaps in (("batch", study.of("batch")), ("epoch", study.of("epoch"))):
        # no snapshot has a pair of modes: every one is named as left out, no barrier quoted
        assert glued[f"dyn_{kind}"] == (
            f"At the {kind} snapshots 0 of {pairs * len(snaps)} pairs have both inputs below "
            f"cross-entropy {threshold:g}; none at {', '.join(x.label for x in snaps)}, left out."
        )
    for claim in (EVOLUTION_FALLS, EVOLUTION_SPREAD):
        assert glued[f"says.{claim}"].startswith("Failed, so the claim is not tested: only 0 of")


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
