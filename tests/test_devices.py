"""The device is chosen, never assumed (issue 34): the CPU for ci and smoke unless a
device is named, checked before any work, and part of every computed result's cache key
(never of the committed models' recipe keys); a GPU-marked test runs a smoke page on
CUDA where one is lent; the provenance every record carries; one-line errors."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass

import pytest
import torch

from connectivity import caching, checkpoints, devices, provenance, scorecard
from connectivity.errors import ReaderError, run_command
from connectivity.kernels import PORTABLE
from connectivity.pages.gu2023 import table1
from connectivity.settings import ParameterError, Settings, param
from connectivity.training import TrainConfig

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA GPU here")


@pytest.fixture
def no_device(monkeypatch):
    monkeypatch.delenv(devices.DEVICE_ENV, raising=False)


def test_ci_and_smoke_default_to_the_cpu_paper_to_auto(no_device):
    assert devices.default_name("ci") == "cpu" and devices.default_name("smoke") == "cpu"
    assert devices.default_name("paper") == "auto"
    assert devices.select(None, "ci") == torch.device("cpu")
    assert devices.current() == torch.device("cpu")


def test_a_named_device_wins_over_the_profile(monkeypatch):
    monkeypatch.setenv(devices.DEVICE_ENV, "cpu")
    assert devices.select(None, "paper") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "cuda:x", "tpu"])
def test_a_misspelled_device_is_refused(no_device, name):
    with pytest.raises(devices.DeviceError, match="unknown device"):
        devices.select(name, "ci")


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA GPU is here")
def test_an_absent_gpu_is_refused_not_replaced_by_the_cpu(no_device):
    with pytest.raises(devices.DeviceError, match="no CUDA GPU"):
        devices.select("cuda", "ci")


def test_another_device_gets_another_cache_key_and_nothing_is_reused(tmp_path, monkeypatch):
    monkeypatch.setattr(caching, "cache_dir", lambda *p: tmp_path.joinpath(*p))
    (tmp_path / "k").mkdir()
    for name, value in PORTABLE.items():
        monkeypatch.setenv(name, value)
    calls = []

    def compute():
        calls.append(devices.key_name())
        return len(calls)

    monkeypatch.delenv(devices.DEVICE_ENV, raising=False)
    cpu = caching.result_path("k", {"n": 1})
    assert caching.cached("k", {"n": 1}, compute) == 1
    assert caching.cached("k", {"n": 1}, compute) == 1  # reused on the same device
    monkeypatch.setenv(devices.DEVICE_ENV, "cuda")  # the key only; nothing runs on a GPU
    assert caching.result_path("k", {"n": 1}) != cpu
    assert caching.cached("k", {"n": 1}, compute) == 2  # computed again, not reused
    assert calls == ["cpu", "cuda"]
    monkeypatch.setenv(devices.DEVICE_ENV, "cpu")
    assert caching.result_path("k", {"n": 1}) == cpu  # naming the CPU changes nothing


def test_the_committed_models_recipe_keys_do_not_carry_the_device(monkeypatch):
    cfg = TrainConfig(epochs=1)
    monkeypatch.delenv(devices.DEVICE_ENV, raising=False)
    key = cfg.cache_key()
    monkeypatch.setenv(devices.DEVICE_ENV, "cuda")
    assert cfg.cache_key() == key


@dataclass(frozen=True)
class ToySettings(Settings):
    n: int = param(3, lo=1, doc="a count")


def test_a_notebook_names_its_device_as_a_parameter(no_device, monkeypatch):
    monkeypatch.delenv(provenance.PROFILE_ENV, raising=False)
    ToySettings.from_notebook({"profile": "smoke", "n": None, "device": "cpu"})
    assert devices.current() == torch.device("cpu")
    assert provenance.current()["profile"] == "smoke"
    with pytest.raises(devices.DeviceError, match="unknown device 'gpu'"):
        ToySettings.from_notebook({"profile": "smoke", "n": None, "device": "gpu"})
    with pytest.raises(ParameterError, match="unknown parameter 'devise'"):
        ToySettings.from_notebook({"profile": "smoke", "n": None, "devise": "cpu"})


def test_every_record_carries_its_provenance(tmp_build, monkeypatch, no_device):
    monkeypatch.setenv(provenance.PROFILE_ENV, "smoke")
    provenance.note_data("cifar10", "test", "/somewhere/cifar10")
    scorecard.measure("models.provenance_probe", "a probe", 1.0)
    written = scorecard.records_dir() / "models.provenance_probe.json"
    prov = json.loads(written.read_text())["provenance"]
    assert prov["profile"] == "smoke" and prov["device"] == "cpu"
    assert prov["data"]["cifar10/test"] == "/somewhere/cifar10"
    assert prov["kernels"] and prov["commit"]


def test_expected_failures_speak_in_one_line(capsys):
    class Missing(ReaderError, FileNotFoundError):
        pass

    def main(argv):
        raise Missing("no data in /nowhere\nput it there")

    assert run_command(main, []) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no data in /nowhere\n") and "Traceback" not in err

    def bug(argv):
        raise KeyError("a bug keeps its traceback")

    with pytest.raises(KeyError):
        run_command(bug, [])


@pytest.mark.timeout(120)
def test_model_store_verify_of_a_damaged_file_is_one_line(tmp_path):
    """``python -m connectivity.model_store --verify`` on a store with a flipped byte."""
    store = tmp_path / "store"
    shutil.copytree(checkpoints.store_dir(), store)
    name = next(iter(json.loads((store / "manifest.json").read_text())["models"].values()))
    path = store / name["file"]
    raw = bytearray(path.read_bytes())
    raw[-100] ^= 1
    path.write_bytes(bytes(raw))
    proc = subprocess.run(
        [sys.executable, "-m", "connectivity.model_store", "--verify"],
        env={**os.environ, "CONNECTIVITY_MODELS": str(store)},
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.startswith("error: ")
    assert name["file"] in proc.stderr


@needs_cuda
@pytest.mark.gpu
@pytest.mark.timeout(600)
def test_a_smoke_page_runs_on_cuda(private_cache, tmp_build, monkeypatch):
    """Where a GPU is lent: Gu Table 1 at toy size on CUDA, its records keyed apart."""
    monkeypatch.setenv(devices.DEVICE_ENV, "cuda")
    study = table1.run(table1.Table1Settings.resolve("smoke"))
    records = table1.report(study).records
    assert all(r.provenance["device"] == "cuda" for r in records.values())
