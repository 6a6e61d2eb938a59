"""Executing the book's pages: papermill runs a page's notebook on the book's kernel
(:func:`execute`), or :mod:`.notebook_cache` restores it when nothing it depends on
changed (:func:`execute_or_reuse`); :func:`run_pages` runs the chosen pages, with
``--jobs N`` N at a time in their own processes. The runner (:mod:`.runner`) calls it.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import notebook_cache, scorecard
from .checkpoints import ModelIntegrityError
from .data import DataIntegrityError, DataNotFoundError
from .errors import ReaderError
from .kernels import KERNEL_DISPLAY_NAME, kernels_mode, portable_environment, registered_kernel
from .locations import build_dir
from .provenance import PROFILE_ENV
from .reader_checkpoint import CheckpointError
from .timings import load_timings
from .toc import EXECUTED


def reader_error_names() -> set[str]:
    """The class names of the errors a reader can mend (:class:`ReaderError` and every
    subclass): a notebook that stops on one of them ends the runner in one line."""
    # the modules that define them, imported here: a subclass exists once its module ran
    found, todo = (
        set(),
        [
            ReaderError,
            DataNotFoundError,
            DataIntegrityError,
            ModelIntegrityError,
            CheckpointError,
        ],
    )
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def _registered() -> str | None:
    return registered_kernel() if kernels_mode() == "portable" else None


def notebook_kernel() -> str:
    """The kernel papermill runs a staged notebook on (:func:`stage_notebook`)."""
    return _registered() or "python3"


def stage_notebook(src: Path, staged: Path) -> Path:
    """Write the Jupytext source ``src`` as the notebook ``staged`` for papermill, naming
    the kernel `make install` registers (the notebooks' own, with the portable kernels'
    variables) where it is registered for this Python, else this Python's own."""
    import jupytext
    import nbformat

    nb = jupytext.read(src)
    kernel = _registered()
    nb.metadata["kernelspec"] = {
        "name": kernel or "python3",
        "display_name": KERNEL_DISPLAY_NAME if kernel else "Python 3",
        "language": "python",
    }
    staged.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, staged)
    return staged


def execute(
    name: str, root: Path, profile: str, cell_timeout: int, extra: dict | None = None
) -> dict:
    """Execute one notebook with papermill; returns its timing row."""
    import papermill as pm

    src = root / "notebooks" / f"{name}.py"
    if not src.is_file():
        return {
            "notebook": name,
            "status": "failed",
            "seconds": 0.0,
            "error": f"missing source {src}",
        }
    staged = stage_notebook(src, build_dir("papermill-input") / f"{name}.ipynb")
    out = root / EXECUTED / f"{name}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    # the kernel inherits these: records are tagged with the notebook, paths resolve to
    # root, and the numbers come from the same kernels on every CPU (connectivity.kernels)
    env = {k: v for k, v in portable_environment().items() if os.environ.get(k) != v} | {
        "CONNECTIVITY_NOTEBOOK": name,
        "CONNECTIVITY_ROOT": str(root),
        PROFILE_ENV: profile,
    }
    saved = {k: os.environ.get(k) for k in env}  # only what changes, restored after
    os.environ.update(env)
    scorecard.clear(name)
    t0 = time.perf_counter()
    row = {
        "notebook": name,
        "profile": profile,
        "status": "ok",
        "error": "",
        "executed": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    try:
        pm.execute_notebook(
            str(staged),
            str(out),
            parameters={"profile": profile, **(extra or {})},
            kernel_name=notebook_kernel(),
            execution_timeout=cell_timeout,
            progress_bar=False,
            cwd=str(src.parent),
            log_output=False,
        )
        tidy_for_readers(out)
    except Exception as e:  # PapermillExecutionError, timeouts, kernel deaths
        row["status"] = "failed"
        # papermill's error carries the kernel's exception: its class and whole message
        ename, evalue = getattr(e, "ename", None), getattr(e, "evalue", None)
        if ename:
            row["error"] = f"{ename}: {' '.join(str(evalue).split())}"[:800]
            row["reader_error"] = ename in reader_error_names()
        else:
            last = str(e).strip().splitlines()[-1] if str(e).strip() else ""
            row["error"] = f"{type(e).__name__}: {last}"[:500]
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    row["seconds"] = round(time.perf_counter() - t0, 1)
    return row


def execute_or_reuse(
    name: str, root: Path, args: argparse.Namespace, extra: dict, before: list[str]
) -> dict:
    """The page executed (:func:`execute`), or restored from :mod:`.notebook_cache` when
    nothing it depends on changed since it last ran without error (not with --force)."""
    environ = portable_environment() | {PROFILE_ENV: args.profile}
    key = notebook_cache.notebook_key(root, name, args.profile, extra, before, environ)
    executed, records = root / EXECUTED / f"{name}.ipynb", scorecard.records_dir(name)
    if not args.force:
        row = notebook_cache.restore(name, key, executed, records)
        if row is not None:
            return row | {"reused": True}
    row = execute(name, root, args.profile, args.cell_timeout, extra)
    if row["status"] == "ok":
        notebook_cache.store(root, name, key, row, executed, records)
    return row


# The pages that take longest (measured on a 2-core EPYC, ci): with --jobs, started first
# when no earlier run's times are at hand, so that no long page starts last.
LONGEST_FIRST = (
    "vrabel2024/06_detection",
    "vrabel2024/02_synthetic_untrained",
    "vrabel2024/03_training_dynamics",
    "lancione/03_results",
    "lancione/02_methods",
)


def page_order(pages: list[str]) -> list[str]:
    """``pages`` longest first: by the last run's times (``_build/timings.json``), else by
    :data:`LONGEST_FIRST`, then in book order."""
    last = {r["notebook"]: r["seconds"] for r in load_timings()["full"]["rows"]}
    if all(p in last for p in pages):
        return sorted(pages, key=lambda p: -last[p])
    hinted = [p for p in LONGEST_FIRST if p in pages]
    return hinted + [p for p in pages if p not in hinted]


def run_pages(
    chosen: list[str],
    names: list[str],
    root: Path,
    args: argparse.Namespace,
    extra: dict,
    done: Callable[[dict], None],
) -> None:
    """Execute (or reuse) the chosen pages, calling ``done(row)`` as each ends. With
    ``--jobs N`` (N > 1) the pages that read no other page's output run N at a time, each
    in its own process and kernel (longest first); many pages keep one core busy, and a
    page's numbers do not depend on what runs beside it (each kernel has its own fixed
    thread count; cached results are written atomically). The pages that read the build
    (:data:`~connectivity.notebook_cache.READS_THE_BUILD`: the scorecard, the Performance
    page, which times this machine) run after them, one at a time, in book order."""
    alone = [n for n in chosen if n in notebook_cache.READS_THE_BUILD]
    together = [n for n in chosen if n not in alone]
    sequence = chosen  # one at a time, in book order
    if args.jobs > 1 and len(together) > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=args.jobs, mp_context=context) as pool:
            futures = []
            for name in page_order(together):
                print(f"[{chosen.index(name) + 1}/{len(chosen)}] {name} ...", flush=True)
                before = names[: names.index(name)]
                futures.append(pool.submit(execute_or_reuse, name, root, args, extra, before))
            for future in as_completed(futures):
                done(future.result())
        sequence = alone
    for name in sequence:
        print(
            f"[{chosen.index(name) + 1}/{len(chosen)}] {name} (profile {args.profile}) ...",
            flush=True,
        )
        done(execute_or_reuse(name, root, args, extra, names[: names.index(name)]))


def tidy_for_readers(path: Path) -> None:
    """Papermill's injected-parameters cell is plumbing: removed from the page; the
    parameters cell stays, collapsed, so a reader can see what can be changed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.setdefault("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            tags.append("remove-cell")
        if "parameters" in tags and "hide-input" not in tags:
            tags.append("hide-input")
    nbformat.write(nb, path)
