"""The Vrabel et al. §4.1 page run at toy size (``smoke`` profile: the small CIFAR ResNet
after one tiny epoch, four pairs, a few bypass iterations and NEB steps), and what its
``BypassStudy`` holds is what the page relies on: pairs of one class each, classes taken
in turn; the barrier heights of the straight, first-round and final paths; the bypassed
pairs exactly those above the threshold; Fig. 3's one pattern; the three-lens table; and
its report: every record written with a valid verdict (those a near-chance network forces,
pinned) and every sentence glued, saying what the verdicts imply."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import needs_data

from connectivity import prose, scorecard
from connectivity.data import load_dataset
from connectivity.pages.vrabel2024 import bypass as page
from connectivity.paper_values.vrabel2024_modes import BYPASS_LOWERS, BYPASS_ONE_ROUND


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)  # toy size: seconds alone, minutes beside other jobs
def test_bypass_page_at_toy_size(private_cache, tmp_build, monkeypatch):
    s = page.BypassSettings.resolve("smoke")
    study = page.run(s)
    n, thr = s.n_pairs, s.bypass.threshold
    assert study.model_name.startswith("CIFAR-10 ResNet")
    assert study.source == "CIFAR-10 test set"

    test = load_dataset("cifar10", "test")  # every class is used: the images in order
    assert study.class_names == list(test.classes)
    pairs = study.pairs
    assert len(pairs.first) == len(pairs.second) == n
    assert pairs.label.tolist() == [k % s.classes for k in range(n)]  # classes in turn
    assert (test.y[pairs.first] == pairs.label).all()
    assert (test.y[pairs.second] == pairs.label).all()
    assert (pairs.first != pairs.second).all()
    assert pairs.loss.shape == (n, 2) and (pairs.loss >= 0).all()
    if pairs.all_modes:
        assert (pairs.loss <= s.mode_max_loss).all()
    assert study.a.shape == study.c.shape == (n, 3, 32, 32)
    assert torch.equal(study.a, test.x[pairs.first])
    assert torch.equal(study.c, test.x[pairs.second])

    res = study.result  # round 0 is the straight path; a bypassed path gains one vertex
    assert 1 <= len(res.rounds) <= s.bypass.max_rounds + 1
    straight = res.rounds[0].max_loss.numpy()
    np.testing.assert_allclose(study.straight.max_loss, straight, rtol=1e-6)
    np.testing.assert_allclose(study.final.max_loss, res.rounds[-1].max_loss.numpy(), rtol=1e-6)
    assert (study.after_one is None) == (len(res.rounds) == 1)
    for heights in (study.straight, study.final):
        assert len(heights) == n
        assert (heights.max_loss >= np.maximum(heights.start, heights.end)).all()
        assert ((0 <= heights.position) & (heights.position <= 1)).all()
    assert study.bypassed.tolist() == np.flatnonzero(straight > thr).tolist()
    if len(res.rounds) > 1:
        assert (res.rounds[1].segments.numpy()[study.bypassed] == 2).all()
    rounds = res.rounds_to_threshold.numpy()
    assert rounds.shape == (n,) and ((rounds >= -1) & (rounds <= s.bypass.max_rounds)).all()
    assert ((rounds == 0) == (straight <= thr)).all()
    shown = study.shown()
    assert set(shown) <= set(range(n)) and len(shown) == min(4, len(study.bypassed) or n)

    if len(study.bypassed):  # Fig. 3: the two paths differ by one pattern, B' - B, scaled
        fig = page.fig3_pattern(study, int(study.bypassed[0]))
        assert fig["straight"].shape == fig["bent"].shape == (7, 3, 32, 32)
        p = fig["pair"]
        torch.testing.assert_close(fig["bent"][0], study.a[p], check_dtype=False)
        torch.testing.assert_close(fig["straight"][-1], study.c[p], check_dtype=False)
        assert fig["min_cos"] > 1 - 1e-4
        assert fig["deviation"] > 0 and fig["ab"] > 0

    lens = study.lenses  # the first lens_pairs pairs: straight line, NEB, bypass
    assert list(lens.table.index) == list(range(s.lens_pairs))
    assert 0 <= lens.neb_success <= lens.neb_ran <= s.lens_pairs
    assert set(lens.table["NEB"]) <= {"linear", "nonlinear", "none"}
    straight_all = res.rounds[0].all_target[: s.lens_pairs].tolist()
    assert lens.table["straight: all class"].tolist() == straight_all
    assert (lens.table["bypass: length / straight"] >= 1 - 1e-4).all()  # never shorter

    table = page.pairs_table(study)
    assert table.shape == (n, 7) and table.index.name == "pair"
    assert page.lens_table(study).shape == (s.lens_pairs, 7)

    # one tiny epoch leaves the network near chance (test accuracy ~0.1 on 10 classes): its
    # cross-entropy on any image is near ln 10 = 2.30, so the endpoints and the straight
    # barriers lie in 1.5-3.0 (a trained network's lowest-loss images would be far below 1)
    assert 1.5 < float(pairs.loss.min()) and float(pairs.loss.max()) < 3.0
    assert 1.5 < study.straight.max_loss.min() and study.straight.max_loss.max() < 3.0
    # hence no image is below the smoke profile's mode threshold: the pairs are not modes
    assert s.mode_max_loss < 1.5 and not pairs.all_modes and pairs.candidates == 0

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    monkeypatch.setattr(scorecard, "SESSION", [])
    out = page.report(study)
    recs = out.records
    within = "vrabel2024.bypass.connected_within_rounds"
    assert [r.id for r in scorecard.SESSION] == [
        BYPASS_LOWERS,
        BYPASS_ONE_ROUND,
        "vrabel2024.bypass.orthogonality",
        "vrabel2024.bypass.fig3_pattern",
        within,
    ]
    assert scorecard.SESSION == [
        recs.lowers,
        recs.one_round,
        recs.orthogonality,
        recs.pattern,
        recs.within,
    ]
    assert all(r.verdict in scorecard.VERDICTS for r in scorecard.SESSION)
    # endpoints that are not modes fail both path claims, with the reason in the note
    assert recs.lowers.verdict == "failed" and recs.lowers.reproduced is None
    assert recs.one_round.verdict == "failed" and recs.one_round.kind == "qualitative"
    for rec in (recs.lowers, recs.one_round):
        assert rec.note.startswith("the pairs are not all modes: only 0 images")
    # the iterate is projected onto its hyperplane after every step (the default), so
    # |cos(B' - B, C - A)| is float32 round-off (~1e-8), far below a drifting Adam's ~1e-2
    assert recs.orthogonality.verdict == "check" and 0 <= recs.orthogonality.reproduced < 1e-5
    assert recs.pattern.verdict == ("check" if len(study.bypassed) else "failed")
    if len(study.bypassed):  # two piecewise-linear paths through A and C: one pattern
        assert recs.pattern.reproduced > 1 - 1e-4
    assert recs.within.reproduced == pytest.approx(float((rounds >= 0).mean()), abs=1e-4)
    # every endpoint's loss is above the threshold 0.1, so no path can get below it
    assert float(pairs.loss.min()) > thr and recs.within.reproduced == 0

    assert glued == out.glued and set(glued) == {
        "bypass_model",
        "bypass_modes",
        "bypass_straight",
        f"says.{BYPASS_LOWERS}",
        f"says.{BYPASS_ONE_ROUND}",
        "bypass_rounds",
        "bypass_fig3",
        "says.vrabel2024.bypass.orthogonality",
        "bypass_lenses",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
    assert glued["bypass_model"] == study.model_name
    assert "are **not modes**" in glued["bypass_modes"]
    assert glued["bypass_modes"].endswith("the claims below are marked failed.")
    assert glued["bypass_straight"].startswith(f"{len(study.bypassed)} of the {n} straight")
    for claim in (BYPASS_LOWERS, BYPASS_ONE_ROUND):
        assert glued[f"says.{claim}"].startswith("Failed, so the claim is not tested: the pairs")
    assert glued["says.vrabel2024.bypass.orthogonality"].startswith(
        "The optimised points stay in their hyperplanes"
    )
    assert glued["bypass_rounds"].startswith(f"Within {s.bypass.max_rounds} rounds 0 of the {n}")
