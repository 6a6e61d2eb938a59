"""Shared fixtures: a private cache/build folder per test, the real data location."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

torch.set_num_threads(min(2, os.cpu_count() or 1))

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def tmp_build(tmp_path, monkeypatch):
    """Scorecard records and build outputs go to a temporary folder."""
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    return tmp_path / "_build"


@pytest.fixture
def tmp_model_cache(tmp_path, monkeypatch):
    """Cached results (checkpoints) go to a temporary folder; decoded data stay shared."""
    import connectivity.caching as caching

    root = tmp_path / "cache"

    def fake_cache_dir(*parts):
        p = root.joinpath(*parts)
        p.mkdir(parents=True, exist_ok=True)
        return p

    monkeypatch.setattr(caching, "cache_dir", fake_cache_dir)
    return root


def shared_data() -> Path | None:
    from connectivity.data import shared_candidates

    for p in shared_candidates():
        if (p / "mnist" / "manifest.json").exists():
            return p
    return None


needs_data = pytest.mark.skipif(shared_data() is None, reason="../shared/data is not beside the project")
