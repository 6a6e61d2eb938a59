"""The two Gu & Borovykh pages run at toy size (``smoke`` profile: the small CIFAR
ResNet after one epoch on 256 images, a few pairs and NEB iterations), and what each
``Study`` holds is what the page relies on: every cell of Table 1, counts that add up
to the pairs drawn, the same pairs in every space, the last layer linear by
construction; decoded images of the image's size, strips along each path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import needs_data

from connectivity import prose
from connectivity.data import load_dataset
from connectivity.pages.gu2023 import decoders_and_paths, table1
from connectivity.pages.gu2023.table1.study import KINDS

IMAGE = (3, 32, 32)  # CIFAR-10


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_table1_page_at_toy_size(private_cache, tmp_build, monkeypatch):
    s = table1.Table1Settings.resolve("smoke")
    study = table1.run(s)
    spaces = s.spaces.as_dict()
    draws, n = len(s.pair_seeds), s.n_pairs
    assert list(study.runs) == list(spaces)  # original, intermediate, last, last_stage
    for space, runs in study.runs.items():
        assert [(r.layer, r.pair_seed) for r in runs] == [(spaces[space], p) for p in s.pair_seeds]
        counts = study.counts(space)
        assert counts.shape == (draws, 3) and (counts >= 0).all()
        assert (counts.sum(1) == n).all()  # every pair is linear, nonlinear or none
        linear = study.linear(space)
        assert linear.shape == (draws * n,) and linear.sum() == counts[:, 0].sum()
        assert 0 <= linear.mean() <= 1
    labels = load_dataset("cifar10", "test").y
    for j in range(draws):  # the same pairs, of one class each, in every space
        first = study.runs["original"][j]
        assert (labels[first.pairs] == first.target[:, None]).all()
        for runs in study.runs.values():
            assert torch.equal(runs[j].pairs, first.pairs)
            assert torch.equal(runs[j].target, first.target)
    assert (study.counts("last")[:, 0] == n).all()  # an affine tail: convex class regions

    depth = study.depth_counts()
    assert [r.layer for r in study.depth] == s.depth_layers
    assert all(r.pair_seed == s.pair_seeds[0] for r in study.depth)
    assert depth.shape == (len(s.depth_layers), 3) and (depth.sum(1) == n).all()
    shares = depth / n
    assert ((0 <= shares) & (shares <= 1)).all()
    assert study.shapes["original"] == IMAGE and len(study.shapes["last"]) == 1
    assert set(study.shapes) == set(spaces) | set(s.depth_layers)

    neb = study.neb  # one row per pair NEB ran on: every pair whose straight path failed
    failed = sum(int(study.counts(sp)[:, 1:].sum()) for sp in spaces)
    assert (neb.outcome != "linear").sum() == failed and set(neb.outcome) <= set(KINDS)
    done = neb[neb.outcome == "nonlinear"]
    assert ((done.iterations >= 1) & (done.iterations <= s.neb.steps)).all()
    assert (neb[neb.outcome == "none"].iterations == -1).all()
    assert (neb["relative L2 departure"] >= 0).all() and (neb["L∞ departure"] >= 0).all()

    table = table1.count_table(study)  # Table 1: 3 outcomes x (paper, ours) per space
    assert table.shape == (3, 2 * len(spaces)) and not table.isna().any().any()
    assert len(table1.depth_table(study)) == len(s.depth_layers)

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    records = table1.report(study).records
    assert records["last"].verdict == "check"
    assert all(r.id.startswith("gu2023.") for r in records.values())
    for space in ("original", "intermediate"):
        per_draw = [records[f"{space}.{k}"].extra["per_draw"] for k in KINDS]
        assert np.array(per_draw).sum(0).tolist() == [n] * draws
    assert "The NEB-only and 'neither' counts are shown, not scored" in glued["table1_counts"]
    assert glued["table1_last"].startswith("In the last layer every pair of every draw")


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(60)
def test_decoders_and_paths_page_at_toy_size(private_cache, tmp_build):
    s = decoders_and_paths.DecodersAndPathsSettings.resolve("smoke")
    study = decoders_and_paths.run(s)
    assert list(study.runs) == ["original", "intermediate", "last"]
    for run in study.runs.values():
        assert run.pair_seed == s.pair_seed and len(run.connection.category) == s.n_pairs
        assert torch.equal(run.pairs, study.runs["original"].pairs)

    assert study.examples.shape == (s.n_examples, *IMAGE)
    for space in ("intermediate", "last"):
        decoded = study.decoded[space]
        assert decoded.shape == study.examples.shape
        assert 0 <= decoded.min() and decoded.max() <= 1  # a sigmoid output
        assert 0 < study.decoders[space].test_mse < 1

    strips = [strip for pair in study.fig2 for strip in pair] + study.fig3
    for strip in strips:
        t = strip.t
        assert len(t) == s.strip_points and t[0] == 0 and t[-1] == 1 and (t.diff() > 0).all()
        assert strip.probs.shape == (s.strip_points, len(study.classes))
        torch.testing.assert_close(strip.probs.sum(1), torch.ones(s.strip_points))
        assert strip.images.shape[1:] == IMAGE  # pixels, or decoded from a latent space
    nonlinear = study.nonlinear_pairs("original")
    assert len(study.fig2) == min(2, len(nonlinear))
    for straight, band in study.fig2:  # NEB found a band of the class for these pairs
        assert straight.worst is not None and band.all_target
    if study.fig3_pair is None:
        assert study.fig3 == [] and not study.nonlinear_pairs("intermediate")
        assert study.fig3_difference is None
    else:
        assert study.fig3_pair in study.nonlinear_pairs("intermediate")
        last, straight, band = study.fig3
        assert last.all_target  # linear in the last layer, as every pair is
        assert band.all_target and study.fig3_matched.shape == band.images.shape
        assert study.fig3_difference >= 0
