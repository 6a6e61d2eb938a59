"""Lancione's Fig. 1 as the report drew it: the quantile grid against scipy, the region
counter on constructed label grids with known splits, the verdict of the count, the
figure's outlines, the committed VAE (sha256 checked, a damaged file refused) and the
digit judge that both pages share."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from conftest import needs_data
from scipy.stats import norm

from connectivity import checkpoints, model_store
from connectivity.latent.decoded_grid import decode_grid, grid_regions, quantile_grid
from connectivity.latent.vae import VAEConfig
from connectivity.latent.vae_store import load_committed, store_key
from connectivity.pages.lancione import future_work, question
from connectivity.pages.lancione.question.figures import _edges
from connectivity.pages.lancione.question.report import decoded_count
from connectivity.pages.lancione.question.study import DecodedGrid
from connectivity.settings import PROFILES

# ------------------------------------------------------------------ the quantile grid


@pytest.mark.timeout(30)
@pytest.mark.parametrize("n", [1, 2, 5, 20, 101])
def test_quantile_grid_is_the_inverse_gaussian_cdf_of_centred_quantiles(n):
    q = quantile_grid(n)
    np.testing.assert_allclose(q, norm.ppf((np.arange(n) + 0.5) / n), rtol=0, atol=1e-12)
    np.testing.assert_allclose(q, -q[::-1], atol=1e-12)  # symmetric about 0
    assert np.all(np.diff(q) > 0)


@pytest.mark.timeout(30)
def test_quantile_grid_of_twenty_spans_the_reports_range():
    q = quantile_grid(20)
    assert q[0] == pytest.approx(norm.ppf(0.025)) == pytest.approx(-1.959964, abs=1e-6)
    assert q[10] == pytest.approx(norm.ppf(0.525))


@pytest.mark.timeout(30)
def test_decode_grid_puts_z1_along_rows_and_z2_down_columns():
    """A decoder that returns its latent point: image [i, j] is decoded at (q_j, q_i)."""
    q, images = decode_grid(torch.nn.Identity(), 5)
    assert images.shape == (5, 5, 2)
    for i in range(5):
        for j in range(5):
            np.testing.assert_allclose(images[i, j].numpy(), [q[j], q[i]], atol=1e-6)


# ------------------------------------------------------------------ the region counter


@pytest.mark.timeout(30)
def test_two_disjoint_blocks_of_sixes_are_two_regions():
    grid = np.zeros((20, 20), int)
    grid[0:2, 0:5] = 6  # the top-left corner, as in the report
    grid[11:16, 11:16] = 6  # the centre-right
    grid[5:9, 3:7] = 1
    regions = grid_regions(grid)
    assert regions[6] == [25, 10] and regions[1] == [16]
    assert regions[0] == [400 - 35 - 16]  # the background stays one region around them


@pytest.mark.timeout(30)
def test_regions_join_by_edges_not_by_corners():
    grid = np.zeros((6, 6), int)
    grid[np.arange(6), np.arange(6)] = 3  # a diagonal: six cells touching at corners
    assert grid_regions(grid)[3] == [1] * 6
    assert grid_regions(grid)[0] == [15, 15]  # the diagonal cuts the rest in two
    ring = np.ones((5, 5), int)
    ring[1:4, 1:4] = 2
    ring[2, 2] = 1  # a 1 inside a ring of 2s inside the 1s: two regions of 1
    assert grid_regions(ring) == {1: [16, 1], 2: [8]}


@pytest.mark.timeout(30)
def test_grid_regions_refuses_a_flat_label_list():
    with pytest.raises(ValueError, match="2-D"):
        grid_regions(np.zeros(10, int))


def _grid(digits: np.ndarray) -> DecodedGrid:
    n = digits.shape[0]
    return DecodedGrid(
        quantile_grid(n),
        torch.zeros(n, n, 784),
        digits,
        np.ones((n, n)),
        grid_regions(digits),
    )


@pytest.mark.timeout(30)
def test_the_count_decides_the_decoded_verdict():
    split = np.zeros((20, 20), int)
    split[0:2, 0:5] = split[11:16, 11:16] = 6
    grid = _grid(split)
    assert grid.split == {6: [25, 10]}
    result = decoded_count(grid)
    assert result.verdict() == "reproduced" and result.effect == 1.0
    one = np.zeros((20, 20), int)
    one[11:16, 11:16] = 6
    result = decoded_count(_grid(one))
    assert _grid(one).split == {} and result.verdict() == "differs" and result.effect == 0.0


@pytest.mark.timeout(30)
def test_outline_of_a_region_is_its_boundary_edges():
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = True
    assert len(_edges(mask)) == 4
    mask[1:3, 1:3] = True  # a 2 x 2 block: 8 unit edges, plus the single cell's 4
    assert len(_edges(mask)) == 12
    assert len(_edges(np.ones((3, 3), bool))) == 12  # the border counts as outside


# ------------------------------------------------------------------ the committed VAE


def _committed_vae_entry() -> dict:
    cfg = question.QuestionSettings.resolve("ci").vae
    found = checkpoints.lookup(store_key(cfg))
    assert found is not None, "no committed VAE of the ci recipe: run `make models`"
    return found[1]


@pytest.mark.timeout(60)
def test_ci_and_paper_load_the_reports_committed_vae():
    ci, paper = (question.QuestionSettings.resolve(p).vae for p in ("ci", "paper"))
    assert ci == paper == VAEConfig() and ci.epochs == 30 and ci.train_images == 60_000
    entry = _committed_vae_entry()
    assert len(entry["history"]["loss"]) == 30 and entry["sha256"] and entry["wall_seconds"] > 0
    vae = load_committed(ci)
    assert vae is not None and vae.loss == entry["history"]["loss"]
    stored = torch.load(checkpoints.store_dir() / entry["file"], weights_only=True)
    for name, value in vae.model.state_dict().items():
        assert torch.equal(value, stored[name].to(value.dtype))
    smoke = question.QuestionSettings.resolve("smoke").vae
    assert load_committed(smoke) is None  # a toy recipe is trained, never served this one


@pytest.mark.timeout(60)
def test_a_damaged_committed_vae_is_refused(tmp_path):
    entry = _committed_vae_entry()
    shutil.copy(checkpoints.store_dir() / entry["file"], tmp_path / entry["file"])
    manifest = {"format": checkpoints.MANIFEST_FORMAT, "models": {"vae": entry}}
    (tmp_path / checkpoints.MANIFEST).write_text(json.dumps(manifest))
    cfg = question.QuestionSettings.resolve("ci").vae
    assert load_committed(cfg, tmp_path) is not None  # the intact copy loads
    path = tmp_path / entry["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(checkpoints.ModelIntegrityError, match="does not match its manifest"):
        load_committed(cfg, tmp_path)
    path.unlink()
    with pytest.raises(checkpoints.ModelIntegrityError, match="missing"):
        load_committed(cfg, tmp_path)


@needs_data
@pytest.mark.timeout(300)  # a 1-epoch VAE on 2,000 images: seconds alone
def test_make_models_stores_the_vae_and_keeps_it(tmp_path, tmp_model_cache):
    """``make models`` for the VAE at toy size, into a private store: written with its
    sha256, recipe and losses, then loaded by the page's recipe and kept on a rerun."""
    folder = tmp_path / "store"
    assert model_store.build_store("smoke", ("lancione_vae",), folder=folder) == {
        "smoke-lancione_vae": "trained"
    }
    cfg = question.QuestionSettings.resolve("smoke").vae
    entry = checkpoints.read_manifest(folder)["models"]["smoke-lancione_vae"]
    assert entry["cache_key"] == json.loads(json.dumps(store_key(cfg)))
    assert len(entry["history"]["loss"]) == cfg.epochs
    assert entry["evaluation"]["test_mse_at_mean"] > 0 and entry["wall_seconds"] > 0
    assert checkpoints.verify(folder) == ["smoke-lancione_vae"]
    vae = load_committed(cfg, folder)
    assert vae is not None and vae.loss == entry["history"]["loss"]
    assert model_store.build_store("smoke", ("lancione_vae",), folder=folder) == {
        "smoke-lancione_vae": "kept"
    }


# ------------------------------------------------------------------ the shared judge


@pytest.mark.timeout(30)
@pytest.mark.parametrize("profile", PROFILES)
def test_both_pages_ask_for_the_same_judge(profile):
    """Same epochs, same data, same seed: one cache key, so one training serves both."""
    q = question.QuestionSettings.resolve(profile)
    f = future_work.FutureWorkSettings.resolve(profile)
    assert q.judge_epochs == f.judge_epochs


@pytest.mark.timeout(30)
def test_a_single_cell_is_not_a_region_and_is_said_to_be_left_out():
    """One image the judge misreads makes a one-cell 'region': not counted as a split, and
    the sentence says it was left out; a second region of ten cells is a split."""
    from connectivity.pages.lancione.question.report import _caveat_words

    digits = np.zeros((20, 20), int)
    digits[11:16, 11:16] = 6
    assert _caveat_words(_grid(digits)) == "" and _grid(digits).split == {}
    digits[0, 0] = 6  # one stray cell
    assert _grid(digits).split == {}
    assert "not counted (1 of the 6)" in _caveat_words(_grid(digits))
    digits[0:2, 0:5] = 6  # a second region of ten cells
    assert _grid(digits).split == {6: [25, 10]}
    assert _caveat_words(_grid(digits)) == ""
