"""Results cached by their parameters: computed once, a changed parameter recomputes, a
damaged entry (a flipped byte that ``torch.load`` would serve silently, a truncated or
empty file) is computed again with a warning, never returned."""

from __future__ import annotations

import json
import warnings

import pytest
import torch

from connectivity import caching, kernels


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _counting(value):
    calls = []

    def compute():
        calls.append(1)
        return value

    return compute, calls


def test_computed_once_and_parameters_written_beside(cache):
    compute, calls = _counting({"w": torch.arange(3.0)})
    first = caching.cached("toy", {"n": 3, "seed": 0}, compute)
    again = caching.cached("toy", {"seed": 0, "n": 3}, compute)  # key order is irrelevant
    assert len(calls) == 1 and torch.equal(first["w"], again["w"])
    path = caching.result_path("toy", {"n": 3, "seed": 0})
    assert json.loads(path.with_suffix(".json").read_text()) == {"n": 3, "seed": 0}
    assert not list(path.parent.glob("*.tmp"))
    caching.cached("toy", {"n": 4, "seed": 0}, compute)
    assert len(calls) == 2


def test_a_cached_none_is_a_result(cache):
    compute, calls = _counting(None)
    assert caching.cached("nothing", {}, compute) is None
    assert caching.cached("nothing", {}, compute) is None
    assert len(calls) == 1


def _damage(path, how):
    raw = bytearray(path.read_bytes())
    if how == "flipped tensor byte":
        # a float of the saved tensor: torch.load alone returns the wrong number
        at = raw.find(torch.arange(1000.0)[500:502].numpy().tobytes())
        assert at > 0
        raw[at] ^= 0x01
    elif how == "flipped header byte":
        raw[20] ^= 0xFF
    elif how == "truncated":
        raw = raw[: len(raw) // 2]
    else:
        raw = bytearray()
    path.write_bytes(bytes(raw))


def test_torch_load_alone_serves_a_flipped_tensor_byte(tmp_path):
    """Why the checksum: without it the damaged entry would be a (slightly) wrong result."""
    path = tmp_path / "x.pt"
    torch.save(torch.arange(1000.0), path)
    _damage(path, "flipped tensor byte")
    assert not torch.equal(torch.load(path), torch.arange(1000.0))


@pytest.mark.parametrize(
    "damage", ["flipped tensor byte", "flipped header byte", "truncated", "empty"]
)
def test_damaged_entry_is_computed_again_with_a_warning(cache, damage):
    compute, calls = _counting(torch.arange(1000.0))
    caching.cached("toy", {"n": 1}, compute)
    path = caching.result_path("toy", {"n": 1})
    assert path.with_name(path.name + ".sha256").exists()
    _damage(path, damage)
    with pytest.warns(caching.CacheWarning, match="computing it again"):
        value = caching.cached("toy", {"n": 1}, compute)
    assert torch.equal(value, torch.arange(1000.0)) and len(calls) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(caching.cached("toy", {"n": 1}, compute), torch.arange(1000.0))
    assert len(calls) == 2  # repaired on disk


def test_load_entry_checks_what_atomic_save_wrote(tmp_path):
    """The pair used directly by code that keeps its own entries (trained models)."""
    path = tmp_path / "model.pt"
    caching.atomic_save({"w": torch.ones(3)}, path)
    assert torch.equal(caching.load_entry(path, map_location="cpu")["w"], torch.ones(3))
    raw = bytearray(path.read_bytes())
    raw[raw.find(torch.ones(3).numpy().tobytes())] ^= 0x01
    path.write_bytes(bytes(raw))
    with pytest.warns(caching.CacheWarning, match="does not match its sha256"):
        assert caching.load_entry(path) is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.pt", "model.pt.sha256"]


def test_entry_from_before_checksums_is_adopted(cache):
    """An entry written before checksums existed is read as it is and gets one."""
    compute, calls = _counting(torch.arange(4.0))
    caching.cached("toy", {"n": 2}, compute)
    path = caching.result_path("toy", {"n": 2})
    checksum = path.with_name(path.name + ".sha256")
    checksum.unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert torch.equal(caching.cached("toy", {"n": 2}, compute), torch.arange(4.0))
    assert len(calls) == 1 and checksum.exists()


def test_parameters_that_cannot_be_hashed_are_refused():
    with pytest.raises(TypeError, match="cannot hash parameter of type object"):
        caching.param_hash({"x": object()})


def test_tensor_fingerprint_names_values_not_layout():
    x = torch.arange(12.0).view(3, 4)
    assert caching.tensor_fingerprint([x]) == caching.tensor_fingerprint([x.t().contiguous().t()])
    assert len(caching.tensor_fingerprint([x])) == 16
    y = x.clone()
    y[2, 3] += 1
    assert caching.tensor_fingerprint([x]) != caching.tensor_fingerprint([y])
    assert caching.tensor_fingerprint([x, y]) != caching.tensor_fingerprint([y, x])
    # the same digest as the Lancione trainings' former _fingerprint: their keys are unchanged
    import hashlib

    expected = hashlib.sha256(x.numpy().tobytes() + y.numpy().tobytes()).hexdigest()[:16]
    assert caching.tensor_fingerprint([x, y]) == expected


def test_results_of_other_kernels_get_other_keys():
    """The book's portable kernels keep the plain key (entries written before stay
    valid); any other set of kernels, e.g. CONNECTIVITY_KERNELS=native, is kept apart."""
    params = {"n": 5}
    portable = caching.kernels_key(params, environ=dict(kernels.PORTABLE))
    assert portable == params
    native = caching.kernels_key(params, environ={})
    other_isa = caching.kernels_key(
        params, environ={**kernels.PORTABLE, "ONEDNN_MAX_CPU_ISA": "AMX"}
    )
    hashes = {caching.param_hash(k) for k in (portable, native, other_isa)}
    assert len(hashes) == 3
