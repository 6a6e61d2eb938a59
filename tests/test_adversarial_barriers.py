"""Vrabel et al. §4.2: the pair protocol and the barrier statistics against the official
code's logic (``sec4_2_adversarial_attacks.py``), and the detection chapter's paper values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from connectivity.pages.vrabel2024 import adversarial_barriers as page
from connectivity.paper_values import vrabel2024_adversarial as values


def test_pairs_follow_the_official_protocol():
    y = torch.arange(5).repeat_interleave(20)[torch.randperm(100)]
    pairs = page.draw_pairs(y, classes=5, pairs_per_class=7, seed=3)
    assert len(pairs.first) == 35
    assert bool((y[pairs.first] == pairs.label).all() and (y[pairs.second] == pairs.label).all())
    assert bool((y[pairs.source] != pairs.label).all())  # a random *other* class
    used = torch.cat([pairs.first, pairs.second])
    assert len(used.unique()) == 70  # "seven unique pairs per class"
    # the source is the image at the same position (2p) of its class as the official code
    first_positions = {int(i) for i in pairs.first}
    assert {int(i) for i in pairs.source} <= first_positions
    with pytest.raises(ValueError, match="needed"):
        page.draw_pairs(y, classes=5, pairs_per_class=11, seed=0)


def postprocess_barriers(df: pd.DataFrame, drop_top_n: int = 2) -> pd.DataFrame:
    """The official ``postprocess_barriers``, restated."""
    df = df.copy()
    df["_abs_diff"] = (df["Loss1"] - df["Loss2"]).abs()
    kept = []
    for _, group in df.groupby("Class"):
        kept.extend(group.nsmallest(max(len(group) - drop_top_n, 0), "_abs_diff").index.tolist())
    return df.loc[kept]


def test_dropping_matches_the_official_postprocessing():
    rng = np.random.default_rng(0)
    stats = pd.DataFrame(
        {
            "class": np.repeat(np.arange(4), 7),
            "loss1": rng.exponential(size=28),
            "loss2": rng.exponential(size=28),
        }
    )
    stats["end_difference"] = (stats["loss1"] - stats["loss2"]).abs()
    kept = page.drop_unbalanced(stats, 2)
    official = postprocess_barriers(
        stats.rename(columns={"class": "Class", "loss1": "Loss1", "loss2": "Loss2"})
    )
    assert set(np.flatnonzero(kept.to_numpy())) == set(official.index)
    assert kept.sum() == 20


def test_straight_path_statistics_match_a_loop_over_the_path():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3)).eval()
    a, c = torch.randn(5, 3, 2, 2), torch.randn(5, 3, 2, 2)
    label = torch.tensor([0, 1, 2, 0, 1])
    stats = page.straight_path_statistics(model, a, c, label, steps=250, batch_size=300)
    for i in range(5):  # the official _interpolation_max_loss and the gap of plot_statistics
        with torch.no_grad():
            losses = [
                nn.functional.cross_entropy(
                    model((1 - t) * a[i : i + 1] + t * c[i : i + 1]), label[i : i + 1]
                ).item()
                for t in torch.linspace(0, 1, 250)
            ]
        assert stats["max_loss"][i] == pytest.approx(max(losses), rel=1e-5)
        assert stats["start"][i] == pytest.approx(losses[0], rel=1e-5)
        assert stats["gap"][i] == pytest.approx(max(losses) - max(losses[0], losses[-1]), abs=1e-5)


def test_settings_keep_two_pairs_per_class():
    with pytest.raises(Exception, match="drop_per_class"):
        page.AdversarialBarriersSettings.resolve("ci", drop_per_class=20)


def test_table1_values_and_claims_come_from_the_paper():
    cells = [v for v in values.VALUES.values() if v.id.startswith("vrabel2024.detection.")]
    numbers = [v for v in cells if v.kind == "quantitative"]
    margins = [v for v in numbers if v.id.endswith(".margin")]
    assert len(numbers) - len(margins) == 2 * 5 * 6 * 2 and len(margins) == 2 * 5
    # accuracy is the first number of each pair, AUC the second (detect_adversarials.py)
    acc = values.VALUES[values.cell_id("cifar10", "fgsm", "layermfs", "accuracy")]
    auc = values.VALUES[values.cell_id("cifar10", "fgsm", "layermfs", "auc")]
    assert (acc.value, auc.value) == (99.6, 100.0)
    # the paper's own table breaks its claim on CIFAR-100 DeepFool (Mahalanobis 95.3 > 94.0)
    assert values.paper_beats_baselines("cifar10", "deepfool")
    assert not values.paper_beats_baselines("cifar100", "deepfool")
    assert values.paper_beats_baselines("cifar100", "cw")
    assert not any(
        values.paper_beats_baselines(ds, a)
        for ds in values.DATASETS
        for a in ("fgsm", "bim", "pgd")
    )


# ---------------------------------------------------------------- the page's statistics
# (issue 36): paired branch tests, Fisher's test of the secondary barriers with its
# power, and §4.2.1's "more defined barrier for DeepFool and C&W"

import importlib  # noqa: E402
from types import SimpleNamespace  # noqa: E402

from scipy.stats import binom, fisher_exact, wilcoxon  # noqa: E402

from connectivity import scorecard, stats  # noqa: E402
from connectivity.pages.vrabel2024.adversarial_barriers.study import (  # noqa: E402
    BypassRun,
    barrier_gap_table,
)

# the package's ``report`` is the page's function: the module by its full name
rep = importlib.import_module("connectivity.pages.vrabel2024.adversarial_barriers.report")


def _branch_stats(real, adv, kept_real, kept_adv):
    frames = {}
    for branch, column, kept in (
        ("real_real", real, kept_real),
        ("real_adversarial", adv, kept_adv),
    ):
        frames[branch] = pd.DataFrame(
            {"max_loss": column, "gap": np.asarray(column) / 2, "kept": kept}
        )
    return frames


@pytest.mark.timeout(60)
def test_branches_are_compared_pair_by_pair_over_pairs_kept_in_both():
    # pair 2 is dropped in the real-adversarial branch and pair 4 in the real-real one
    stats = _branch_stats(
        [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
        [1.5, 2.1, 9.0, 4.3, 0.0, 6.4, 7.6, 8.7],
        [True, True, True, True, False, True, True, True],
        [True, True, False, True, True, True, True, True],
    )
    study = SimpleNamespace(stats=stats)
    d = rep.paired_branch_differences(study, "max")
    np.testing.assert_allclose(d, [0.5, 0.1, 0.3, 0.4, 0.6, 0.7])
    np.testing.assert_allclose(rep.paired_branch_differences(study, "gap"), d / 2)
    # six positive paired differences: the exact one-sided signed-rank p is 1/2^6
    result = rep.wilcoxon_greater(d)
    assert result.p_value == pytest.approx(1 / 64)
    assert result.p_value == pytest.approx(wilcoxon(d, alternative="greater").pvalue)
    assert result.verdict() == "reproduced" and result.effect == pytest.approx(0.45)  # median
    # an unpaired Mann–Whitney on the same values sees no difference: the pairs carry it
    from scipy.stats import mannwhitneyu

    both = stats["real_real"]["kept"] & stats["real_adversarial"]["kept"]
    unpaired = mannwhitneyu(
        stats["real_adversarial"]["max_loss"][both],
        stats["real_real"]["max_loss"][both],
        alternative="greater",
    )
    assert unpaired.pvalue > 0.3


@pytest.mark.timeout(60)
def test_fisher_power_and_needed_count_have_their_closed_forms():
    # 4 vs 4: only 4/4 against 0/4 is significant (p = 1/70; 3/4 vs 0/4 and 4/4 vs 1/4
    # have p = 4/56), so the power is P(all four of a) × P(none of b)
    for pa, pb in ((0.9, 0.1), (0.5, 0.5), (0.7, 0.2)):
        assert stats.fisher_power(pa, 4, pb, 4) == pytest.approx(pa**4 * (1 - pb) ** 4)
    assert stats.fisher_needed(0, 4, 4) == 4
    assert stats.fisher_needed(1, 4, 4) is None
    # 12 vs 12, against scipy: the count needed is the first that scipy calls significant
    for failed_b in range(5):
        k = stats.fisher_needed(failed_b, 12, 12)
        p = fisher_exact([[k, 12 - k], [failed_b, 12 - failed_b]], alternative="greater")
        p_before = fisher_exact([[k - 1, 13 - k], [failed_b, 12 - failed_b]], alternative="greater")
        assert p.pvalue < 0.05 <= p_before.pvalue
    # the power sums the binomial chances of exactly those outcomes
    brute = sum(
        binom.pmf(ka, 12, 0.6) * binom.pmf(kb, 12, 0.1)
        for ka in range(13)
        for kb in range(13)
        if fisher_exact([[ka, 12 - ka], [kb, 12 - kb]], alternative="greater").pvalue < 0.05
    )
    assert stats.fisher_power(0.6, 12, 0.1, 12) == pytest.approx(brute)


@pytest.mark.timeout(60)
def test_secondary_barriers_are_tested_with_fishers_exact_test(tmp_build, monkeypatch):
    monkeypatch.setattr(scorecard, "SESSION", [])
    adv = np.array([2, 3, 1, -1, 2, 1, 2, 1, 1, 2, 1, 1])  # 6 of 12 need more than one round
    real = np.array([1, 1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1])  # 1 of 12
    by = BypassRun({"real_real": real, "real_adversarial": adv}, {}, {}, {}, 0.1, 3)
    rec = rep._secondary_record(SimpleNamespace(bypass=by), "toy")
    p = fisher_exact([[6, 6], [1, 11]], alternative="greater").pvalue
    p_opp = fisher_exact([[6, 6], [1, 11]], alternative="less").pvalue
    assert rec.p_value == pytest.approx(p) and rec.p_opposite == pytest.approx(p_opp)
    assert rec.verdict == ("reproduced" if p < 0.05 else "not significant")
    assert rec.reproduced == "6/12 vs 1/12"
    assert rec.extra["needed"] == stats.fisher_needed(1, 12, 12)
    power = stats.fisher_power(1 / 12 + 0.5, 12, 1 / 12, 12)
    assert rec.extra["power"] == pytest.approx(power, abs=1e-3)
    said = rep._secondary_sentence(rec)
    assert "6/12 vs 1/12" in said


@pytest.mark.timeout(60)
def test_advanced_attacks_are_compared_image_by_image(tmp_build, monkeypatch):
    monkeypatch.setattr(scorecard, "SESSION", [])
    gaps = pd.DataFrame(
        {
            "index": [0, 1, 2, 3, 4, 5],
            "fgsm": [0.1, 0.2, 0.0, 0.3, 0.1, 0.2],
            "bim": [0.2, 0.1, 0.3, 0.0, 0.2, 0.1],
            "pgd": [0.0, 0.3, 0.3, 0.3, 0.0, 0.3],
            "deepfool": [1.0, 1.2, 0.9, 1.1, 0.8, 1.3],
            "cw": [1.1, 0.9, 1.0, 1.2, 1.0, 1.1],
        }
    )
    study = SimpleNamespace(
        attack_gaps=gaps, attacked_images=7, settings=SimpleNamespace(barrier_attack_images=8)
    )
    d = rep.advanced_differences(study)
    expected = gaps[["deepfool", "cw"]].mean(axis=1) - gaps[["fgsm", "bim", "pgd"]].mean(axis=1)
    np.testing.assert_allclose(d, expected)
    rec = rep._advanced_record(study, "toy")
    assert rec.id == values.ADVANCED_BARRIER_ID and rec.verdict == "reproduced"
    assert rec.p_value == pytest.approx(1 / 64)  # six positive differences
    said = rep._advanced_sentence(study, rec)
    assert said.startswith("The five attacks ran on 7 correctly classified second images")
    assert "6 were turned by all five" in said and "as §4.2.1 says" in said
    # the opposite: simpler attacks with the higher barriers
    swap = {"fgsm": "cw", "cw": "fgsm", "bim": "deepfool", "deepfool": "bim"}
    flipped = gaps.rename(columns=swap)
    rec = rep._advanced_record(SimpleNamespace(attack_gaps=flipped), "toy")
    assert rec.verdict == "differs"
    # one image: no paired test
    rec = rep._advanced_record(SimpleNamespace(attack_gaps=gaps.iloc[:1]), "toy")
    assert rec.verdict == "failed"


@pytest.mark.timeout(60)
def test_barrier_gap_table_follows_the_prediction_to_its_reference():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.Tanh(), nn.Linear(8, 3)).eval()
    refs = torch.randn(4, 3, 2, 2)
    x = torch.randn(6, 3, 2, 2)
    with torch.no_grad():
        pred = model(x).argmax(1)
    ref_index = {0: 2, 1: 0}  # class 2 has no reference: NaN there
    table = barrier_gap_table(model, {"a": x}, refs, ref_index, steps=50)
    for i in range(6):
        p = int(pred[i])
        if p not in ref_index:
            assert np.isnan(table["a"][i])
            continue
        one = page.straight_path_statistics(
            model, x[i : i + 1], refs[ref_index[p]][None], pred[i : i + 1], 50
        )
        assert table["a"][i] == pytest.approx(one["gap"][0], abs=1e-6)
    assert table["a"].notna().sum() == sum(int(p) in ref_index for p in pred)
