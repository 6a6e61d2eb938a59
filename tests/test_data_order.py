"""One data order from every source (issue 34): the shared sprites, torchvision's own
files (CIFAR's pickled batches, MNIST's IDX files) written in a shuffled order, or a
copy whose images differ, which is refused. A toy-size page gives the same records from
either source."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from conftest import _cache_below, needs_data

import connectivity.caching as caching
from connectivity import data
from connectivity.data import loading, order, torchvision_files
from connectivity.data.loading import _from_torchvision
from connectivity.pages.gu2023 import table1


def _arrays(ds):
    """A Dataset back to the uint8 arrays of the files."""
    x = (ds.x * 255).round().byte().numpy()
    x = x[:, 0] if x.shape[1] == 1 else x.transpose(0, 2, 3, 1)
    return np.ascontiguousarray(x), ds.y.numpy().astype(np.uint8)


def _shuffled_copy(root, name, split, seed=1):
    """The shared arrays of ``name``/``split`` written in torchvision's files below
    ``root`` in a random order; returns the reference dataset."""
    ref = data.load_dataset(name, split, download=False)
    x, y = _arrays(ref)
    perm = np.random.default_rng(seed).permutation(len(y))
    torchvision_files.write(name, split, root, x[perm], y[perm])
    return ref


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_torchvision_files_round_trip(tmp_path, name):
    rng = np.random.default_rng(0)
    shape = (28, 28) if name == "mnist" else (32, 32, 3)
    x = rng.integers(0, 256, size=(12, *shape), dtype=np.uint8)
    y = rng.integers(0, 10, size=12).astype(np.uint8)
    torchvision_files.write(name, "train", tmp_path, x, y)
    got_x, got_y = torchvision_files.read(name, "train", tmp_path)
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)


def test_gzipped_mnist_files_are_read(tmp_path):
    """torchvision keeps MNIST's files as downloaded (.gz) on some versions."""
    x = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    torchvision_files.write("mnist", "test", tmp_path, x, np.array([3, 4], np.uint8))
    for path in torchvision_files.expected_files("mnist", "test", tmp_path):
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(path.read_bytes()))
        path.unlink()
    np.testing.assert_array_equal(torchvision_files.read("mnist", "test", tmp_path)[0], x)


@needs_data
@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "name,split",
    [(n, s) for n in ("mnist", "cifar10", "cifar100") for s in ("train", "test")],
)
def test_shuffled_torchvision_files_load_to_the_reference_arrays(
    tmp_path, monkeypatch, name, split
):
    ref = _shuffled_copy(tmp_path, name, split)
    monkeypatch.setenv("CONNECTIVITY_DATA", str(tmp_path))
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))  # the reordered copy
    got = data.load_dataset(name, split, download=False)
    assert got.source == str(tmp_path) and got.classes == ref.classes
    assert got.x.shape == ref.x.shape and bool((got.x == ref.x).all())
    assert bool((got.y == ref.y).all())


@needs_data
def test_a_copy_with_an_altered_image_is_refused_naming_it(tmp_path):
    ref = data.load_dataset("cifar10", "test", download=False)
    x, y = _arrays(ref)
    x = x.copy()
    x[17, 0, 0, 0] ^= 1  # one pixel of one image
    torchvision_files.write("cifar10", "test", tmp_path, x, y)
    with pytest.raises(order.DataOrderError, match=r"1 reference image\(s\).*missing, 1 image"):
        _from_torchvision("cifar10", "test", tmp_path, download=False)
    with pytest.raises(order.DataOrderError, match=str(tmp_path)):
        data.load_dataset("cifar10", "test", root=tmp_path, download=False)


@needs_data
def test_a_copy_with_a_relabelled_or_missing_image_is_refused(tmp_path):
    ref = data.load_dataset("mnist", "test", download=False)
    x, y = _arrays(ref)
    y = y.copy()
    y[5] = (y[5] + 1) % 10
    torchvision_files.write("mnist", "test", tmp_path, x, y)
    with pytest.raises(order.DataOrderError, match="not the reference data set"):
        data.load_dataset("mnist", "test", root=tmp_path, download=False)
    torchvision_files.write("mnist", "test", tmp_path, x[1:], y[1:])
    with pytest.raises(order.DataOrderError, match="9999 images where the reference has 10000"):
        data.load_dataset("mnist", "test", root=tmp_path, download=False)


@needs_data
def test_a_reordered_copy_is_kept_decoded_until_its_files_change(tmp_path, monkeypatch):
    """torchvision's files are read and reordered once; the next load reads the verified
    decoded copy; a rewritten file (another order) is read and reordered again."""
    ref = _shuffled_copy(tmp_path / "tv", "cifar10", "test")
    monkeypatch.setenv("CONNECTIVITY_DATA", str(tmp_path / "tv"))
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))
    calls = []
    monkeypatch.setattr(
        loading,
        "to_reference_order",
        lambda *a, **k: calls.append(1) or order.to_reference_order(*a, **k),
    )
    for expected_calls in (1, 1):
        got = data.load_dataset("cifar10", "test", download=False)
        assert len(calls) == expected_calls and bool((got.x == ref.x).all())
    _shuffled_copy(tmp_path / "tv", "cifar10", "test", seed=2)
    got = data.load_dataset("cifar10", "test", download=False)
    assert len(calls) == 2 and bool((got.x == ref.x).all()) and bool((got.y == ref.y).all())


def test_reordering_puts_duplicates_anywhere_and_checks_the_sha256(monkeypatch):
    """Two identical (image, label) pairs are interchangeable; the arrays' sha256 is checked."""
    x = np.array([[[1]], [[2]], [[1]], [[3]]], np.uint8)
    y = np.array([0, 1, 0, 1], np.uint8)
    entry = {
        "shape": [1, 1],
        "images_sha256": order._sha256(x),
        "labels_sha256": order._sha256(y),
        "classes": ["a", "b"],
    }
    monkeypatch.setattr(order, "reference", lambda n, s: (order.image_digests(x, y), entry))
    perm = np.array([3, 2, 1, 0])
    got_x, got_y = order.to_reference_order("toy", "train", x[perm], y[perm], "a test")
    np.testing.assert_array_equal(got_x, x)
    np.testing.assert_array_equal(got_y, y)
    monkeypatch.setitem(entry, "images_sha256", "0" * 64)
    with pytest.raises(order.DataOrderError, match="do not match the reference sha256"):
        order.to_reference_order("toy", "train", x[perm], y[perm], "a test")


@needs_data
def test_the_committed_order_is_the_shared_datas():
    """The digests are of the shared copy in its order (what every draw indexes)."""
    for name, split in (("mnist", "test"), ("cifar100", "test")):
        x, y = _arrays(data.load_dataset(name, split, download=False))
        np.testing.assert_array_equal(order.image_digests(x, y), order.reference(name, split)[0])


def _values(records):
    """What a record says: value, paper, verdict, test, p (not where it was written)."""
    keep = ("verdict", "reproduced", "paper", "p_value", "n", "effect")
    return {k: {f: getattr(r, f) for f in keep} for k, r in records.items()}


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_toy_page_gives_the_same_records_from_either_source(tmp_path, monkeypatch, tmp_build):
    """Gu Table 1 at toy size (a smoke ResNet trained from the data, pairs drawn by
    index) from the shared sprites and from shuffled torchvision files, each with its own
    empty cache: nothing is reused between the two runs."""
    settings = table1.Table1Settings.resolve("smoke")
    runs = []
    for source in ("shared", "torchvision"):
        monkeypatch.setattr(caching, "cache_dir", _cache_below(tmp_path / f"cache-{source}"))
        if source == "torchvision":
            for split in ("train", "test"):
                _shuffled_copy(tmp_path / "tv", "cifar10", split)
            monkeypatch.setenv("CONNECTIVITY_DATA", str(tmp_path / "tv"))
            monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "data-cache"))
        study = table1.run(settings)
        runs.append(_values(table1.report(study).records))
        assert any((tmp_path / f"cache-{source}").rglob("*.pt"))  # computed, not reused
    assert runs[0] == runs[1]
