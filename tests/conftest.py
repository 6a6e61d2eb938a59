"""Shared fixtures: a private cache/build folder per test (or per module), the real data
location, and a tiny fake ImageNet validation folder that every test session points
``CONNECTIVITY_IMAGENET`` at (the ``smoke-paper`` runs of the Vrabel chapters read it)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import connectivity.caching as caching

# under pytest-xdist (make test runs 2 workers) the cores are shared between the workers
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
torch.set_num_threads(max(1, min(2, os.cpu_count() or 1) // _WORKERS))

REPO = Path(__file__).resolve().parents[1]

# the fake ImageNet: class folders named like WordNet ids, images of mixed size and format
FAKE_IMAGENET_CLASSES = ("n01440764", "n01443537", "n01484850")
FAKE_IMAGENET_PER_CLASS = 5


@pytest.fixture
def tmp_build(tmp_path, monkeypatch):
    """Scorecard records and build outputs go to a temporary folder."""
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    return tmp_path / "_build"


def _cache_below(root: Path):
    """A ``caching.cache_dir`` that puts cached results below ``root``."""

    def cache_dir(*parts):
        path = root.joinpath(*parts)
        path.mkdir(parents=True, exist_ok=True)
        return path

    return cache_dir


@pytest.fixture
def tmp_model_cache(tmp_path, monkeypatch):
    """Cached results (checkpoints) go to a temporary folder; decoded data stay shared."""
    root = tmp_path / "cache"
    monkeypatch.setattr(caching, "cache_dir", _cache_below(root))
    return root


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory):
    """Cached results in one folder per test module: what a page's first test trains or
    computes (a smoke classifier, attacks, pair runs) its next tests reuse, and no other
    module sees it; decoded data stay shared."""
    root = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(caching, "cache_dir", _cache_below(root))
        yield root


# the smoke profile's shared CIFAR-10 ResNet: its sizes, as a reader names them
SMOKE_RESNET_SIZES = {"blocks": [1, 1, 1, 1], "width": 4}


@pytest.fixture(scope="module")
def smoke_resnet_file(tmp_path_factory, private_cache) -> str:
    """The smoke profile's shared ResNet saved as a reader saves theirs (a state dict)."""
    from connectivity.shared_classifiers import shared_classifier

    path = tmp_path_factory.mktemp("ckpt") / "smoke_resnet.pt"
    torch.save(shared_classifier("smoke", "cifar10_resnet").model.state_dict(), path)
    return str(path)


def same_as_the_books_records(book: dict, theirs: dict, digest: str) -> None:
    """A reader's records (by id) against the book's run of the same model saved as a
    checkpoint: the same values, counts and tests, written without a verdict against the
    paper and marked as the reader's (issue 39's known answer)."""
    assert set(theirs) == set(book) and book
    for key, a in book.items():
        b = theirs[key]
        assert (b.reproduced, b.paper, b.n, b.p_value, b.effect) == (
            a.reproduced,
            a.paper,
            a.n,
            a.p_value,
            a.effect,
        ), key
        assert not a.reader and b.reader["sha256"] == digest, key
        assert b.verdict in ("not comparable", "no paper value", "failed"), key
        assert not b.counts_as_reproduction, key


def shared_data() -> Path | None:
    from connectivity.data import shared_candidates

    for p in shared_candidates():
        if (p / "mnist" / "manifest.json").exists():
            return p
    return None


needs_data = pytest.mark.skipif(
    shared_data() is None, reason="../shared/data is not beside the project"
)


def make_image_folder(
    root: Path,
    classes: tuple[str, ...] = FAKE_IMAGENET_CLASSES,
    per_class: int = FAKE_IMAGENET_PER_CLASS,
    seed: int = 0,
) -> Path:
    """A torchvision ImageFolder of random RGB images: ``root/<class>/<i>.JPEG|png``,
    sizes between 40 and 90 pixels in either orientation (so that resizing and cropping
    are exercised), JPEG and PNG alternating."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for wnid in classes:
        (root / wnid).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            h, w = rng.integers(40, 91, size=2)
            pixels = rng.integers(0, 256, size=(h, w, 3), dtype=np.uint8)
            suffix = ".JPEG" if i % 2 == 0 else ".png"
            Image.fromarray(pixels).save(root / wnid / f"ILSVRC2012_val_{i:08d}{suffix}")
    return root


@pytest.fixture(scope="session", autouse=True)
def fake_imagenet(tmp_path_factory):
    """``CONNECTIVITY_IMAGENET`` points at a fake validation folder (3 classes x 5 images)
    for the whole session, so that the notebooks' ``smoke-paper`` runs (papermill
    kernels inherit the environment) find ImageNet-shaped data; returns the folder."""
    root = make_image_folder(tmp_path_factory.mktemp("fake-imagenet") / "val")
    patch = pytest.MonkeyPatch()
    patch.setenv("CONNECTIVITY_IMAGENET", str(root))
    yield root
    patch.undo()


# Pages about the book itself, which compare nothing with a paper: they write no record.
NO_RECORDS = {
    "scorecard": "collects the other notebooks' records",
    "performance": "times the library's hot paths; no paper value",
}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After a notebook's toy-size run passed (``test_notebook_runs_at_toy_size`` in
    test_notebooks.py), check that it wrote scorecard records, unless it is a page about
    the book itself (``NO_RECORDS``)."""
    result = yield  # re-raises when the test failed
    if getattr(item, "originalname", None) == "test_notebook_runs_at_toy_size":
        name = item.callspec.params["name"]
        if name not in NO_RECORDS:
            from connectivity import scorecard  # CONNECTIVITY_BUILD is still the test's

            records = scorecard.load([name])
            assert records, f"{name} ran but wrote no scorecard record"
    return result


def make_recipe(target: str, *variables: str, made: tuple[str, ...] = (".venv/.installed",)) -> str:
    """What ``make -n`` would run for ``target`` with ``variables`` (``NAME=value``), every
    target rebuilt except the files in ``made`` (taken as up to date)."""
    skip = [arg for path in made for arg in ("-o", path)]
    out = subprocess.run(
        ["make", "-n", "-B", *skip, *variables, target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout
