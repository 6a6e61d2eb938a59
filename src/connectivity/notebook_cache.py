"""A notebook is not executed again when nothing it depends on changed.

An executed page is kept in the cache (``.cache/notebooks/<notebook>/<key>/``: the
executed notebook, its scorecard records and its timing row) under a key made of
everything its numbers depend on (:func:`notebook_key`):

* the notebook's source (``notebooks/<name>.py``: prose included — a changed sentence
  executes that page again, no other);
* its parameters and profile;
* the library (every file of ``src/connectivity``: code, the committed models and their
  manifest, the data's reference order) and ``requirements.txt``;
* the kernels (portable, or the machine's own with its instruction set), the device;
* the Python and torch versions;
* for the pages that read the build itself (:data:`READS_THE_BUILD`: the scorecard and
  the Performance page), the records and timing rows of the pages before them and the
  expected verdicts; for the page that times this machine (:data:`MEASURES_THE_MACHINE`),
  the machine (its page says when it measured).

The data are not in the key as files: every source is put into one reference order and
checked against its sha256 (:mod:`connectivity.data.order`), so what a page reads is
the same arrays wherever they came from, and that reference is part of the library. The
folder named by ``CONNECTIVITY_DATA`` is in the key, so a page runs (and checks it) when
a reader names another.

The runner (:mod:`connectivity.runner`) looks a page up before executing it; on a hit it
restores the executed notebook and the records and says so; ``--force`` executes every
page again. Entries are written only for a page that ran without error, through a
temporary folder renamed into place, with the sha256 of every file beside them; a damaged
entry is executed again, never served.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from . import devices, provenance
from .caching import _file_sha256
from .kernels import PORTABLE
from .locations import build_dir, cache_dir

# the library whose every file is in the key
LIBRARY = Path(__file__).resolve().parent
# pages that read the build (records, timings, expected verdicts): their key holds those
READS_THE_BUILD = ("scorecard", "performance")
# pages that time this machine: their key holds the machine (a reused page says when it ran)
MEASURES_THE_MACHINE = ("performance",)
# bump when what an entry holds changes
FORMAT = 1


def tree_digest(folder: Path, patterns: tuple[str, ...] = ("*",)) -> str:
    """sha256 over the relative paths and contents of the files below ``folder``
    (caches of compiled Python left out)."""
    h = hashlib.sha256()
    files = sorted(
        {p for pattern in patterns for p in folder.rglob(pattern) if p.is_file()},
        key=lambda p: p.relative_to(folder).as_posix(),
    )
    for p in files:
        rel = p.relative_to(folder).as_posix()
        if "__pycache__" in rel or rel.endswith((".pyc", ".tmp")):
            continue
        h.update(rel.encode() + b"\0" + _file_sha256(p).encode() + b"\n")
    return h.hexdigest()


def machine() -> str:
    """The CPU's model name and core count, and the GPU's name where there is one."""
    hw = provenance.hardware()
    return f"{hw['cpu']}, {hw['cores']} cores, {hw['gpu'] or 'no GPU'}"


def _build_inputs(root: Path, before: list[str]) -> dict[str, Any]:
    """What a page that reads the build reads: the records and timing rows of the pages
    run before it, and the expected verdicts."""
    runs = build_dir("scorecard", "runs")
    records = {}
    for name in before:
        folder = runs / name.replace("/", "__")
        files = sorted(folder.glob("*.json")) if folder.is_dir() else []
        records[name] = [_file_sha256(p) for p in files]
    timings_path = build_dir() / "timings.json"
    rows = (
        json.loads(timings_path.read_text()).get("full", {}).get("rows", [])
        if (timings_path.exists())
        else []
    )
    keep = ("notebook", "profile", "status", "seconds", "executed")
    expected = root / "book" / "expected_verdicts.yml"
    return {
        "records": records,
        # in book order: pages run side by side (--jobs) end in any order
        "timings": sorted(
            ({k: r.get(k) for k in keep} for r in rows if r.get("notebook") in before),
            key=lambda r: before.index(r["notebook"]),
        ),
        "expected": _file_sha256(expected) if expected.exists() else None,
    }


def notebook_key(
    root: Path,
    name: str,
    profile: str,
    parameters: dict | None,
    before: list[str],
    environ: Mapping[str, str],
) -> str:
    """The key of notebook ``name`` run now with ``profile`` and ``parameters`` in a
    kernel of environment ``environ`` (see the module's docstring); ``before`` are the
    pages before it in the book."""
    parts: dict[str, Any] = {
        "format": FORMAT,
        "notebook": name,
        "source": _file_sha256(root / "notebooks" / f"{name}.py"),
        "profile": profile,
        "parameters": json.dumps(parameters or {}, sort_keys=True, default=str),
        "library": tree_digest(LIBRARY),
        "requirements": _file_sha256(root / "requirements.txt")
        if (root / "requirements.txt").exists()
        else None,
        "kernels": provenance.kernels(environ),
        "kernel_variables": {k: environ.get(k) for k in sorted(PORTABLE)},
        "device": devices.key_name(dict(environ)),
        # where the data are looked for: a named folder is checked when the page runs
        "data_folder": environ.get("CONNECTIVITY_DATA", ""),
        "python": platform.python_version(),
        "torch": torch.__version__,
    }
    if name in READS_THE_BUILD:
        parts["build"] = _build_inputs(root, before)
    if name in MEASURES_THE_MACHINE:
        parts["machine"] = machine()
    text = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _entry(name: str, key: str) -> Path:
    return cache_dir("notebooks", name.replace("/", "__")) / key


def _checksums(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): _file_sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "sha256.json"
    }


def store(root: Path, name: str, key: str, row: dict, executed: Path, records: Path) -> None:
    """Keep the executed notebook, the records folder and the timing row of a page that
    ran without error under ``key``."""
    entry = _entry(name, key)
    tmp = Path(tempfile.mkdtemp(dir=entry.parent, prefix=key + "."))
    try:
        shutil.copy2(executed, tmp / "executed.ipynb")
        (tmp / "records").mkdir()
        if records.is_dir():  # a page may write no record
            shutil.copytree(records, tmp / "records", dirs_exist_ok=True)
        (tmp / "row.json").write_text(json.dumps(row, indent=1))
        (tmp / "sha256.json").write_text(json.dumps(_checksums(tmp), indent=1))
        if entry.exists():
            shutil.rmtree(entry)
        os.replace(tmp, entry)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def restore(name: str, key: str, executed: Path, records: Path) -> dict | None:
    """The timing row of the entry under ``key`` after copying its executed notebook to
    ``executed`` and its records to ``records``; ``None`` when there is no such entry or
    it does not match its checksums."""
    entry = _entry(name, key)
    sums = entry / "sha256.json"
    if not sums.exists():
        return None
    try:
        if json.loads(sums.read_text()) != _checksums(entry):
            return None
        row = json.loads((entry / "row.json").read_text())
    except (OSError, ValueError):
        return None
    executed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(entry / "executed.ipynb", executed)
    if records.exists():
        shutil.rmtree(records)
    shutil.copytree(entry / "records", records)
    return row
