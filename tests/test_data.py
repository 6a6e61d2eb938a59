"""The offline data loader: real data, a synthetic copy in the same format, errors."""

from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest
import torch
from PIL import Image

from connectivity import data
from conftest import needs_data, shared_data


def make_sprite_folder(folder, name="toyset", n_train=250, n_test=120, shape=(6, 5, 3), seed=0, columns=100,
                       chunk=100):
    """Write a tiny data set in the sprite-sheet format of ../shared/data; returns its arrays."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    manifest = {"name": name, "chunk": chunk, "columns": columns, "splits": {}}
    arrays = {}
    h, w = shape[:2]
    for split, n in (("train", n_train), ("test", n_test)):
        x = rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
        y = rng.integers(0, 3, size=n).astype(np.uint8)
        files = []
        for k, start in enumerate(range(0, n, chunk)):
            part = x[start:start + chunk]
            rows = int(np.ceil(len(part) / columns))
            sheet = np.zeros((rows * h, columns * w, 3), np.uint8)
            for i, img in enumerate(part):
                r, c = divmod(i, columns)
                sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = img if img.ndim == 3 else img[..., None]
            fname = f"{split}-{k:02d}.webp"
            Image.fromarray(sheet).save(folder / fname, lossless=True)
            files.append(fname)
        np.save(folder / f"{split}-labels.npy", y)
        manifest["splits"][split] = {
            "count": n, "shape": list(shape), "files": files,
            "images_sha256": hashlib.sha256(x.tobytes()).hexdigest(),
            "labels_sha256": hashlib.sha256(y.tobytes()).hexdigest(),
        }
        arrays[split] = (x, y)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "classes.txt").write_text("a\nb\nc\n")
    return arrays


def test_decode_sprites_matches_the_written_arrays(tmp_path):
    arrays = make_sprite_folder(tmp_path / "toy")
    for split in ("train", "test"):
        x, y, classes, meta = data.decode_sprites(tmp_path / "toy", split)
        np.testing.assert_array_equal(x, arrays[split][0])
        np.testing.assert_array_equal(y, arrays[split][1])
        assert classes == ["a", "b", "c"]


def test_decode_greyscale_takes_channel_zero(tmp_path):
    arrays = make_sprite_folder(tmp_path / "grey", shape=(4, 4))
    x, _, _, _ = data.decode_sprites(tmp_path / "grey", "train")
    assert x.shape == (250, 4, 4)
    np.testing.assert_array_equal(x, arrays["train"][0])


def test_corrupted_image_sheet_gives_a_clear_error(tmp_path):
    make_sprite_folder(tmp_path / "toy")
    sheet = tmp_path / "toy" / "train-01.webp"
    img = np.asarray(Image.open(sheet)).copy()
    img[0, 0, 0] ^= 0xFF  # one pixel changed: still a valid image, wrong data
    Image.fromarray(img).save(sheet, lossless=True)
    with pytest.raises(data.DataIntegrityError, match="images_sha256"):
        data.decode_sprites(tmp_path / "toy", "train")


def test_truncated_file_and_wrong_labels_give_clear_errors(tmp_path):
    make_sprite_folder(tmp_path / "toy")
    sheet = tmp_path / "toy" / "test-00.webp"
    sheet.write_bytes(sheet.read_bytes()[:50])
    with pytest.raises(data.DataIntegrityError, match="cannot decode"):
        data.decode_sprites(tmp_path / "toy", "test")
    np.save(tmp_path / "toy" / "train-labels.npy", np.zeros(250, np.uint8))
    with pytest.raises(data.DataIntegrityError, match="labels_sha256"):
        data.decode_sprites(tmp_path / "toy", "train")


def test_missing_data_lists_every_place_looked(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "shared_candidates", lambda: [tmp_path / "nowhere"])
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("mnist", "test", root=tmp_path / "user", download=False)
    msg = str(err.value)
    assert str(tmp_path / "user" / "mnist") in msg
    assert str(tmp_path / "nowhere" / "mnist") in msg
    assert "torchvision download (disabled)" in msg


def test_unknown_dataset_or_split_is_rejected_before_any_work():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'"):
        data.load_dataset("imagenet")
    with pytest.raises(ValueError, match="unknown split"):
        data.load_dataset("mnist", "val")


def test_user_folder_is_used_first(tmp_path, monkeypatch):
    """A folder named by the user, in the sprite format, takes precedence."""
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))
    real = shared_data()
    if real is None:
        pytest.skip("no shared data")
    shutil.copytree(real / "mnist", tmp_path / "user" / "mnist")
    ds = data.load_dataset("mnist", "test", root=tmp_path / "user", download=False)
    assert ds.source == str(tmp_path / "user" / "mnist")


@needs_data
@pytest.mark.parametrize("name,split,n,shape,classes", [
    ("mnist", "test", 10_000, (1, 28, 28), 10),
    ("mnist", "train", 60_000, (1, 28, 28), 10),
    ("cifar10", "test", 10_000, (3, 32, 32), 10),
    ("cifar100", "test", 10_000, (3, 32, 32), 100),
])
def test_real_data_shapes_counts_and_range(name, split, n, shape, classes):
    ds = data.load_dataset(name, split, download=False)
    assert ds.x.shape == (n, *shape) and ds.x.dtype == torch.float32
    assert ds.y.shape == (n,) and ds.y.dtype == torch.int64
    assert ds.num_classes == classes
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    manifest = json.loads((shared_data() / name / "manifest.json").read_text())["splits"][split]
    np.testing.assert_array_equal(torch.bincount(ds.y, minlength=classes).numpy(), manifest["class_counts"])
    # per-channel mean as the manifest states it (4 decimals)
    np.testing.assert_allclose(ds.x.mean(dim=(0, 2, 3)).numpy(), manifest["mean"], atol=6e-5)


@needs_data
def test_mnist_index_order_matches_torchvision():
    """Index 0 of the MNIST training set is the famous '5', index 1 a '0'."""
    ds = data.load_dataset("mnist", "train", download=False)
    assert ds.y[:5].tolist() == [5, 0, 4, 1, 9]
