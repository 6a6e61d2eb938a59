"""Cached training: hit, miss on a changed parameter, determinism."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from connectivity import caching, training
from connectivity.training import TrainConfig, augment_batch, train_classifier
from conftest import needs_data

TINY = TrainConfig(dataset="cifar10", arch="cifar_resnet", arch_kwargs={"blocks": [1], "width": 4}, epochs=1,
                   batch_size=64, lr=0.05, train_subset=256, seed=0)


def _equal_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@needs_data
def test_cache_hit_then_miss_when_a_parameter_changes(tmp_model_cache, monkeypatch):
    first = train_classifier(TINY, progress=False)
    assert first.path.startswith(str(tmp_model_cache))
    assert 0.0 <= first.test_accuracy <= 1.0 and len(first.history["test_acc"]) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the checkpoint exists")

    monkeypatch.setattr(training, "_optimizer_and_schedule", no_training)
    again = train_classifier(TINY, progress=False)  # must be a cache hit
    assert again.path == first.path and _equal_weights(first.model, again.model)
    assert again.history == first.history

    changed = dataclasses.replace(TINY, seed=1)
    assert caching.cache_path("models", dataclasses.asdict(changed)) != caching.cache_path(
        "models", dataclasses.asdict(TINY))
    with pytest.raises(AssertionError, match="trained although"):
        train_classifier(changed, progress=False)  # a miss: it tries to train


@needs_data
def test_same_seed_gives_the_same_weights(tmp_model_cache):
    a = train_classifier(TINY, use_cache=False, progress=False)
    b = train_classifier(TINY, use_cache=False, progress=False)
    assert _equal_weights(a.model, b.model)
    c = train_classifier(dataclasses.replace(TINY, seed=1), use_cache=False, progress=False)
    assert not _equal_weights(a.model, c.model)


def test_bad_configs_are_rejected():
    with pytest.raises(ValueError, match="unknown dataset"):
        TrainConfig(dataset="svhn").validate()
    with pytest.raises(ValueError, match="unknown architecture"):
        TrainConfig(arch="mlp").validate()
    with pytest.raises(ValueError, match="positive"):
        TrainConfig(epochs=0).validate()


def test_augmentation_crops_and_flips_within_the_padded_image():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6)
    out = augment_batch(x, torch.Generator().manual_seed(0), pad=2)
    assert out.shape == x.shape
    for i in range(2):
        padded = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
        windows = [padded[:, r:r + 6, c:c + 6] for r in range(5) for c in range(5)]
        windows += [w.flip(2) for w in windows]
        assert any(torch.equal(out[i], w) for w in windows)


def test_param_hash_is_stable_and_order_free():
    assert caching.param_hash({"a": 1, "b": [1, 2]}) == caching.param_hash({"b": [1, 2], "a": 1})
    assert caching.param_hash({"a": 1}) != caching.param_hash({"a": 2})
    with pytest.raises(TypeError):
        caching.param_hash({"a": object()})


def test_cached_computes_once(tmp_model_cache):
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.ones(2)}

    r1 = caching.cached("unit", {"k": 1}, compute)
    r2 = caching.cached("unit", {"k": 1}, compute)
    caching.cached("unit", {"k": 2}, compute)
    assert torch.equal(r1["x"], r2["x"]) and len(calls) == 2
