"""The Vrabel et al. §4.2 page run at toy size (``smoke`` profile: the small CIFAR ResNet
after one tiny epoch, three pairs per class, a short targeted attack and a few bypass
iterations), and what its ``AdversarialBarriersStudy`` holds is what the page relies on: one row per
pair and branch in class order, the same real first image in both branches, the pairs
kept per class, barrier statistics in range, the bypass rounds of Fig. 5, the table of
Fig. 6's statistics; the page's report: every record written with a valid verdict and
returned, the barrier statistics in the bands a near-chance network puts them in, every
sentence glued and worded by its record's verdict."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import needs_data

from connectivity import prose, scorecard
from connectivity.data import load_dataset
from connectivity.pages.vrabel2024 import adversarial_barriers as page
from connectivity.paper_values.vrabel2024_adversarial import BARRIER_STATS

TESTED = ("reproduced", "differs", "not significant")  # a test's verdicts
STATS = ("class", "start", "end", "max_loss", "gap", "end_difference", "position", "kept")


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)  # toy size: seconds alone, minutes beside other jobs
def test_adversarial_barriers_page_at_toy_size(private_cache, tmp_build, monkeypatch):
    s = page.AdversarialBarriersSettings.resolve("smoke")
    study = page.run(s)
    assert study.model_name.startswith("CIFAR-10 ResNet")
    assert study.source == "CIFAR-10 test set"
    assert study.class_names == list(load_dataset("cifar10", "test").classes)

    n = s.classes * s.pairs_per_class
    kept_per_class = s.pairs_per_class - s.drop_per_class
    assert list(study.stats) == list(page.BRANCHES)
    for branch in page.BRANCHES:
        frame = study.stats[branch]
        assert list(frame.columns) == list(STATS) and len(frame) == n
        assert (
            frame["class"].tolist() == np.repeat(np.arange(s.classes), s.pairs_per_class).tolist()
        )
        assert (frame["gap"] >= 0).all() and (frame["end_difference"] >= 0).all()
        assert (frame["max_loss"] >= frame[["start", "end"]].max(axis=1)).all()
        assert ((0 <= frame["position"]) & (frame["position"] <= 1)).all()
        assert (frame.groupby("class")["kept"].sum() == kept_per_class).all()
        kept = study.kept(branch)
        assert len(kept) == s.classes * kept_per_class and kept["kept"].all()
    # both branches start at the same real image A
    np.testing.assert_allclose(
        study.stats["real_real"]["start"], study.stats["real_adversarial"]["start"], rtol=1e-4
    )

    for share in (study.attack_success, study.attack_stopped):
        assert 0 <= share <= 1
    assert 0 <= study.attack_iterations <= s.attack.iterations
    assert set(study.example) == set(study.example_labels) == {"A", "K", "K'"}
    assert all(x.shape == (3, 32, 32) for x in study.example.values())
    assert study.example_labels["A"] == f"A: {study.class_names[0]}"  # the first pair: class 0

    by = study.bypass  # the first bypass_pairs kept pairs of each branch, in one batch
    assert (by.threshold, by.max_rounds) == (s.bypass.threshold, s.bypass.max_rounds)
    for branch in page.BRANCHES:
        rounds = by.rounds_to_threshold[branch]
        assert rounds.shape == (s.bypass_pairs,)
        assert ((rounds >= -1) & (rounds <= s.bypass.max_rounds)).all()
        assert (by.needs_more_than_one(branch) == ((rounds > 1) | (rounds < 0))).all()
        assert 1 <= len(by.curves[branch]) == len(by.lengths[branch]) <= s.bypass.max_rounds + 1
        assert len(by.curves[branch][0]) == 1  # round 0: the straight path
        for r, (curves, lengths) in enumerate(zip(by.curves[branch], by.lengths[branch])):
            points = s.bypass.n_linear if r == 0 else s.bypass.per_segment
            assert curves.shape == (len(lengths), points)  # (segments, points) of round r
    assert by.shown["real_real"] == 0 and 0 <= by.shown["real_adversarial"] < s.bypass_pairs
    secondary = np.flatnonzero(by.needs_more_than_one("real_adversarial"))
    if len(secondary):  # Fig. 5 shows the first pair with a secondary barrier
        assert by.shown["real_adversarial"] == secondary[0]

    table = page.summary_table(study)  # pairs kept and Fig. 6's four statistics per branch
    assert table.shape == (1 + len(BARRIER_STATS["real_real"]), 2 * len(page.BRANCHES))
    this_book = [c for c in table.columns if c[1] == "this book"]
    assert [table.loc["pairs kept", c] for c in this_book] == [s.classes * kept_per_class] * 2

    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    monkeypatch.setattr(scorecard, "SESSION", [])
    rep = page.report(study)
    recs = rep.records
    written = {r.id: r for r in scorecard.SESSION}
    stat_ids = {f"vrabel2024.barriers.{b}.{key}" for b in page.BRANCHES for key in BARRIER_STATS[b]}
    higher = {f"vrabel2024.barriers.adversarial_higher_{q}" for q in ("max", "gap")}
    assert set(written) == stat_ids | higher | {
        "vrabel2024.barriers.secondary_barriers",
        "vrabel2024.barriers.attack_stopped",
        "vrabel2024.barriers.advanced_attacks_more_defined",
    }
    assert all(r.verdict in scorecard.VERDICTS for r in written.values())
    # the report returns every record it wrote, the same objects
    returned = [
        *recs.stats.values(),
        *recs.higher.values(),
        recs.secondary,
        recs.attack_stopped,
        recs.advanced,
    ]
    assert sorted(r.id for r in returned) == sorted(written)
    assert all(written[r.id] is r for r in returned)
    assert not page.comparable_scale(s)  # another network's cross-entropies: shown beside
    assert {f"vrabel2024.barriers.{k}" for k in recs.stats} == stat_ids
    assert all(r.id == f"vrabel2024.barriers.{k}" for k, r in recs.stats.items())
    assert all(r.verdict == "not comparable" for r in recs.stats.values())
    assert all(recs.higher[q].verdict in TESTED for q in ("max", "gap"))
    assert recs.secondary.verdict in TESTED  # bypass_pairs >= 2 per branch
    assert recs.attack_stopped.verdict == "no paper value"
    assert recs.attack_stopped.reproduced == round(study.attack_stopped, 4)
    for branch in page.BRANCHES:
        height = recs.stats[f"{branch}.max_mean"].reproduced
        gap = recs.stats[f"{branch}.gap_mean"].reproduced
        # one tiny epoch leaves the ResNet near chance (test accuracy about 7 %): its softmax is
        # near uniform on 10 classes, so the loss on a path is near ln 10 = 2.30 (seen: 2.30-2.31)
        assert 1.9 < height < 2.8
        # so nearly flat paths: the barrier's top exceeds the higher endpoint by little (seen:
        # 0.002-0.004); the gap to the *lower* endpoint would be about 0.1
        assert 0 <= gap < 0.05
    # the paired tests' effect: the median real–adversarial minus real–real difference over
    # the pairs kept in both branches; near-flat paths on a near-uniform network make it
    # small beside the ~2.3 losses (the gaps themselves are below 0.05)
    assert all(abs(recs.higher[q].reproduced) < 0.5 for q in ("max", "gap"))
    both = int((study.stats["real_real"]["kept"] & study.stats["real_adversarial"]["kept"]).sum())
    assert all(recs.higher[q].n == f"{both} pairs" for q in ("max", "gap"))
    # Fisher's exact test of the secondary barriers, with the count needed and the power
    assert recs.secondary.test == "one-sided Fisher's exact test"
    assert 0 <= recs.secondary.extra["power"] <= 1
    # §4.2.1's attacks: every row an image that all five turned, gaps >= 0 on every path
    gaps = study.attack_gaps
    assert list(gaps.columns) == ["index", "fgsm", "bim", "pgd", "deepfool", "cw"]
    assert len(gaps) <= study.attacked_images <= s.barrier_attack_images
    assert (gaps[["fgsm", "bim", "pgd", "deepfool", "cw"]] >= 0).all().all()
    if len(gaps) >= 2:
        assert recs.advanced.verdict in TESTED
        assert recs.advanced.n == f"{len(gaps)} pairs"
    else:  # a near-chance network classifies few images correctly
        assert recs.advanced.verdict == "failed"

    # every value the page glues, returned as glued; the notebook reads every adv_* name
    assert glued == rep.glued
    assert set(glued) == {f"says.{i}" for i in higher} | {
        "adv_model",
        "adv_attack",
        "adv_pairs",
        "adv_compare",
        "adv_scale",
        "adv_fig5",
        "adv_secondary",
        "adv_advanced",
    }
    assert all(isinstance(text, str) and text for text in glued.values())
    assert glued["adv_model"] == study.model_name
    assert glued["adv_pairs"] == (
        f"{s.classes} classes × {s.pairs_per_class} pairs per branch, {s.drop_per_class} "
        f"dropped per class: {s.classes * kept_per_class} real–real and "
        f"{s.classes * kept_per_class} real–adversarial pairs are kept."
    )
    # the sentence of each test is the one for its verdict, and adv_compare quotes both
    opening = {
        "reproduced": "Real–adversarial barrier",
        "differs": "Real–adversarial barrier",
        "not significant": "The difference in barrier",
    }
    for q, what in (("max", "heights"), ("gap", "gaps")):
        said = glued[f"says.vrabel2024.barriers.adversarial_higher_{q}"]
        assert said.startswith(opening[recs.higher[q].verdict]) and what in said
        assert said in glued["adv_compare"]
    assert glued["adv_scale"].startswith("They are shown beside the paper's")  # not comparable
    secondary = {
        "reproduced": "as the paper describes",
        "differs": "unlike the paper",
        "not significant": "cannot be told",
    }
    assert secondary[recs.secondary.verdict] in glued["adv_secondary"]
    assert recs.secondary.reproduced in glued["adv_secondary"]
