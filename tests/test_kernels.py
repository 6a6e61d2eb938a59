"""The portable kernels the book runner gives every notebook (connectivity.kernels)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from connectivity import execution, kernels

# what the kernels of a notebook report they run on: torch's vectorised loops, its
# threads, and the BLAS of numpy and scipy (scikit-learn's)
REPORT = """
import json, torch, numpy, scipy.linalg
from threadpoolctl import threadpool_info
blas = sorted({i.get("architecture") for i in threadpool_info() if i["internal_api"] == "openblas"})
print(json.dumps({"torch": torch.backends.cpu.get_cpu_capability(),
                  "threads": torch.get_num_threads(), "openblas": blas}))
"""


def test_portable_environment_sets_every_library_and_keeps_the_rest():
    env = kernels.portable_environment({"PATH": "/bin", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"})
    assert env["PATH"] == "/bin"
    for name, value in kernels.PORTABLE.items():
        assert env[name] == value
    native = {"CONNECTIVITY_KERNELS": "native", "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}
    assert kernels.portable_environment(native) == native | kernels.WAITING


def test_threads_wait_passively_in_both_modes_unless_set():
    for mode in ("portable", "native"):
        env = kernels.portable_environment({"CONNECTIVITY_KERNELS": mode})
        assert env["OMP_WAIT_POLICY"] == "PASSIVE"
    explicit = {"OMP_WAIT_POLICY": "ACTIVE"}
    assert kernels.portable_environment(explicit)["OMP_WAIT_POLICY"] == "ACTIVE"


def test_a_misspelt_kernels_mode_is_refused():
    with pytest.raises(ValueError, match="portable.*native"):
        kernels.portable_environment({"CONNECTIVITY_KERNELS": "avx2"})


@pytest.mark.timeout(120)
def test_the_libraries_obey_the_portable_environment():
    """Read when each library loads: checked in a fresh interpreter, as a notebook kernel."""
    env = kernels.portable_environment({**os.environ, "CONNECTIVITY_KERNELS": "portable"})
    out = subprocess.run(
        [sys.executable, "-c", REPORT], env=env, capture_output=True, text=True, timeout=100
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen == {"torch": "AVX2", "threads": kernels.THREADS, "openblas": ["Haswell"]}


def test_the_runner_runs_notebooks_on_portable_kernels_and_restores_its_environment(
    tmp_path, monkeypatch
):
    import papermill

    seen = {}

    def fake_execute(*args, **kwargs):
        seen.update({k: os.environ.get(k) for k in (*kernels.PORTABLE, "CONNECTIVITY_NOTEBOOK")})

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    monkeypatch.setattr(execution, "tidy_for_readers", lambda path: None)
    monkeypatch.delenv("CONNECTIVITY_KERNELS", raising=False)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_AMX")
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "page.py").write_text('# %%\nprint("hello")\n')
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    row = execution.execute("page", tmp_path, "ci", cell_timeout=60)
    assert row["status"] == "ok", row
    assert seen == {**kernels.PORTABLE, "CONNECTIVITY_NOTEBOOK": "page"}
    assert os.environ["ONEDNN_MAX_CPU_ISA"] == "AVX512_CORE_AMX"
    assert "CONNECTIVITY_NOTEBOOK" not in os.environ
