"""The offline data loader: real data, a synthetic copy in the same format, the verified
decoded cache, a named data folder that holds nothing, the user's ImageNet folder, errors."""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import (
    FAKE_IMAGENET_CLASSES,
    FAKE_IMAGENET_PER_CLASS,
    make_image_folder,
    needs_data,
    shared_data,
)
from PIL import Image

from connectivity import data
from connectivity.data import loading, sprites


def make_sprite_folder(
    folder, name="toyset", n_train=250, n_test=120, shape=(6, 5, 3), seed=0, columns=100, chunk=100
):
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
            part = x[start : start + chunk]
            rows = int(np.ceil(len(part) / columns))
            sheet = np.zeros((rows * h, columns * w, 3), np.uint8)
            for i, img in enumerate(part):
                r, c = divmod(i, columns)
                sheet[r * h : (r + 1) * h, c * w : (c + 1) * w] = (
                    img if img.ndim == 3 else img[..., None]
                )
            fname = f"{split}-{k:02d}.webp"
            Image.fromarray(sheet).save(folder / fname, lossless=True)
            files.append(fname)
        np.save(folder / f"{split}-labels.npy", y)
        manifest["splits"][split] = {
            "count": n,
            "shape": list(shape),
            "files": files,
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
    monkeypatch.delenv("CONNECTIVITY_DATA", raising=False)
    monkeypatch.setattr(
        loading, "shared_candidates", lambda: [tmp_path / "nowhere", tmp_path / "b"]
    )
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("mnist", "test", download=False)
    msg = str(err.value)
    assert str(tmp_path / "nowhere" / "mnist") in msg and str(tmp_path / "b" / "mnist") in msg
    assert "torchvision download (disabled)" in msg


def test_failed_download_message_is_shortened_at_a_word(tmp_path, monkeypatch):
    """A long download error is shortened between words, never mid-word."""
    monkeypatch.delenv("CONNECTIVITY_DATA", raising=False)
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(loading, "shared_candidates", lambda: [tmp_path / "nowhere"])
    words = [f"mirror{i}-unreachable" for i in range(60)]

    def no_internet(*args, **kwargs):
        raise RuntimeError("Error downloading:\n" + "\n".join(words))

    monkeypatch.setattr(loading, "_from_torchvision", no_internet)
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("cifar10", "test", download=True)
    failed = str(err.value).split("(failed: ", 1)[1].split(")\n", 1)[0]
    assert failed.endswith(" ...") and len(failed) <= 200
    shown = failed.removesuffix(" ...").split()
    assert shown[:3] == ["RuntimeError:", "Error", "downloading:"]
    assert shown[3:] == words[: len(shown) - 3]  # whole words only


def test_empty_named_folder_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    """CONNECTIVITY_DATA naming an empty folder stops with what was found where; it does
    not quietly read ../shared/data instead."""
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("CONNECTIVITY_DATA", str(tmp_path / "empty"))
    shared = data.shared_candidates
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("mnist", "test", download=True)
    msg = str(err.value)
    assert f"is not in {tmp_path / 'empty'}, the folder that CONNECTIVITY_DATA names" in msg
    assert "Found there: nothing: the folder is empty." in msg
    assert "unset CONNECTIVITY_DATA to use ../shared/data" in msg
    assert all(str(p) not in msg for p in shared())  # no other place was read
    monkeypatch.setenv("CONNECTIVITY_DATA", str(tmp_path / "missing"))
    with pytest.raises(data.DataNotFoundError, match="the folder does not exist"):
        data.load_dataset("mnist", "test")


def test_named_folder_without_the_asked_set_lists_what_it_holds(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))
    make_sprite_folder(tmp_path / "user" / "mnist", name="mnist")
    (tmp_path / "user" / "notes.txt").write_text("x")
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_dataset("cifar10", "test", root=tmp_path / "user")
    msg = str(err.value)
    assert "the folder that root= names" in msg
    assert "Found there: mnist/, notes.txt." in msg
    assert f"{tmp_path / 'user' / 'cifar10'}/manifest.json (sprite sheets" in msg
    assert "torchvision format" in msg


def test_unknown_dataset_or_split_is_rejected_before_any_work():
    with pytest.raises(ValueError, match="unknown dataset 'imagenet'.*load_imagenet_val"):
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
@pytest.mark.parametrize(
    "name,split,n,shape,classes",
    [
        ("mnist", "test", 10_000, (1, 28, 28), 10),
        ("mnist", "train", 60_000, (1, 28, 28), 10),
        ("cifar10", "test", 10_000, (3, 32, 32), 10),
        ("cifar100", "test", 10_000, (3, 32, 32), 100),
    ],
)
def test_real_data_shapes_counts_and_range(name, split, n, shape, classes):
    ds = data.load_dataset(name, split, download=False)
    assert ds.x.shape == (n, *shape) and ds.x.dtype == torch.float32
    assert ds.y.shape == (n,) and ds.y.dtype == torch.int64
    assert ds.num_classes == classes
    assert 0.0 <= ds.x.min() and ds.x.max() <= 1.0
    manifest = json.loads((shared_data() / name / "manifest.json").read_text())["splits"][split]
    np.testing.assert_array_equal(
        torch.bincount(ds.y, minlength=classes).numpy(), manifest["class_counts"]
    )
    # per-channel mean as the manifest states it (4 decimals)
    np.testing.assert_allclose(ds.x.mean(dim=(0, 2, 3)).numpy(), manifest["mean"], atol=6e-5)


@needs_data
def test_mnist_index_order_matches_torchvision():
    """Index 0 of the MNIST training set is the famous '5', index 1 a '0'."""
    ds = data.load_dataset("mnist", "train", download=False)
    assert ds.y[:5].tolist() == [5, 0, 4, 1, 9]


# ---------------------------------------------------------------- the decoded cache


def _cached_files(cache):
    folder = cache / "data"
    x = next(folder.glob("toyset-train-*-x.npy"))
    return (
        x,
        x.with_name(x.name.replace("-x.npy", "-y.npy")),
        x.with_name(x.name.replace("-x.npy", "-sha256.json")),
    )


def _flip(path, offset):
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0x01
    path.write_bytes(bytes(raw))


@pytest.fixture
def toy_cache(tmp_path, monkeypatch):
    """A sprite folder named as the user's data folder, its split decoded into a private
    cache; returns (the written arrays, the cache root)."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(cache))
    arrays = make_sprite_folder(tmp_path / "user" / "toyset")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the first build warns about nothing
        x, y, classes = sprites._from_sprites(tmp_path / "user" / "toyset", "train")
    np.testing.assert_array_equal(x, arrays["train"][0])
    return arrays, cache, tmp_path / "user" / "toyset"


def test_cache_entry_has_its_checksum_beside_it(toy_cache):
    arrays, cache, _ = toy_cache
    fx, fy, fsum = _cached_files(cache)
    sums = json.loads(fsum.read_text())
    assert sums["images_sha256"] == hashlib.sha256(arrays["train"][0].tobytes()).hexdigest()
    assert sums["labels_sha256"] == hashlib.sha256(arrays["train"][1].tobytes()).hexdigest()
    assert sums["classes"] == ["a", "b", "c"]
    assert not list((cache / "data").glob("*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize(
    "which,offset",
    [("x", -1), ("x", 200), ("x", 20), ("y", -1)],
    ids=["last image byte", "an image byte", "the .npy header", "a label"],
)
def test_flipped_byte_in_the_cache_is_detected_and_repaired(toy_cache, which, offset):
    arrays, cache, folder = toy_cache
    fx, fy, _ = _cached_files(cache)
    target = fx if which == "x" else fy
    good = target.read_bytes()
    _flip(target, offset)
    with pytest.warns(data.DataCacheWarning, match="rebuilding it from the source"):
        x, y, _ = sprites._from_sprites(folder, "train")
    np.testing.assert_array_equal(x, arrays["train"][0])  # never the damaged copy
    np.testing.assert_array_equal(y, arrays["train"][1])
    assert target.read_bytes() == good  # repaired on disk
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sprites._from_sprites(folder, "train")  # and quiet again


def test_cache_with_a_wrong_checksum_file_is_rebuilt(toy_cache):
    arrays, cache, folder = toy_cache
    _, _, fsum = _cached_files(cache)
    sums = json.loads(fsum.read_text())
    fsum.write_text(json.dumps({**sums, "images_sha256": "0" * 64}))
    with pytest.warns(data.DataCacheWarning, match="does not match its sha256"):
        x, _, _ = sprites._from_sprites(folder, "train")
    np.testing.assert_array_equal(x, arrays["train"][0])
    fsum.write_text("{not json")
    with pytest.warns(data.DataCacheWarning, match="unreadable"):
        sprites._from_sprites(folder, "train")


def test_entry_without_checksum_is_decoded_again_quietly(toy_cache):
    """An unfinished write (or an entry of an older version) has no checksum file: it is
    not trusted, and rebuilding it is not a warning."""
    _, cache, folder = toy_cache
    fx, _, fsum = _cached_files(cache)
    fsum.unlink()
    fx.write_bytes(b"garbage")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        sprites._from_sprites(folder, "train")
    assert fsum.exists()


@needs_data
def test_real_cache_is_served_by_one_read_and_one_checksum_pass(monkeypatch):
    """The largest split (CIFAR-10 train, 153.6 MB): a load from the verified cache reads
    each cached array once and hashes each once, decodes no sprite sheet and writes
    nothing. Its cost is thus one read and one sha256 pass over the data (what
    connectivity.data calls "well under a second"), proved by what was done rather than
    by seconds, which depend on the processor."""
    monkeypatch.delenv("CONNECTIVITY_DATA", raising=False)
    data.load_dataset("cifar10", "train", download=False)  # make sure it is cached
    folder = shared_data() / "cifar10"
    loaded, hashed, written = [], [], []
    real_load, real_sha256 = np.load, sprites._sha256

    def load(file, *args, **kwargs):
        loaded.append(Path(file).name)
        return real_load(file, *args, **kwargs)

    def sha256(a):
        hashed.append(a.nbytes)
        return real_sha256(a)

    def decode(*args, **kwargs):
        raise AssertionError("the sprite sheets were decoded again")

    monkeypatch.setattr(np, "load", load)
    monkeypatch.setattr(sprites, "_sha256", sha256)
    monkeypatch.setattr(sprites, "decode_sprites", decode)
    monkeypatch.setattr(sprites, "_atomic_write", lambda path, write: written.append(path.name))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DataCacheWarning would mean the entry was rejected
        x, y, _ = sprites._from_sprites(folder, "train")
    assert x.nbytes == 50_000 * 32 * 32 * 3
    assert len(loaded) == 2 and all(name.endswith(".npy") for name in loaded), loaded
    assert sorted(hashed) == sorted([x.nbytes, y.nbytes]), "each array hashed exactly once"
    assert x.flags.c_contiguous  # so _sha256 hashed it in place, without a copy
    assert not written, f"a verified load wrote {written}"


# ---------------------------------------------------------------- ImageNet folder


def test_imagenet_folder_shapes_labels_and_range(fake_imagenet):
    val = data.load_imagenet_val(classes=3, per_class=4, seed=0)
    assert val.x.shape == (12, 3, 224, 224) and val.x.dtype == torch.float32
    assert val.y.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert val.classes == list(FAKE_IMAGENET_CLASSES)  # WordNet ids: not a full folder
    assert 0.0 <= val.x.min() and val.x.max() <= 1.0
    assert val.source == str(fake_imagenet)
    everything = data.load_imagenet_val()
    assert len(everything) == 3 * FAKE_IMAGENET_PER_CLASS and everything.num_classes == 3
    assert len(data.load_imagenet_val(classes=2)) == 2 * FAKE_IMAGENET_PER_CLASS


def test_imagenet_draw_depends_on_the_seed_only(fake_imagenet):
    a = data.load_imagenet_val(classes=2, per_class=3, seed=1)
    b = data.load_imagenet_val(classes=2, per_class=3, seed=1)
    assert torch.equal(a.x, b.x)
    others = [data.load_imagenet_val(classes=2, per_class=3, seed=s).x for s in range(2, 6)]
    assert any(not torch.equal(a.x, o) for o in others)


def test_imagenet_transform_is_torchvisions_evaluation_transform(tmp_path):
    """Resize (shorter side 256) and centre crop 224, as torchvision's reference does."""
    from torchvision.transforms import v2

    root = make_image_folder(tmp_path / "val", classes=("n0",), per_class=2, seed=3)
    val = data.load_imagenet_val(root=root, resize=256, crop=224)
    reference = v2.Compose(
        [
            v2.PILToTensor(),
            v2.Resize(256, antialias=True),
            v2.CenterCrop(224),
            v2.ToDtype(torch.float32, scale=True),
        ]
    )
    for i, path in enumerate(sorted((root / "n0").iterdir())):
        with Image.open(path) as im:
            expected = reference(im.convert("RGB"))
        torch.testing.assert_close(val.x[i], expected, atol=1e-6, rtol=0)


def test_missing_imagenet_says_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("CONNECTIVITY_IMAGENET")
    with pytest.raises(data.DataNotFoundError) as err:
        data.load_imagenet_val(classes=2)
    msg = str(err.value)
    assert "CONNECTIVITY_IMAGENET is not set" in msg
    assert "ImageFolder" in msg and "n01440764/" in msg and "image-net.org" in msg
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("CONNECTIVITY_IMAGENET", str(tmp_path / "empty"))
    with pytest.raises(data.DataNotFoundError, match="Found there: nothing: the folder is empty"):
        data.load_imagenet_val()


def test_imagenet_asking_for_more_than_there_is(fake_imagenet):
    with pytest.raises(data.DataNotFoundError, match="4 classes asked for"):
        data.load_imagenet_val(classes=4)
    with pytest.raises(data.DataNotFoundError, match="6 images per class asked for"):
        data.load_imagenet_val(classes=1, per_class=FAKE_IMAGENET_PER_CLASS + 1)


def test_imagenet_broken_image_is_named(tmp_path):
    root = make_image_folder(tmp_path / "val", classes=("n0",), per_class=2)
    broken = sorted((root / "n0").iterdir())[0]
    broken.write_bytes(broken.read_bytes()[:40])
    with pytest.raises(data.DataIntegrityError, match=broken.name):
        data.load_imagenet_val(root=root)


def test_subset_indices_are_the_images_image_subset_keeps():
    ds = data.Dataset("toy", "test", torch.arange(40.0).view(40, 1, 1, 1), torch.arange(40), [], "")
    idx = data.subset_indices(40, 12)
    assert len(idx) == 12 and bool((idx[1:] > idx[:-1]).all())  # distinct, ascending
    assert torch.equal(data.image_subset(ds, 12).y, idx)
    assert not torch.equal(idx, torch.arange(12))  # drawn at random, not the first 12
    assert torch.equal(data.subset_indices(40, None), torch.arange(40))
    assert torch.equal(data.subset_indices(40, 40), torch.arange(40))
