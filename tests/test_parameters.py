"""Parameters through papermill on a real notebook: a misspelled name,
a float for an int, a string for a number and an unknown dict key are refused by the
settings cell, before any data or model is loaded; a JSON dict string (``-p``) and a
YAML mapping (``-y``) are accepted and used as written.

Each case runs the papermill command line, as a user types it, on
``notebooks/classifiers.py`` converted with jupytext. A refusal is proved by what did
*not* happen, never by how fast it was (on an AVX2 machine the same refusal took 5-6 s of
processor time on a 2-core AVX2 machine, where the old bound was 5 s):

* the notebook stopped in the settings cell: that cell failed with the expected
  ``ParameterError`` and message, every earlier cell completed and every later one is
  pending with no output and no execution count;
* the kernel read no data and built no model: a watch that the kernel runs before any
  cell (an IPython start-up file, :data:`WATCH`) logs, the moment they happen, every file
  opened, folder made or listed under the data, cache and build folders, every
  ``torch.nn.Module`` constructed and every network connection, and the log holds
  nothing but its first line (``test_the_watch_sees_what_a_refusal_must_not_do`` shows
  that it sees each of these);
* nothing was written: the cache folder (``CONNECTIVITY_CACHE``) and the build folder
  (``CONNECTIVITY_BUILD``, where scorecard records go) named for the run do not exist.

A wall-clock bound of :data:`BACKSTOP_SECONDS` per run stays only as a backstop against
a run that trains instead of refusing; it is not the property tested. An accepted run
executes a copy of the notebook cut after the settings cell, plus one cell that prints
the resolved settings as JSON (instead of training three networks), under the same
watch.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO

from connectivity.pages.classifiers import ClassifiersSettings

NOTEBOOK = REPO / "notebooks" / "classifiers.py"
BIN = Path(sys.executable).parent
SETTINGS_LINE = "settings = ClassifiersSettings.from_notebook(globals())"
PROBE = "import json\nprint(json.dumps(settings.as_dict(), default=str))"
# A backstop, not the property tested: a refusal (or an accepted run of the cut notebook)
# takes 4-7 s of wall time on the development machine (a 2-core AVX2 machine
# used 5-6 s of processor time), almost all of it the kernel's start and the imports; a
# run that went on to load data and train would take minutes. What a refusal must not do
# is checked by what did not happen (see the module docstring).
BACKSTOP_SECONDS = 30.0

# The watch: an IPython start-up file, so the kernel runs it before any cell of the
# notebook (which stays as the user has it). It writes each event at once, with a file
# descriptor opened before the audit hook is installed (so its own writes raise no
# event), and never lets an error of its own reach the code it watches.
WATCH = """\
import os
import sys

import torch

_fd = os.open(os.environ["PARAMETER_TEST_WATCH_LOG"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
_roots = tuple(os.environ["PARAMETER_TEST_WATCH_ROOTS"].split(os.pathsep))
_path_events = {"open", "os.mkdir", "os.listdir", "os.scandir", "os.rename", "os.remove"}


def _log(kind, what):
    os.write(_fd, f"{kind}\\t{what}\\n".encode())


def _watched(path):
    try:
        p = os.path.realpath(os.fsdecode(path))
    except Exception:  # a file descriptor or None: not a path
        return False
    return any(p == r or p.startswith(r + os.sep) for r in _roots)


def _hook(event, args):
    try:
        if event in _path_events and args and _watched(args[0]):
            _log(event, os.fsdecode(args[0]))
        elif event in ("socket.connect", "socket.getaddrinfo"):
            _log(event, args[1] if event == "socket.connect" else args[0])
    except Exception:
        pass


_module_init = torch.nn.Module.__init__


def _watched_module_init(self, *args, **kwargs):
    _log("model", f"{type(self).__module__}.{type(self).__qualname__}")
    _module_init(self, *args, **kwargs)


torch.nn.Module.__init__ = _watched_module_init
sys.addaudithook(_hook)
_log("watching", os.getpid())
"""


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


@dataclasses.dataclass
class Run:
    """One papermill run: the process, the executed notebook, the watch's log (its first
    line, ``watching``, dropped once checked), the wall time and the folders named as
    cache (``CONNECTIVITY_CACHE``) and build folder (``CONNECTIVITY_BUILD``)."""

    proc: subprocess.CompletedProcess
    nb: dict
    watched: list[str]
    wall_seconds: float
    cache: Path
    build: Path


def _data_roots(tmp_path: Path) -> list[Path]:
    """Where the kernel could read data: ``../shared/data`` beside the project and beside
    its working directory (``data.shared_candidates``), ``$CONNECTIVITY_DATA`` and
    ``$CONNECTIVITY_IMAGENET``."""
    roots = [REPO.parent / "shared" / "data", tmp_path.parent / "shared" / "data"]
    roots += [
        Path(os.environ[v])
        for v in ("CONNECTIVITY_DATA", "CONNECTIVITY_IMAGENET")
        if os.environ.get(v)
    ]
    return roots


def _papermill(src: Path, tmp_path: Path, *args: str) -> Run:
    """Run the papermill command line with the watch in its kernel, private cache and
    build folders that do not exist yet, and the kernel's working folder in tmp_path."""
    out, log = tmp_path / "out.ipynb", tmp_path / "watch.log"
    cache, build = tmp_path / "cache", tmp_path / "_build"
    startup = tmp_path / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-watch.py").write_text(WATCH)
    roots = [os.path.realpath(p) for p in (*_data_roots(tmp_path), cache, build)]
    env = {
        **os.environ,
        "CONNECTIVITY_BUILD": str(build),
        "CONNECTIVITY_CACHE": str(cache),
        "IPYTHONDIR": str(tmp_path / "ipython"),
        "PARAMETER_TEST_WATCH_LOG": str(log),
        "PARAMETER_TEST_WATCH_ROOTS": os.pathsep.join(roots),
    }
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
        timeout=120,  # the hard stop; BACKSTOP_SECONDS is checked after the run
    )
    wall = time.perf_counter() - t0
    lines = log.read_text().splitlines() if log.exists() else []
    assert lines and lines[0].startswith("watching"), (
        f"the watch did not start in the kernel: {lines[:3]}\n{proc.stderr[-2000:]}"
    )
    return Run(proc, json.loads(out.read_text()), lines[1:], wall, cache, build)


def _assert_nothing_done(run: Run) -> None:
    """No data read, no model built, no connection made, nothing cached or recorded."""
    assert not run.watched, "the kernel did work:\n" + "\n".join(run.watched[:20])
    assert not run.cache.exists(), f"work was cached: {sorted(run.cache.rglob('*'))[:10]}"
    assert not run.build.exists(), (
        f"the build folder was written: {sorted(run.build.rglob('*'))[:10]}"
    )
    # a backstop only (see BACKSTOP_SECONDS): the property is what did not happen
    assert run.wall_seconds < BACKSTOP_SECONDS, f"the run took {run.wall_seconds:.0f} s"


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
            "Valid: cifar100_vgg, cifar10_resnet, cifar10_vgg, device, n_examples, profile.",
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
    run = _papermill(notebooks["full"], tmp_path, *args)
    assert run.proc.returncode != 0, "papermill exited 0 on a bad parameter"
    failed, error = _refusal(run.nb)
    assert error["ename"] == "ParameterError"
    for message in messages:
        assert message in error["evalue"]
    cells = run.nb["cells"]
    assert SETTINGS_LINE in "".join(cells[failed]["source"]), (
        "the refusal must come from the settings cell"
    )
    assert cells[failed]["metadata"]["papermill"]["status"] == "failed"
    earlier = [c for c in cells[:failed] if c["cell_type"] == "code"]
    assert earlier and all(c["metadata"]["papermill"]["status"] == "completed" for c in earlier)
    later = [c for c in cells[failed + 1 :] if c["cell_type"] == "code"]
    assert later, "the settings cell is the notebook's last code cell"
    for c in later:
        assert c["metadata"]["papermill"]["status"] == "pending", "a cell after the settings ran"
        assert not c.get("outputs") and c.get("execution_count") is None
    _assert_nothing_done(run)


def test_json_and_yaml_dicts_are_used_as_written(notebooks, tmp_path):
    """``-p cifar10_vgg '{"epochs": 1}'`` (JSON text, as the README shows) and
    ``-y 'cifar100_vgg: {lr: 0.05}'`` (a YAML mapping) change only the keys they name."""
    run = _papermill(
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
    assert run.proc.returncode == 0, run.proc.stderr[-2000:]
    got = _probe(run.nb)
    ci = ClassifiersSettings.resolve("ci")
    expected = dataclasses.replace(
        ci,
        cifar10_vgg=dataclasses.replace(ci.cifar10_vgg, epochs=1),
        cifar100_vgg=dataclasses.replace(ci.cifar100_vgg, lr=0.05, arch_kwargs={"width": 0.5}),
        n_examples=7,
    )
    assert got == json.loads(json.dumps(expected.as_dict(), default=str))
    assert got != json.loads(json.dumps(ci.as_dict(), default=str))  # the override took
    _assert_nothing_done(run)  # resolving the settings loads and builds nothing either


def test_profile_parameter_selects_the_profiles_values(notebooks, tmp_path):
    run = _papermill(notebooks["head"], tmp_path, "-p", "profile", "smoke")
    assert run.proc.returncode == 0, run.proc.stderr[-2000:]
    got = _probe(run.nb)
    smoke = ClassifiersSettings.resolve("smoke")
    assert got == json.loads(json.dumps(smoke.as_dict(), default=str))


# what the control cell does, each of which the watch must log
CONTROL = """\
import os
import socket
from pathlib import Path

import torch

from connectivity.data import shared_candidates
from connectivity.locations import build_dir, cache_dir

for folder in shared_candidates():
    if folder.is_dir():
        os.listdir(folder)
image = sorted(Path(os.environ["CONNECTIVITY_IMAGENET"]).rglob("*.png"))[0]
image.read_bytes()
(cache_dir("control") / "x.pt").write_bytes(b"")
(build_dir("records") / "control.json").write_text("{}")
torch.nn.Linear(2, 2)
try:
    socket.getaddrinfo("localhost", 80)
except OSError:
    pass
"""


def test_the_watch_sees_what_a_refusal_must_not_do(tmp_path):
    """The control for the refusals' "nothing happened": a notebook that reads the data
    folders and an image, writes to the cache and build folders, builds a layer and looks
    up a host, run the same way, leaves each of these in the watch's log."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(CONTROL)])
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    src = tmp_path / "control.ipynb"
    nbformat.write(nb, src)
    run = _papermill(src, tmp_path)
    assert run.proc.returncode == 0, run.proc.stderr[-2000:]
    kinds = {line.split("\t")[0] for line in run.watched}
    text = "\n".join(run.watched)
    shared = [p for p in _data_roots(tmp_path)[:2] if p.is_dir()]
    for folder in shared:
        assert f"os.listdir\t{folder}" in text, text
    assert str(os.environ["CONNECTIVITY_IMAGENET"]) in text
    assert f"open\t{run.cache}" in text and f"os.mkdir\t{run.cache}" in text
    assert f"open\t{run.build}" in text
    assert "model\ttorch.nn.modules.linear.Linear" in run.watched
    assert "socket.getaddrinfo" in kinds
    with pytest.raises(AssertionError, match="the kernel did work"):
        _assert_nothing_done(run)
