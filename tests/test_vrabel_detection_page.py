"""The Vrabel et al. detection page (§4.2.1, Table 1) runs at toy size (``smoke``
profile: the tiny VGG-16-BN of each data set after one epoch on 256 images, 40 attacked
test images, a few attack steps), and what its ``Study`` holds is what the page relies
on: every attack summarised, every detector scored on every attack (or empty where the
attack turned too few images), five folds that test every pair once, the
mode-connectivity detector's scores those of its ablation's "both", one claim test per
scored attack; the page's report: the records of every Table 1 cell, claim and
measurement, returned as written, the toy models' accuracies and attacks' success rates in
the bands a near-constant classifier puts them in, the sentences glued in the page's order
and worded by their records' verdicts; the tables' shapes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
from conftest import needs_data

from connectivity import detection, prose, scorecard
from connectivity.attacks import UNTARGETED
from connectivity.pages.vrabel2024 import detection as page
from connectivity.paper_values.vrabel2024_adversarial import (
    ATTACK_NAMES,
    DATASET_NAMES,
    DETECTOR_NAMES,
    DETECTORS,
    cell_id,
    claim_id,
)

IMAGE = (3, 32, 32)  # CIFAR
GLUED = (  # the page's sentences, in the order the page glues them
    "det_models",
    "det_success",
    "det_cw_setting",
    "det_pgd_steps",
    "det_split",
    "det_se",
    "det_within",
    "det_claims",
    "det_ablation",
    "det_ablatable",
    "det_why",
    "det_misses",
    "det_mahalanobis_rows",
)


@pytest.fixture(scope="module")
def study(private_cache):
    """The page's study at the ``smoke`` profile, its cached results (the smoke
    classifiers unless committed with the book, the attacks) in this module's folder."""
    return page.run(page.DetectionSettings.resolve("smoke"))


def _scored(run) -> list[str]:
    """The attacks of ``run`` that turned enough images to be scored."""
    return [a for a in UNTARGETED if run.attacks[a].successes >= detection.MIN_PAIRS]


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_detection_study_at_toy_size(study):
    s = study.settings
    assert s.profile == "smoke" and s.cross_validate
    assert list(study.runs) == s.datasets == ["cifar10", "cifar100"]
    for ds, run in study.runs.items():
        assert run.dataset == ds and 0 <= run.model_accuracy <= 1
        assert run.model_width == 0.0625 and run.model_epochs == 1

        # every attack on the same correctly classified images
        assert list(run.attacks) == list(UNTARGETED)
        attacked = {sm.attacked for sm in run.attacks.values()}
        assert len(attacked) == 1
        n = attacked.pop()
        assert detection.MIN_PAIRS <= n <= s.n_images
        for a, sm in run.attacks.items():
            assert sm.attack == a and 0 <= sm.successes <= n
            assert 0 <= sm.success_rate <= 1 and sm.seconds >= 0
            if sm.successes:
                assert sm.median_linf > 0 and sm.median_l2 > 0
        scored = _scored(run)

        # every detector on every attack; five folds test every pair exactly once
        assert list(run.scores) == list(DETECTORS)
        for by_attack in run.scores.values():
            assert list(by_attack) == list(UNTARGETED)
            for a, score in by_attack.items():
                if a not in scored:
                    assert score.n_test == 0 and np.isnan(score.auc)
                    continue
                assert score.n_test == 2 * run.attacks[a].successes
                assert 0 <= score.accuracy <= 100 and 0 <= score.auc <= 100
                assert score.auc_se >= 0 and score.classifier
                assert score.benchmark_split is not score  # fold 1 kept apart
                assert 0 < score.benchmark_split.n_test < score.n_test
                assert len(score.labels) == len(score.probabilities) == score.n_test

        # the detector is its ablation's "both"; each part has its own KNN per fold
        assert run.scores[detection.MODE_CONNECTIVITY] is run.ablation["both"]
        assert list(run.ablation) == list(detection.FEATURE_PARTS)
        assert list(run.knn) == (list(detection.FEATURE_PARTS) if scored else [])
        for specs in run.knn.values():
            assert len(specs) == detection.FOLDS
            assert all(sp.kind == "knn" and sp.k in s.knn_k for sp in specs)
        if scored:
            assert run.knn_grid.shape == (len(s.knn_k), len(s.knn_weights))

        # one claim test and one set of loss curves per scored attack
        assert list(run.claims) == scored and list(run.curves) == scored
        for a in scored:
            assert 0 <= run.claims[a].p_value <= 1 and 0 <= run.claims[a].p_opposite <= 1
            clean, adv = run.curves[a]
            shown = min(20, run.attacks[a].successes)
            assert clean.shape == adv.shape == (shown, s.path_points)
            assert np.isfinite(clean).all() and (clean > -1e-6).all()  # cross-entropies

        assert run.clean_images.shape == (4, *IMAGE)
        assert list(run.adversarial_images) == list(UNTARGETED)
        assert all(x.shape == (4, *IMAGE) for x in run.adversarial_images.values())
        assert list(run.feature_ms) == list(DETECTORS)
        assert all(ms >= 0 for ms in run.feature_ms.values())

    frame = study.scores_frame()
    assert len(frame) == len(s.datasets) * len(DETECTORS) * len(UNTARGETED)


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_detection_records_and_sentences_at_toy_size(study, tmp_build, monkeypatch):
    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    monkeypatch.setattr(scorecard, "SESSION", [])
    rep = page.report(study)
    recs = rep.records
    session = {r.id: r for r in scorecard.SESSION}

    # the report returns every record it wrote, the same objects
    returned = [
        *recs.cells,
        *recs.claims.values(),
        *recs.ablation.values(),
        *recs.success.values(),
        *recs.parts.values(),
        *recs.mahalanobis_other.values(),
    ]
    assert sorted(r.id for r in returned) == sorted(session)
    assert all(session[r.id] is r for r in returned)

    # every Table 1 number: compared with the paper, or failed with a reason
    n_cells = len(study.runs) * len(DETECTORS) * len(UNTARGETED) * 2
    ids = [
        cell_id(ds, a, d, metric)
        for ds in study.runs
        for d in DETECTORS
        for a in UNTARGETED
        for metric in ("accuracy", "auc")
    ]
    assert [c.id for c in recs.cells] == ids and len(ids) == n_cells
    for c in recs.cells:
        assert c.kind == "quantitative" and c.section == "Table 1, side by side"
        assert c.verdict in ("reproduced", "differs", "failed")
        if c.verdict == "failed":
            assert c.reproduced is None and c.note
        else:
            assert 0 <= c.reproduced <= 100 and c.tolerance > 0
    assert recs.compared + recs.failed == n_cells and 0 <= recs.within <= recs.compared
    assert recs.within == sum(c.verdict == "reproduced" for c in recs.cells)
    auc_se = [c.extra["auc_se"] for c in recs.cells if "auc_se" in c.extra]
    if auc_se:
        assert recs.max_auc_se == max(auc_se)
    else:
        assert np.isnan(recs.max_auc_se)

    # one claim per data set and attack: tested where the attack was scored
    assert list(recs.claims) == [(ds, a) for ds in study.runs for a in UNTARGETED]
    assert list(recs.success) == list(recs.claims)
    for (ds, a), rec in recs.claims.items():
        run = study.runs[ds]
        assert rec.id == claim_id(ds, a) and rec.kind == "qualitative"
        if a in run.claims:
            assert rec.verdict in ("reproduced", "differs", "not significant")
        else:
            assert rec.verdict == "failed" and rec.note == "too few adversarials"
        rate = recs.success[(ds, a)]  # measured also where the claim failed
        assert rate.id == f"vrabel2024.detection.{ds}.{a}.success_rate"
        assert rate.verdict == "no paper value" and rate.unit == "fraction"
        assert rate.reproduced == round(run.attacks[a].success_rate, 4)
        # the toy VGG predicts one class for (nearly) every image, so its argmax hardly
        # depends on the input and a few attack steps rarely move it (seen: 0-0.05)
        assert 0 <= rate.reproduced <= 0.25
    assert list(recs.parts) == [(ds, p) for ds in study.runs for p in ("curve", "logits")]
    for (ds, part), abl in recs.parts.items():
        assert abl.id == f"vrabel2024.detection.{ds}.ablation.{part}"
        # no number where DeepFool or C&W gave too few adversarials to score
        assert abl.unit == "%" if abl.verdict != "failed" else "too few" in abl.note
    for (ds, a), rec in recs.ablation.items():
        assert rec.id == f"vrabel2024.detection.{ds}.{a}.logits_ablatable"
        assert rec.verdict in ("reproduced", "differs", "not significant", "failed")
    for (ds, a), rec in recs.mahalanobis_other.items():
        assert a in _scored(study.runs[ds]) and 0 <= rec.reproduced <= 100
    for ds, run in study.runs.items():
        classes = {"cifar10": 10, "cifar100": 100}[ds]
        # one epoch on 256 images at width 1/16 leaves the VGG predicting one class for
        # (nearly) every image: its accuracy is about that class's share, 1/10 or 1/100
        # (seen: 0.095 and 0.010)
        assert 0.3 / classes < run.model_accuracy < 2.5 / classes

    # the sentences, in the page's order; each claim's just before det_claims, each
    # ablation claim's just before det_ablatable; returned as glued
    assert glued == rep.glued
    says = [f"{prose.SAYS_PREFIX}{rec.id}" for rec in recs.claims.values()]
    ablatable = [f"{prose.SAYS_PREFIX}{rec.id}" for rec in recs.ablation.values()]
    order = list(glued)
    assert [k for k in order if k.startswith("det_")] == list(GLUED)
    assert order[order.index("det_claims") - len(says) : order.index("det_claims")] == says
    at = order.index("det_ablatable")
    assert order[at - len(ablatable) : at] == ablatable
    assert set(order) == set(GLUED) | set(says) | set(ablatable)
    assert all(glued[k] for k in GLUED)
    # each claim worded by its verdict: failed ones say why they were not tested
    for (ds, a), rec in recs.claims.items():
        said = glued[f"{prose.SAYS_PREFIX}{rec.id}"]
        assert said.startswith(f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]}: ")
        if rec.verdict == "failed":
            assert said.endswith("failed, so not tested (too few adversarials).")
        else:
            assert "smallest margin" in said
    assert glued["det_ablatable"] == " ".join(glued[k] for k in ablatable)
    if np.isnan(recs.max_auc_se):
        assert glued["det_se"] == "No AUC could be computed in this build."
    else:
        assert glued["det_se"].startswith("The largest Hanley–McNeil standard error")
    s = study.settings
    assert glued["det_pgd_steps"] == s.attacks.pgd_steps
    assert glued["det_cw_setting"] == (
        f"{s.attacks.cw_binary_search_steps} binary-search steps of at most "
        f"{s.attacks.cw_steps} Adam steps each"
    )
    assert glued["det_within"].startswith(f"{recs.within} of the {recs.compared} ")
    assert glued["det_claims"] == " ".join(glued[k] for k in says)
    assert glued["det_why"].startswith("Where numbers differ")
    misses = [
        f"{DATASET_NAMES[ds]} {ATTACK_NAMES[a]} is a miss"
        for (ds, a), rec in recs.claims.items()
        if rec.paper and rec.verdict == "differs"
    ]
    assert all(m in glued["det_misses"] for m in misses)
    assert glued["det_misses"].count("is a miss") == len(misses)
    for ds in study.runs:
        assert (
            DATASET_NAMES[ds] in glued["det_models"] and DATASET_NAMES[ds] in glued["det_success"]
        )


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_detection_tables_and_figures_at_toy_size(study):
    n_ds = len(study.runs)
    attacks = page.attack_table(study)
    assert len(attacks) == n_ds * len(UNTARGETED)
    assert ((0 <= attacks["success (%)"]) & (attacks["success (%)"] <= 100)).all()

    for ds in study.runs:
        table = page.table1_table(study, ds).data  # a styled table: its frame
        assert table.shape == (len(DETECTORS), len(UNTARGETED))
        assert list(table.index) == [DETECTOR_NAMES[d] for d in DETECTORS]
        assert all("\n(" in cell for cell in table.to_numpy().ravel())  # the paper's below

    ablation = page.ablation_table(study).data
    assert ablation.shape == (n_ds * len(detection.FEATURE_PARTS), len(UNTARGETED) + 1)
    assert list(ablation.columns)[-1] == "KNN"
    cost = page.cost_table(study)
    assert cost.shape == (len(DETECTORS), n_ds) and (cost.to_numpy() >= 0).all()

    first = study.settings.datasets[0]
    examples = page.plot_examples(study, first)
    assert len(examples.axes) == 4 * (1 + len(UNTARGETED))  # clean + each attack, 4 rows
    for fig in (page.plot_loss_curves(study, first), page.plot_roc(study, first)):
        assert len(fig.axes) == 6  # five attacks and a legend (or an empty panel)
        plt.close(fig)
    plt.close(examples)
