"""Gu & Borovykh chapter: decoders for any latent shape, tolerances and tests of Table 1,
the records' verdicts on known tables, the strips of Figs. 2-3."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from torch import nn

from connectivity import decoders, prose
from connectivity.neb import Connection
from connectivity.pages.gu2023 import table1
from connectivity.pages.gu2023.connect import LayerRun
from connectivity.pages.gu2023.decoders_and_paths import DecodersAndPathsSettings
from connectivity.pages.gu2023.decoders_and_paths.study import linear_strip, shown_indices
from connectivity.pages.gu2023.table1 import Table1Settings
from connectivity.pages.gu2023.table1.report import records, sentences
from connectivity.pages.gu2023.table1.study import Table1Study, neb_outcomes
from connectivity.settings import ParameterError

# ------------------------------------------------------------------ decoders


def test_table2_decoder_is_the_papers_for_resnet50_layer1():
    cfg = decoders.IntermediateDecoderConfig()  # width 256, 2 groups, 6 blocks
    dec = decoders.intermediate_decoder((256, 56, 56), (3, 64, 64), cfg)
    convt = [m for m in dec if isinstance(m, nn.ConvTranspose2d)]
    five = [m for m in convt if m.kernel_size == (5, 5)]
    assert len(five) == 2 and all(m.padding == (0, 0) for m in five)  # unpadded 5x5
    assert len(convt) == 2 * 3 + 6 and not any(isinstance(m, nn.Upsample) for m in dec)
    assert all(m.out_channels == 256 for m in convt)
    out = dec(torch.rand(2, 256, 56, 56))
    assert out.shape == (2, 3, 64, 64) and 0 <= out.min() and out.max() <= 1


@pytest.mark.parametrize(
    "latent,image",
    [
        ((256, 56, 56), (3, 32, 32)),
        ((16, 32, 32), (3, 32, 32)),
        ((256, 8, 8), (3, 32, 32)),
        ((5, 7, 9), (3, 32, 30)),
        ((64, 16, 16), (1, 28, 28)),
    ],
)
def test_intermediate_decoder_adapts_to_any_shape(latent, image):
    cfg = decoders.IntermediateDecoderConfig(width=4, blocks=1)
    dec = decoders.intermediate_decoder(latent, image, cfg)
    assert dec(torch.rand(2, *latent)).shape == (2, *image)
    for (kh, kw), (ph, pw) in decoders.size_changing_layers(*latent[1:], *image[1:]):
        assert kh in (4, 5) and kw in (4, 5) and 0 <= ph <= kh - 1 and 0 <= pw <= kw - 1


@pytest.mark.parametrize(
    "features,image",
    [(2048, (3, 32, 32)), (128, (3, 32, 32)), (100, (3, 64, 64)), (64, (3, 224, 224))],
)
def test_last_layer_decoder_adapts_to_any_shape(features, image):
    cfg = decoders.LastDecoderConfig(widths=[8, 4], blocks=1)
    dec = decoders.last_layer_decoder(features, image, cfg)
    assert dec(torch.rand(2, features)).shape == (2, *image)


def test_table3_decoder_is_the_papers():
    dec = decoders.last_layer_decoder(2048, (3, 32, 32), decoders.LastDecoderConfig())
    assert isinstance(dec[0], decoders.Reshape) and dec[0].shape == (128, 4, 4)
    convt = [m for m in dec if isinstance(m, nn.ConvTranspose2d)]
    assert [m.out_channels for m in convt] == [512] * 3 + [256] * 9
    assert sum(isinstance(m, nn.Upsample) for m in dec) == 3


def test_train_decoder_learns_and_follows_the_heads_device(tmp_model_cache):
    torch.manual_seed(0)
    head = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1)).eval()
    x = torch.rand(64, 3, 8, 8)
    cfg = decoders.IntermediateDecoderConfig(width=8, blocks=0, epochs=1)
    dec = decoders.intermediate_decoder((4, 8, 8), (3, 8, 8), cfg)
    with torch.no_grad():
        before = ((dec.eval()(head(x)) - x) ** 2).mean().item()
    out = decoders.train_decoder(head, dec, x, x[:16], epochs=8, batch_size=16, key={"t": 1})
    assert out.test_mse < before and len(out.train_mse) == 8 and out.image_size == (8, 8)
    assert out(head(x[:2])).device == next(head.parameters()).device
    again = decoders.train_decoder(
        head,
        decoders.intermediate_decoder((4, 8, 8), (3, 8, 8), cfg),
        x,
        x[:16],
        epochs=8,
        batch_size=16,
        key={"t": 1},
    )
    assert again.test_mse == out.test_mse  # from the cache
    other = decoders.train_decoder(  # other test images of the same count: not served
        head,
        decoders.intermediate_decoder((4, 8, 8), (3, 8, 8), cfg),
        x,
        x[16:32],
        epochs=8,
        batch_size=16,
        key={"t": 1},
    )
    assert other.test_mse != out.test_mse


# ------------------------------------------------------------------ tolerances and tests


def test_sign_test_on_discordant_pairs():
    more = np.array([1, 1, 1, 1, 1, 0, 1, 1], bool)
    fewer = np.array([0, 0, 0, 0, 0, 0, 1, 1], bool)
    res = table1.sign_test(more, fewer)
    assert res.p_value == pytest.approx(1 / 32) and res.verdict() == "reproduced"
    assert table1.sign_test(fewer, more).verdict() == "differs"
    assert table1.sign_test(more, more).verdict() == "not significant"


# ------------------------------------------------------------------ records on known tables


def _run(layer, seed, categories, target=0):
    n = len(categories)
    neb_idx = [i for i, c in enumerate(categories) if c != "linear"]
    conn = Connection(
        category=list(categories),
        iterations=torch.tensor([3 if c == "nonlinear" else -1 for c in categories]),
        linear_loss=torch.rand(n, 5),
        neb_index=torch.tensor(neb_idx, dtype=torch.long),
        bands=torch.rand(len(neb_idx), 4, 2),
        band_energies=torch.rand(len(neb_idx), 4),
        departure_linf=torch.full((len(neb_idx),), 0.01),
        departure_rel_l2=torch.full((len(neb_idx),), 0.02),
        check_points=7,
    )
    return LayerRun(
        layer, seed, torch.zeros(n, 2, dtype=torch.long), torch.full((n,), target), conn
    )


def _result(orig, inter, last, stage, seeds=(0, 1, 2)):
    settings = Table1Settings.resolve("ci", pair_seeds=list(seeds), depth_layers=["input"])

    def cats(counts):
        return ["linear"] * counts[0] + ["nonlinear"] * counts[1] + ["none"] * counts[2]

    runs = {
        space: [_run(space, s, cats(c)) for s in seeds]
        for space, c in (
            ("original", orig),
            ("intermediate", inter),
            ("last", last),
            ("last_stage", stage),
        )
    }
    shapes = {
        "original": (3, 32, 32),
        "intermediate": (16, 32, 32),
        "last": (128,),
        "last_stage": (128, 4, 4),
        "input": (3, 32, 32),
    }
    return Table1Study(
        settings,
        runs,
        [runs["original"][0]],
        shapes,
        [str(i) for i in range(10)],
        0.9,
        "cifar_resnet",
        neb_outcomes(settings, runs),
    )


@dataclasses.dataclass
class _Page:
    records: dict
    sentences: dict


def _report(study) -> _Page:
    recs = records(study)
    return _Page(recs, sentences(study, recs))


def test_report_returns_the_records_and_glues_every_sentence(tmp_build, monkeypatch):
    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    study = _result((19, 6, 0), (14, 11, 0), (25, 0, 0), (20, 5, 0))
    out = table1.report(study)
    recs = out.records
    assert recs["last"].id == "gu2023.table1.last.linear" and "neb.iterations" in recs
    names = {"table1_counts", "table1_last", "table1_claims", "table1_why", "table1_open"}
    assert glued == out.glued and names | {"neb_summary", "depth_trend"} == set(glued)
    # the paper's own counts give the paper's shares: each space's sentence says agreement
    assert glued["table1_counts"].count("agrees with the paper's share") == 2
    assert glued["table1_last"].startswith("In the last layer every pair of every draw")


def test_the_papers_table_is_reproduced_by_the_papers_counts(tmp_build):
    res = _result((19, 6, 0), (14, 11, 0), (25, 0, 0), (20, 5, 0))
    out = _report(res)
    for space in ("original", "intermediate"):
        # the paper's share, 3 draws pooled (57/75, 42/75) against its 25 pairs: agreement
        # within the paper's 20-point gap is shown; the three counts are not scored
        assert out.records[f"{space}.linear_share"].verdict == "reproduced"
        for kind in ("linear", "nonlinear", "none"):
            assert out.records[f"{space}.{kind}"].kind == "measurement"
    assert out.records["last"].verdict == "check" and out.records["last"].kind == "check"
    assert out.records["majority.original"].verdict == "reproduced"  # 57 of 75
    assert out.records["fewer.original"].verdict == "reproduced"  # 15 vs 0 discordant
    # cannot come out the other way (the last layer is linear by construction): not scored
    assert out.records["fewer.last"].kind == "measurement"
    assert "not scored" in out.sentences["table1_claims"]
    within = "agrees with the paper's share within ±20 percentage points"
    assert within in out.sentences["table1_counts"]
    # the paper's own 14 of 25 (x3 draws: 42 of 75) is no significant majority
    assert out.records["majority.intermediate"].verdict == "not significant"
    assert "would give p = 0.35" in out.sentences["table1_why"]
    assert "differ from the paper" not in out.sentences["table1_why"]


def test_a_different_table_differs_and_the_page_says_why(tmp_build):
    res = _result((5, 20, 0), (25, 0, 0), (25, 0, 0), (25, 0, 0))
    out = _report(res)
    assert out.records["original.linear_share"].verdict == "differs"  # 15/75 vs 19/25
    assert "differs from the paper's share" in out.sentences["table1_counts"]
    assert out.records["fewer.original"].verdict == "differs"  # the opposite direction
    assert out.records["majority.original"].verdict == "differs"
    assert "likely reason is the model" in out.sentences["table1_why"]
    assert "although nothing forces it" in out.sentences["table1_open"]


def test_a_share_from_one_draw_is_consistent_but_not_shown_to_agree(tmp_build):
    res = _result((17, 8, 0), (14, 11, 0), (25, 0, 0), (25, 0, 0), seeds=(0, 1))
    out = _report(res)  # 34/50 vs 19/25: the band is wider than the paper's own gap
    assert out.records["original.linear_share"].verdict == "not significant"
    assert "too few pairs to show agreement" in out.sentences["table1_counts"]


def test_the_last_layer_check_fails_when_a_last_layer_pair_is_not_linear(tmp_build):
    res = _result((19, 6, 0), (14, 11, 0), (24, 1, 0), (25, 0, 0))
    out = _report(res)
    assert out.records["last"].verdict == "failed"
    assert "bug" in out.sentences["table1_last"]


# ------------------------------------------------------------------ settings and strips


def test_settings_of_every_profile_and_checked_draws():
    for profile in ("paper", "ci", "smoke", "smoke-paper"):
        t, p = Table1Settings.resolve(profile), DecodersAndPathsSettings.resolve(profile)
        assert t.neb == p.neb and t.n_linear == p.n_linear and t.spaces == p.spaces
        assert p.pair_seed == t.pair_seeds[0]  # the second page reuses the first's runs
    paper = Table1Settings.resolve("paper")
    assert paper.n_pairs == 25 and paper.spaces.intermediate == "layer1"
    with pytest.raises(ParameterError, match="pair_seeds"):
        Table1Settings.resolve("ci", pair_seeds=[0])
    with pytest.raises(ParameterError):
        Table1Settings.resolve("ci", neb={"optimizer": "lbfgs"})


def test_shown_indices_keep_the_ends_and_the_worst_point():
    assert shown_indices(10, 4).tolist() == [0, 3, 6, 9]
    for worst in range(10):
        idx = shown_indices(10, 4, worst).tolist()
        assert idx[0] == 0 and idx[-1] == 9 and worst in idx and len(set(idx)) == 4


def test_linear_strip_shows_the_worst_point_of_the_dense_check():
    class Dip(nn.Module):  # class 1 only in a thin slab around x = 0.37
        def forward(self, z):
            logit = 8 * torch.exp(-((z[:, 0] - 0.37) ** 2) / 1e-4) - 4
            return torch.stack([torch.zeros_like(logit), logit], 1)

    strip = linear_strip(Dip(), torch.zeros(1, 2), torch.tensor([[1.0, 0.0]]), 0, n_linear=101, k=5)
    assert not strip.all_target and strip.worst is not None
    assert float(strip.t[strip.worst]) == pytest.approx(0.37)
    assert strip.probs[strip.worst].argmax() == 1 and strip.images.shape == (5, 2)
