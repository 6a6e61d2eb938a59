"""The package as a reader installs it (issue 34): the built wheel, installed with
``pip install --no-deps`` into a fresh virtual environment outside the repository that
sees this environment's packages (no second torch), carries the committed models and
the data's reference order; ``model_store --verify`` passes there and a page runs at
toy size with the data from a named folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import REPO, needs_data, shared_data

PAGE = """
import json, sys
import connectivity
from connectivity.pages.gu2023 import table1
assert connectivity.__file__.startswith(sys.prefix), connectivity.__file__  # the wheel's
study = table1.run(table1.Table1Settings.resolve("smoke"))
records = table1.report(study).records
json.dump({k: r.verdict for k, r in records.items()}, sys.stdout)
"""


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=500, **kw)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return proc


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory):
    """A virtual environment outside the repository with the built wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"  # a copy: the build leaves nothing in the checkout
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
          "-w", str(tmp / "dist"), str(source)])  # fmt: skip
    (wheel,) = (tmp / "dist").glob("connectivity-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    # this environment's packages (torch, ...) after the venv's own, without running its
    # .pth files: the editable install of the checkout stays invisible
    Path(purelib.stdout.strip(), "outer.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
          purelib.stdout.strip(), str(wheel)])  # fmt: skip
    return python, tmp


def _in_the_wheel_env(wheel_env, code_or_module, **extra_env):
    """Run ``python -c CODE`` (or ``-m MODULE`` for a list) in the wheel's environment,
    from a folder outside the repository, with a private cache and build folder."""
    python, tmp = wheel_env
    work = tmp / "elsewhere"
    work.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONNECTIVITY_")}
    env |= {"CONNECTIVITY_CACHE": str(tmp / "cache"), "CONNECTIVITY_BUILD": str(tmp / "b")}
    args = ["-m", *code_or_module] if isinstance(code_or_module, list) else ["-c", code_or_module]
    return _run([str(python), *args], cwd=work, env=env | extra_env).stdout


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_carries_the_models_and_the_data_order(wheel_env):
    out = _in_the_wheel_env(wheel_env, ["connectivity.model_store", "--verify"])
    assert "committed models verified" in out and f"{wheel_env[1]}/venv/" in out
    probe = "from connectivity.data import order; print(order.reference('cifar10', 'test')[1])"
    assert "52a9dc125982c044" in _in_the_wheel_env(wheel_env, probe)  # from the wheel


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_a_page_runs_from_the_wheel_with_data_from_a_named_folder(wheel_env):
    out = _in_the_wheel_env(wheel_env, PAGE, CONNECTIVITY_DATA=str(shared_data()))
    assert json.loads(out)["last"] == "check"  # the last layer: linear by construction, held
