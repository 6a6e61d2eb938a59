"""Parameters through papermill on a real notebook (issue 15, item 1): a misspelled name,
a float for an int, a string for a number and an unknown dict key are refused by the
settings cell, before any data or model is loaded; a JSON dict string (``-p``) and a
YAML mapping (``-y``) are accepted and used as written.

Each case runs the papermill command line, as a user types it, on
``notebooks/classifiers.py`` converted with jupytext. A refused run must stop *in the
settings cell* (every later cell left pending) within 5 s of notebook time (the sum of
the executed cells' durations that papermill records; the kernel's start-up is not the
notebook's work). An accepted run executes a copy of the notebook cut after the settings
cell, plus one cell that prints the resolved settings as JSON, so the check stays
under 5 s instead of training three networks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO

from connectivity.classifiers import ClassifierSettings

NOTEBOOK = REPO / "notebooks" / "classifiers.py"
BIN = Path(sys.executable).parent
SETTINGS_LINE = "settings = ClassifierSettings.from_notebook(globals())"
PROBE = "import json\nprint(json.dumps(settings.as_dict(), default=str))"
CPU_SECONDS = 5.0


def _settings_cell_index(nb) -> int:
    return next(i for i, c in enumerate(nb.cells) if SETTINGS_LINE in c.source)


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory) -> dict[str, Path]:
    """The real notebook as .ipynb (jupytext, as the README says), and its first cells
    up to the settings cell plus a probe cell."""
    folder = tmp_path_factory.mktemp("papermill")
    full = folder / "classifiers.ipynb"
    subprocess.run(
        [str(BIN / "jupytext"), "--to", "ipynb", "-o", str(full), str(NOTEBOOK), "-q"],
        check=True,
        timeout=60,
    )
    nb = nbformat.read(full, as_version=4)
    cut = nbformat.from_dict(nb)
    cut.cells = nb.cells[: _settings_cell_index(nb) + 1] + [nbformat.v4.new_code_cell(PROBE)]
    head = folder / "classifiers_head.ipynb"
    nbformat.write(cut, head)
    return {"full": full, "head": head}


def _papermill(src: Path, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    """Run the papermill command line; ``proc.cpu_seconds`` is the processor time it and
    its kernel used, ``proc.wall_seconds`` its wall time."""
    out = tmp_path / "out.ipynb"
    env = {
        **os.environ,
        "CONNECTIVITY_BUILD": str(tmp_path / "_build"),
        "CONNECTIVITY_CACHE": str(tmp_path / "cache"),  # nothing may be computed or cached
    }
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            str(BIN / "papermill"),
            str(src),
            str(out),
            "-k",
            "python3",
            "--cwd",
            str(tmp_path),
            *args,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc.wall_seconds = time.perf_counter() - t0
    proc.cpu_seconds = sum(getattr(after, f) - getattr(before, f) for f in ("ru_utime", "ru_stime"))
    return proc, json.loads(out.read_text())


def _assert_cheap(proc) -> None:
    assert proc.cpu_seconds < CPU_SECONDS, (
        f"papermill and its kernel used {proc.cpu_seconds:.1f} s of processor time "
        f"({proc.wall_seconds:.1f} s wall)"
    )


def _probe(nb: dict) -> dict:
    """The settings the probe cell printed (as JSON)."""
    text = "".join("".join(o.get("text", "")) for o in nb["cells"][-1]["outputs"])
    return json.loads(text)


def _refusal(nb: dict) -> tuple[int, dict]:
    """Index of the cell that failed and its error output."""
    for i, cell in enumerate(nb["cells"]):
        for o in cell.get("outputs", []):
            if o.get("output_type") == "error":
                return i, o
    raise AssertionError("no cell failed")


REFUSED = [
    # misspelled name: the valid names and the nearest match
    (
        ["-p", "n_exampels", "3"],
        [
            "unknown parameter 'n_exampels'. Did you mean 'n_examples'?",
            "Valid: cifar100_vgg, cifar10_resnet, cifar10_vgg, n_examples, profile.",
        ],
    ),
    # a float for an int (papermill's -p turns "2.5" into a float)
    (["-p", "n_examples", "2.5"], ["parameter 'n_examples' expects an int, got float 2.5"]),
    # a string for an int
    (["-p", "n_examples", "abc"], ["parameter 'n_examples' expects an int, got str 'abc'"]),
    # a string for a float, inside a JSON dict
    (
        ["-p", "cifar10_vgg", '{"lr": "fast"}'],
        ["parameter 'cifar10_vgg.lr' expects a float, got str 'fast'"],
    ),
    # an unknown key of a dict parameter
    (
        ["-p", "cifar10_vgg", '{"epoch": 1}'],
        ["unknown key of 'cifar10_vgg' 'epoch'. Did you mean 'epochs'?", "batch_size"],
    ),
    # out of the declared range
    (["-p", "n_examples", "0"], ["parameter 'n_examples' = 0 is out of range [1, 100]"]),
    # text that is neither JSON nor a mapping
    (["-p", "cifar10_vgg", '{"epochs": 1'], ["parameter 'cifar10_vgg'"]),
    # an unknown profile
    (["-p", "profile", "laptop"], ["unknown profile 'laptop'", "smoke-paper"]),
]


@pytest.mark.parametrize("args,messages", REFUSED, ids=[" ".join(a) for a, _ in REFUSED])
def test_bad_parameter_stops_the_notebook_in_its_settings_cell(notebooks, tmp_path, args, messages):
    proc, nb = _papermill(notebooks["full"], tmp_path, *args)
    assert proc.returncode != 0, "papermill exited 0 on a bad parameter"
    failed, error = _refusal(nb)
    assert error["ename"] == "ParameterError"
    for message in messages:
        assert message in error["evalue"]
    assert SETTINGS_LINE in "".join(nb["cells"][failed]["source"]), (
        "the refusal must come from the settings cell"
    )
    later = [c for c in nb["cells"][failed + 1 :] if c["cell_type"] == "code"]
    assert later and all(not c.get("outputs") for c in later), "cells after the settings ran"
    assert all(c["metadata"]["papermill"]["status"] == "pending" for c in later)
    assert not (tmp_path / "cache").exists(), "work was cached before the parameters were checked"
    _assert_cheap(proc)


def test_json_and_yaml_dicts_are_used_as_written(notebooks, tmp_path):
    """``-p cifar10_vgg '{"epochs": 1}'`` (JSON text, as the README shows) and
    ``-y 'cifar100_vgg: {lr: 0.05}'`` (a YAML mapping) change only the keys they name."""
    proc, nb = _papermill(
        notebooks["head"],
        tmp_path,
        "-p",
        "cifar10_vgg",
        '{"epochs": 1}',
        "-y",
        "cifar100_vgg: {lr: 0.05, arch_kwargs: {width: 0.5}}",
        "-p",
        "n_examples",
        "7",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = _probe(nb)
    ci = ClassifierSettings.resolve("ci")
    expected = dataclasses.replace(
        ci,
        cifar10_vgg=dataclasses.replace(ci.cifar10_vgg, epochs=1),
        cifar100_vgg=dataclasses.replace(ci.cifar100_vgg, lr=0.05, arch_kwargs={"width": 0.5}),
        n_examples=7,
    )
    assert got == json.loads(json.dumps(expected.as_dict(), default=str))
    assert got != json.loads(json.dumps(ci.as_dict(), default=str))  # the override took
    _assert_cheap(proc)


def test_profile_parameter_selects_the_profiles_values(notebooks, tmp_path):
    proc, nb = _papermill(notebooks["head"], tmp_path, "-p", "profile", "smoke")
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = _probe(nb)
    smoke = ClassifierSettings.resolve("smoke")
    assert got == json.loads(json.dumps(smoke.as_dict(), default=str))
