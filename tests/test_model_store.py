"""Committed models (connectivity.model_store): trained once, verified on every load,
never served to a changed recipe; the precision switch."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch
from conftest import REPO, needs_data

from connectivity import checkpoints, model_store, shared_classifiers, training
from connectivity.shared_classifiers import MODEL_KEYS, classifier_config
from connectivity.training import evaluate, evaluation_split, train_classifier

SMOKE_RESNET = "smoke-cifar10_resnet"


@pytest.fixture
def store(tmp_path, monkeypatch, tmp_model_cache):
    """An empty model store and an empty cache, both private to the test."""
    folder = tmp_path / "trained_models"
    monkeypatch.setenv("CONNECTIVITY_MODELS", str(folder))
    return folder


def _count_fits(monkeypatch) -> list[int]:
    calls = []
    real_fit = training.fit

    def counting_fit(*args, **kwargs):
        calls.append(1)
        return real_fit(*args, **kwargs)

    monkeypatch.setattr(training.cached, "fit", counting_fit)  # train_classifier's fit
    return calls


@needs_data
def test_a_stored_model_is_what_every_later_load_gets(store, monkeypatch):
    assert model_store.build_store("smoke", ("cifar10_resnet",), progress=False) == {
        SMOKE_RESNET: "trained"
    }
    entry = checkpoints.read_manifest()["models"][SMOKE_RESNET]
    cfg = classifier_config("smoke", "cifar10_resnet")
    assert entry["cache_key"] == json.loads(json.dumps(cfg.cache_key()))
    assert (store / entry["file"]).stat().st_size == entry["bytes"]
    assert entry["float16_tensors"] > 0 and entry["wall_seconds"] > 0
    assert entry["trained_on"]["precision"] in ("fp32", "bf16") and entry["trained_on"]["cpu"]
    assert len(entry["history"]["test_acc"]) == cfg.epochs and entry["commit"]

    fits = _count_fits(monkeypatch)
    loaded = train_classifier(cfg, progress=False)
    assert fits == [] and loaded.path == str(store / entry["file"])
    assert loaded.test_accuracy == entry["evaluation"]["accuracy"]
    # the manifest's evaluation is that of the stored (float16-rounded) weights
    again = evaluate(loaded.model, evaluation_split(cfg))
    assert again.accuracy == entry["evaluation"]["accuracy"]
    stored = torch.load(store / entry["file"], weights_only=True)
    for name, value in loaded.model.state_dict().items():
        assert torch.equal(value, stored[name].to(value.dtype))


@needs_data
def test_a_flipped_byte_is_an_integrity_error_not_a_model(store, monkeypatch):
    model_store.build_store("smoke", ("cifar10_resnet",), progress=False)
    entry = checkpoints.read_manifest()["models"][SMOKE_RESNET]
    path = store / entry["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    fits = _count_fits(monkeypatch)
    cfg = classifier_config("smoke", "cifar10_resnet")
    with pytest.raises(checkpoints.ModelIntegrityError, match="does not match its manifest"):
        train_classifier(cfg, progress=False)
    with pytest.raises(checkpoints.ModelIntegrityError, match="make models"):
        model_store.build_store("smoke", ("cifar10_resnet",), progress=False)
    assert fits == []  # neither retrained silently


@needs_data
def test_a_changed_recipe_is_trained_not_served_the_committed_model(store, monkeypatch):
    model_store.build_store("smoke", ("cifar10_resnet",), progress=False)
    fits = _count_fits(monkeypatch)
    changed = classifier_config("smoke", "cifar10_resnet", {"lr": 0.05})
    trained = train_classifier(changed, progress=False)
    assert fits == [1] and not trained.path.startswith(str(store))


@needs_data
def test_make_models_retrains_the_changed_recipe_only(store, monkeypatch):
    keys = ("cifar10_resnet", "cifar10_vgg")
    model_store.build_store("smoke", keys, progress=False)
    before = checkpoints.read_manifest()["models"]
    real = shared_classifiers.classifier_config

    def vgg_recipe_changed(profile, key="cifar10_resnet", changes=None):
        cfg = real(profile, key, changes)
        return real(profile, key, {"lr": 0.05}) if key == "cifar10_vgg" else cfg

    monkeypatch.setattr(model_store, "classifier_config", vgg_recipe_changed)
    fits = _count_fits(monkeypatch)
    outcome = model_store.build_store("smoke", keys, progress=False)
    assert outcome == {SMOKE_RESNET: "kept", "smoke-cifar10_vgg": "trained"} and fits == [1]
    after = checkpoints.read_manifest()["models"]
    assert after[SMOKE_RESNET] == before[SMOKE_RESNET]
    assert after["smoke-cifar10_vgg"]["key_hash"] != before["smoke-cifar10_vgg"]["key_hash"]
    assert not (store / before["smoke-cifar10_vgg"]["file"]).exists()  # no stale file left


@needs_data
def test_a_fine_tune_starts_from_the_committed_model_and_keeps_its_provenance(store, monkeypatch):
    """``make models`` after a recipe gains a second stage: the first stage comes from
    the store (not trained again: one fit, the fine-tune's), the fine-tune replaces it
    under the same name and its entry keeps where the first stage was trained."""
    model_store.build_store("smoke", ("cifar10_vgg",), progress=False)
    first = checkpoints.read_manifest()["models"]["smoke-cifar10_vgg"]
    real = shared_classifiers.classifier_config

    def fine_tuned(profile, key="cifar10_resnet", changes=None):
        return real(profile, key, {"fine_tune": {"epochs": 1, "lr": 0.01}})

    monkeypatch.setattr(model_store, "classifier_config", fine_tuned)
    fits = _count_fits(monkeypatch)
    outcome = model_store.build_store("smoke", ("cifar10_vgg",), progress=False)
    assert outcome == {"smoke-cifar10_vgg": "trained"} and fits == [1]
    entry = checkpoints.read_manifest()["models"]["smoke-cifar10_vgg"]
    assert entry["first_stage"]["sha256"] == first["sha256"]
    assert entry["first_stage"]["trained_on"] == first["trained_on"]
    assert len(entry["history"]["train_loss"]) == 2  # the first stage's epoch, the tune's
    assert entry["history"]["train_loss"][0] == first["history"]["train_loss"][0]
    assert entry["cache_key"]["fine_tune"]["epochs"] == 1


def test_half_storage_rounds_large_weights_only():
    big = torch.linspace(-3, 3, 4096)
    state = {
        "w": big,
        "bn.running_var": torch.rand(64),
        "huge": torch.full((2048,), 1e6),
        "steps": torch.tensor(7),
    }
    stored, halved = checkpoints.half_storage(state)
    assert halved == ["w"] and stored["w"].dtype == torch.float16
    assert stored["bn.running_var"].dtype == torch.float32
    assert stored["huge"].dtype == torch.float32  # beyond float16's range: kept exact
    restored = checkpoints.restore(stored)
    assert restored["w"].dtype == torch.float32 and torch.equal(restored["steps"], state["steps"])
    # float16 has an 11-bit significand: relative rounding error at most 2**-11
    rel = ((restored["w"] - big).abs() / big.abs().clamp_min(1e-4)).max()
    assert 0 < rel <= 2**-11


def test_committed_models_match_the_ci_recipes_and_their_checksums():
    """A recipe change without ``make models`` would make every CI run retrain (1.5 h on
    an AVX2 CPU): the committed keys must be today's ci keys."""
    from connectivity.latent.vae_store import store_key
    from connectivity.pages.lancione.question import QuestionSettings

    manifest = checkpoints.read_manifest(checkpoints.store_dir())
    expected = [f"ci-{k}" for k in (*MODEL_KEYS, model_store.VAE_KEY)]
    assert sorted(manifest["models"]) == sorted(expected)
    vae = manifest["models"][f"ci-{model_store.VAE_KEY}"]
    assert vae["cache_key"] == json.loads(json.dumps(store_key(QuestionSettings.resolve("ci").vae)))
    checkpoints.load_state_dict(vae)
    for key in MODEL_KEYS:
        entry = manifest["models"][f"ci-{key}"]
        cfg = classifier_config("ci", key)
        assert entry["cache_key"] == json.loads(json.dumps(cfg.cache_key())), key
        checkpoints.load_state_dict(entry)  # raises on a checksum mismatch
    size = sum(p.stat().st_size for p in checkpoints.store_dir().iterdir())
    assert size <= 25e6


def test_precision_switch(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setenv("CONNECTIVITY_PRECISION", "fp32")
    assert not training.bf16_is_fast(cpu)
    assert training.effective_precision("fp32", cpu) == "fp32"
    monkeypatch.setenv("CONNECTIVITY_PRECISION", "bf17")
    with pytest.raises(ValueError, match="CONNECTIVITY_PRECISION='bf17'"):
        training.bf16_is_fast(cpu)


def test_no_bfloat16_under_the_avx2_cap():
    code = (
        "import torch; from connectivity.training import bf16_is_fast, effective_precision;"
        "import warnings; warnings.simplefilter('ignore');"
        "print(bf16_is_fast(torch.device('cpu')), effective_precision('bf16', torch.device('cpu')))"
    )
    for cap in ({"ATEN_CPU_CAPABILITY": "avx2"}, {"ONEDNN_MAX_CPU_ISA": "AVX2"}):
        env = {**os.environ, **cap}
        env.pop("CONNECTIVITY_PRECISION", None)
        out = subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == ["False", "fp32"], cap
