"""Sweeps: one page of the book run over a list of parameter sets (checkpoints, seeds),
each set a papermill run, on Dask distributed; their scorecard records gathered into one
table and one figure. ``python -m connectivity.sweeps`` is its command.

Each run executes the page's notebook as the book runner does (:mod:`.execution`: the
book's kernel and portable kernels, ``-p profile`` and the set's parameters, refused by
the page's settings before any run starts), in a kernel of its own whose records go to
its own folder, ``<out>/runs/<run id>/`` (the executed notebook ``executed.ipynb``, the
records under ``build/scorecard/``, the kernel's own output ``kernel.log``, and
``run.json`` once it ran without error); the book's own pages and records are never
touched. The run id is :func:`~connectivity.caching.param_hash` of the page, profile and
parameters; a rerun reuses a finished run whose key
(:func:`~connectivity.notebook_cache.notebook_key`: the page's source, the library, the
kernels, the device, ...) is unchanged, and runs the others. A run that fails is
reported with its error; the others are kept.

Where the runs go (Dask distributed: ``pip install 'connectivity[sweeps]'``):

* no cluster: a ``LocalCluster`` of worker processes on this machine (``workers``,
  one run each at a time), or one worker thread (``processes=False``: papermill runs
  side by side in threads share an event loop);
* a scheduler's address (``tcp://host:8786``): an existing Dask cluster (a cloud GPU
  pool, Kubernetes, ``dask scheduler`` / ``dask worker --nthreads 1`` started by hand:
  one run per worker at a time); its workers need this project installed and the
  project folder at the same path (a shared file system);
* a SLURM cluster from a login node: :func:`slurm_cluster` (``dask-jobqueue``: each job
  one worker, submitted with ``sbatch``), ``--slurm JOBS`` on the command line.

GPU-aware: with ``gpus_per_run`` a run asks for that many ``GPU`` worker resources; the
local cluster gets one worker per that many visible GPUs, each run pinned to its
worker's (``CUDA_VISIBLE_DEVICES``); a remote or SLURM worker must offer them
(``dask worker --resources GPU=1``; :func:`slurm_cluster` asks SLURM with ``--gres``).
No scheduler is written here: Dask schedules.

>>> sets = parameter_sets(grid=["classifier_changes.seed=0,1,2"])
>>> sweep = run_sweep("gu2023/01_table1", sets, profile="smoke")  # doctest: +SKIP
>>> sweep.table[["classifier_changes.seed", "id", "value"]]  # doctest: +SKIP
>>> sweep.figure(spread="classifier_changes.seed")  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .caching import _jsonable, _write_atomic, param_hash
from .devices import DEVICE_ENV
from .errors import ReaderError, run_command
from .execution import notebook_kernel, reader_error_names, stage_notebook, tidy_for_readers
from .kernels import portable_environment
from .locations import build_dir, repo_root
from .notebook_cache import READS_THE_BUILD, notebook_key
from .parameters import parse_pairs, parse_value
from .provenance import PROFILE_ENV

# a run stopped by a reader's checkpoint refused is a reader's error (reader_error_names
# finds the error classes of the modules imported)
from .reader_checkpoint import CheckpointError  # noqa: F401
from .settings import PROFILES, ParameterError
from .toc import PAGES, settings_class

EXTRA = "sweeps"  # pip install 'connectivity[sweeps]': distributed, dask-jobqueue
RUN_FILE = "run.json"  # written once a run ended without error: what a rerun reuses
RECORD_FIELDS = ("id", "kind", "verdict", "reproduced", "paper", "unit", "n", "section")


class SweepError(ReaderError, ValueError):
    """A sweep refused before any run: an unknown page, a refused parameter set, no GPU."""


class EngineMissingError(ReaderError, ImportError):
    """Dask distributed (or dask-jobqueue) is not installed: the sweeps' optional extra."""


def _distributed():
    try:
        import distributed
    except ImportError as e:
        raise EngineMissingError(
            "sweeps run on Dask distributed, which is not installed here: pip install "
            f"'connectivity[{EXTRA}]' (make install installs it)"
        ) from e
    return distributed


# ---------------------------------------------------------------- the runs


def run_id(page: str, profile: str, parameters: Mapping[str, Any]) -> str:
    """The id (and folder name) of a run: :func:`param_hash` of its page, profile and
    parameters, so the same set finds the same folder in every sweep.

    >>> run_id("p", "smoke", {"seed": 1}) == run_id("p", "smoke", {"seed": 1})
    True
    """
    return param_hash({"page": page, "profile": profile, "parameters": dict(parameters)})


def expand_grid(grid: Mapping[str, Sequence[Any]], base: Sequence[Mapping] = ({},)) -> list[dict]:
    """Every combination of the values in ``grid`` (name -> values), with every set of
    ``base``: the parameter sets of a sweep, in order.

    >>> expand_grid({"seed": [0, 1]}, [{"lr": 0.1}, {"lr": 0.2}])
    [{'lr': 0.1, 'seed': 0}, {'lr': 0.1, 'seed': 1}, {'lr': 0.2, 'seed': 0}, {'lr': 0.2, 'seed': 1}]
    """
    names = list(grid)
    combos = list(itertools.product(*(list(grid[n]) for n in names)))
    return [{**dict(b), **dict(zip(names, combo))} for b in base for combo in combos]


@dataclass
class RunOutcome:
    """One run of a sweep: its parameter set, how it ended and its records (each a
    :class:`~connectivity.scorecard.Record` as a dict)."""

    run: str  # the run id
    parameters: dict
    status: str  # "ok" or "failed"
    error: str = ""
    seconds: float = 0.0
    reused: bool = False
    folder: str = ""
    records: list[dict] = field(default_factory=list)
    reader_error: bool = False  # a failure the reader can mend (missing data, a refusal)


def _kernel_manager(env: Mapping[str, str], log: Path) -> type:
    """A Jupyter kernel manager whose kernels start in ``env`` and write their own
    output (progress bars, native warnings) to ``log``: each run's own environment,
    without touching this process's (worker threads run side by side)."""
    from jupyter_client import AsyncKernelManager

    fixed = dict(env)

    class RunKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:
            kw["env"] = {**kw.get("env", {}), **fixed}
            with open(log, "ab") as out:  # the kernel process keeps its own copy
                kw["stdout"] = kw["stderr"] = out
                return await super().start_kernel(**kw)

    return RunKernelManager


def _records(folder: Path, page: str) -> list[dict]:
    runs = folder / "build" / "scorecard" / "runs" / page.replace("/", "__")
    return [json.loads(p.read_text()) for p in sorted(runs.glob("*.json"))]


def _pinned_gpus(per_run: int) -> str:
    """The GPUs of the local worker running this task: worker ``i`` holds the ``i``-th
    ``per_run`` of this machine's visible GPUs."""
    from distributed import get_worker

    index = int(get_worker().name)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible:
        ids = [v.strip() for v in visible.split(",") if v.strip()]
    else:
        import torch

        ids = [str(i) for i in range(torch.cuda.device_count())]
    return ",".join(ids[index * per_run : (index + 1) * per_run])


def execute_run(
    page: str,
    profile: str,
    parameters: Mapping[str, Any],
    root: str | Path,
    folder: str | Path,
    *,
    cache_key: str = "",
    cell_timeout: int = 3600,
    env: Mapping[str, str] | None = None,
    pin_gpus: int = 0,
) -> dict:
    """Execute ``page`` once with ``parameters`` into ``folder`` (what a worker runs);
    returns the :class:`RunOutcome` as a dict. The notebook runs as the book runner runs
    it (:func:`connectivity.execution.execute`), with its records in ``folder/build``;
    ``run.json`` (with ``cache_key``) is written when it ended without error."""
    import papermill as pm

    root, folder = Path(root), Path(folder)
    rid = folder.name
    t0 = time.perf_counter()
    outcome = RunOutcome(rid, dict(parameters), "ok", folder=str(folder))
    try:
        (folder / RUN_FILE).unlink(missing_ok=True)
        if (folder / "build").exists():
            shutil.rmtree(folder / "build")  # the records of this run only
        folder.mkdir(parents=True, exist_ok=True)
        src = root / "notebooks" / f"{page}.py"
        staged = stage_notebook(src, folder / "input.ipynb")
        kernel_env = portable_environment() | {
            "CONNECTIVITY_NOTEBOOK": page,
            "CONNECTIVITY_ROOT": str(root),
            "CONNECTIVITY_BUILD": str(folder / "build"),
            PROFILE_ENV: profile,
            **dict(env or {}),
        }
        if pin_gpus:
            kernel_env["CUDA_VISIBLE_DEVICES"] = _pinned_gpus(pin_gpus)
        pm.execute_notebook(
            str(staged),
            str(folder / "executed.ipynb"),
            parameters={"profile": profile, **dict(parameters)},
            kernel_name=notebook_kernel(),
            execution_timeout=cell_timeout,
            progress_bar=False,
            cwd=str(src.parent),
            log_output=False,
            kernel_manager_class=_kernel_manager(kernel_env, folder / "kernel.log"),
        )
        tidy_for_readers(folder / "executed.ipynb")
    except Exception as e:  # PapermillExecutionError, timeouts, kernel deaths, a missing page
        outcome.status = "failed"
        ename, evalue = getattr(e, "ename", None), getattr(e, "evalue", None)
        if ename:
            outcome.error = f"{ename}: {' '.join(str(evalue).split())}"[:800]
            outcome.reader_error = ename in reader_error_names()
        else:
            last = str(e).strip().splitlines()[-1] if str(e).strip() else ""
            outcome.error = f"{type(e).__name__}: {last}"[:500]
    outcome.seconds = round(time.perf_counter() - t0, 1)
    outcome.records = _records(folder, page)
    if outcome.status == "ok":
        entry = {"key": cache_key, "page": page, "profile": profile, "outcome": asdict(outcome)}
        _write_atomic(folder / RUN_FILE, json.dumps(_jsonable(entry), indent=1) + "\n")
    return asdict(outcome)


def finished(folder: Path, key: str) -> RunOutcome | None:
    """The run in ``folder`` when it ended without error under ``key`` (nothing it
    depends on changed since), else None."""
    path = folder / RUN_FILE
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if entry.get("key") != key or entry.get("outcome", {}).get("status") != "ok":
        return None
    return RunOutcome(**{**entry["outcome"], "reused": True})


# ---------------------------------------------------------------- the table and figure


def _cell(value: Any) -> Any:
    """A parameter's value as a table cell: scalars as they are, others as JSON."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return json.dumps(_jsonable(value), sort_keys=True)


def flat(parameters: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``parameters`` with nested dicts spelled as dotted names (one table column each).

    >>> flat({"classifier_changes": {"seed": 1}, "n_pairs": 4})
    {'classifier_changes.seed': 1, 'n_pairs': 4}
    """
    out: dict[str, Any] = {}
    for name, value in parameters.items():
        if isinstance(value, Mapping) and value:
            out |= flat(value, f"{prefix}{name}.")
        else:
            out[f"{prefix}{name}"] = value
    return out


def records_table(outcomes: Sequence[RunOutcome]):
    """One row per run and record (``pandas.DataFrame``): the run id, its parameters (one
    column each), its status, error, seconds and whether it was reused, then the
    record's id, kind, verdict, value (``reproduced``), paper value, unit, n and section.
    A nested parameter is a column of its dotted name (:func:`flat`).
    A run without records (a failed one) has one row with an empty ``id``."""
    import pandas as pd

    names = sorted({k for o in outcomes for k in flat(o.parameters)})
    rows = []
    for o in outcomes:
        params = flat(o.parameters)
        run = {
            "run": o.run,
            **{n: _cell(params.get(n)) for n in names},
            "status": o.status,
            "error": o.error,
            "seconds": o.seconds,
            "reused": o.reused,
        }
        for rec in o.records or [{}]:
            fields = {f: rec.get(f) for f in RECORD_FIELDS}
            fields["value"] = fields.pop("reproduced")
            rows.append({**run, **fields})
    columns = ["run", *names, "status", "error", "seconds", "reused", "id", "kind", "verdict"]
    columns += ["value", "paper", "unit", "n", "section"]
    return pd.DataFrame(rows, columns=columns)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _label(parameters: Mapping[str, Any], varying: Sequence[str]) -> str:
    """The parameters ``varying`` of a run as a short label (only the value when one)."""
    parameters = flat(parameters)
    parts = [(n, _cell(parameters[n])) for n in varying if n in parameters]
    if not parts:
        return "all runs"
    text = ", ".join(str(v) if len(varying) == 1 else f"{n}={v}" for n, v in parts)
    return text if len(text) <= 28 else text[:27] + "…"


def sweep_figure(
    outcomes: Sequence[RunOutcome],
    spread: str | None = None,
    records: Sequence[str] | None = None,
    max_panels: int = 12,
):
    """One figure of the sweep's numeric records (a ``matplotlib.figure.Figure``): a
    panel per record id (the first ``max_panels``, or ``records``); in each, one column
    per parameter set (``spread=None``), or with ``spread`` (e.g. ``"seed"``) one column
    per set of the other parameters with the spread across ``spread``'s values (each
    run a dot, the mean and ± one standard deviation beside; a nested parameter by its
    dotted name, e.g. ``"classifier_changes.seed"``); the paper's value, where there is
    one, a dashed line."""
    from matplotlib.figure import Figure

    ok = [o for o in outcomes if o.status == "ok"]
    names = sorted({k for o in ok for k in flat(o.parameters)})
    varying = [
        n for n in names if len({json.dumps(_cell(flat(o.parameters).get(n))) for o in ok}) > 1
    ]
    group_by = [n for n in varying if n != spread]
    groups: dict[str, list[RunOutcome]] = {}
    for o in ok:
        groups.setdefault(_label(o.parameters, group_by), []).append(o)
    values: dict[str, dict[str, list[float]]] = {}
    paper: dict[str, float] = {}
    for label, runs in groups.items():
        for o in runs:
            for rec in o.records:
                v = _number(rec.get("reproduced"))
                if v is not None:
                    values.setdefault(rec["id"], {}).setdefault(label, []).append(v)
                    p = _number(rec.get("paper"))
                    if p is not None:
                        paper[rec["id"]] = p
    ids = [i for i in (records or sorted(values)) if i in values][:max_panels]
    n = max(1, len(ids))
    cols = min(3, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(4.2 * cols, 2.9 * rows), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    labels = list(groups)
    for ax, rid in zip(axes, ids):
        for x, label in enumerate(labels):
            ys = values[rid].get(label, [])
            if not ys:
                continue
            offsets = (
                [0.0] if len(ys) == 1 else [(i / (len(ys) - 1) - 0.5) * 0.3 for i in range(len(ys))]
            )
            ax.plot([x + d for d in offsets], ys, "o", color="C0", alpha=0.7, ms=4)
            if spread and len(ys) > 1:
                mean = sum(ys) / len(ys)
                sd = math.sqrt(sum((y - mean) ** 2 for y in ys) / (len(ys) - 1))
                ax.errorbar(x + 0.25, mean, yerr=sd, fmt="_", color="k", capsize=3, ms=10)
        if rid in paper:
            ax.axhline(paper[rid], ls="--", color="C3", lw=1, label="paper")
            ax.legend(fontsize=7, frameon=False)
        ax.set_title(rid, fontsize=8)
        ax.set_xlim(-0.6, len(labels) - 0.4)
        ax.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize=7)
    for ax in axes[len(ids) :]:
        ax.set_axis_off()
    if not ids:
        axes[0].text(0.5, 0.5, "no numeric record", ha="center", va="center")
    shown = f" (the first {len(ids)} of {len(values)} records)" if len(values) > len(ids) else ""
    how = f"spread across {spread}" if spread else "one column per parameter set"
    fig.suptitle(f"{len(ok)} of {len(outcomes)} runs, {how}{shown}", fontsize=9)
    return fig


@dataclass
class Sweep:
    """The runs of one sweep, in the order of its parameter sets."""

    page: str
    profile: str
    folder: Path
    runs: list[RunOutcome]

    @property
    def table(self):
        """:func:`records_table` of the runs."""
        return records_table(self.runs)

    @property
    def failed(self) -> list[RunOutcome]:
        return [r for r in self.runs if r.status != "ok"]

    @property
    def reused(self) -> int:
        """How many runs were reused from an earlier sweep (not executed again)."""
        return sum(r.reused for r in self.runs)

    def figure(self, spread: str | None = None, **kwargs: Any):
        """:func:`sweep_figure` of the runs."""
        return sweep_figure(self.runs, spread=spread, **kwargs)

    def save(self, spread: str | None = None) -> dict[str, Path]:
        """Write ``records.csv`` (the table), ``runs.json`` (every run but its records)
        and ``figure.png`` into the sweep's folder; returns their paths."""
        paths = {
            "records": self.folder / "records.csv",
            "runs": self.folder / "runs.json",
            "figure": self.folder / "figure.png",
        }
        self.table.to_csv(paths["records"], index=False)
        runs = [{k: v for k, v in asdict(r).items() if k != "records"} for r in self.runs]
        _write_atomic(paths["runs"], json.dumps(_jsonable(runs), indent=1) + "\n")
        self.figure(spread).savefig(paths["figure"], dpi=100)
        return paths


# ---------------------------------------------------------------- the engine


def slurm_cluster(
    jobs: int,
    *,
    cores: int = 4,
    memory: str = "16GB",
    walltime: str = "02:00:00",
    gpus: int = 0,
    queue: str | None = None,
    account: str | None = None,
    **kwargs: Any,
):
    """A Dask cluster of ``jobs`` SLURM jobs (``dask_jobqueue.SLURMCluster``, each job one
    worker running one run at a time), from a login node; with ``gpus`` each job asks
    SLURM for them (``--gres=gpu:N``) and its worker offers them as the ``GPU`` resource.
    ``kwargs`` go to ``SLURMCluster`` (e.g. ``job_script_prologue=["module load cuda"]``)."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError as e:
        raise EngineMissingError(
            "SLURM clusters come from dask-jobqueue, which is not installed here: pip install "
            f"'connectivity[{EXTRA}]'"
        ) from e
    directives = list(kwargs.pop("job_extra_directives", []))
    worker_args = list(kwargs.pop("worker_extra_args", []))
    if gpus:
        directives.append(f"--gres=gpu:{gpus}")
        worker_args += ["--resources", f"GPU={gpus}"]
    cluster = SLURMCluster(
        cores=1,  # the worker's threads: one run at a time ...
        job_cpu=cores,  # ... on the job's cores (its kernel's threads)
        processes=1,
        memory=memory,
        walltime=walltime,
        queue=queue,
        account=account,
        job_extra_directives=directives,
        worker_extra_args=worker_args,
        **kwargs,
    )
    cluster.scale(jobs=jobs)
    return cluster


def _client(cluster: Any, workers: int, processes: bool, gpus_per_run: int):
    """``(client, close, pin)``: a Dask client for ``cluster`` (None: a local cluster),
    what to close after, and whether runs pin their worker's GPUs."""
    distributed = _distributed()
    if isinstance(cluster, distributed.Client):
        return cluster, [], False
    if cluster is not None:
        client = distributed.Client(cluster)
        return client, [client], False
    resources = None
    if gpus_per_run:
        import torch

        visible = torch.cuda.device_count()
        if visible < gpus_per_run:
            raise SweepError(
                f"{gpus_per_run} GPU(s) per run asked for, torch sees {visible} here; name a "
                "cluster with GPU workers (a scheduler address, --slurm) or run on the CPU"
            )
        workers = visible // gpus_per_run
        resources = {"GPU": gpus_per_run}
    if not processes:
        # papermill runs in threads side by side share one event loop ("This event loop
        # is already running"): threads run one at a time
        workers = 1
    local = distributed.LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=processes,
        resources=resources,
        memory_limit=0,  # the kernels, not the workers, hold the memory
        dashboard_address=":0",  # any free port: sweeps side by side
        silence_logs=40,  # logging.ERROR
    )
    client = distributed.Client(local)
    return client, [client, local], bool(gpus_per_run)


def _check_gpu_workers(client: Any, gpus_per_run: int) -> None:
    workers = client.scheduler_info().get("workers", {})
    offered = [w.get("resources", {}).get("GPU", 0) for w in workers.values()]
    if workers and max(offered) < gpus_per_run:
        raise SweepError(
            f"{gpus_per_run} GPU(s) per run asked for, but no worker of the cluster offers as "
            "many (start them with `dask worker --resources GPU=N`)"
        )


def check_sets(page: str, profile: str, sets: Sequence[Mapping[str, Any]], root: Path) -> None:
    """Refuse the sweep before any run: a page the book does not have (or one that reads
    the build), a profile unknown, or a set the page's settings refuse."""
    if profile not in PROFILES:
        raise SweepError(f"unknown profile {profile!r}; choose one of {', '.join(PROFILES)}")
    if not (root / "notebooks" / f"{page}.py").is_file():
        raise SweepError(f"no page {page!r}: {root / 'notebooks' / (page + '.py')} is missing")
    if page in READS_THE_BUILD:
        raise SweepError(f"{page!r} reads the book's build (every page's records): not sweepable")
    if not sets:
        raise SweepError("no parameter set to run")
    for i, params in enumerate(sets):
        if "profile" in params:
            raise SweepError("the profile is the sweep's (--profile), not a parameter of a set")
        if page in PAGES:
            try:
                settings_class(page).resolve(profile, **params)
            except ParameterError as e:
                raise SweepError(f"parameter set {i + 1} {dict(params)} refused: {e}") from e


def run_sweep(
    page: str,
    parameter_sets: Iterable[Mapping[str, Any]],
    *,
    profile: str = "smoke",
    root: str | Path | None = None,
    out: str | Path | None = None,
    cluster: Any = None,
    workers: int = 2,
    processes: bool = True,
    gpus_per_run: int = 0,
    device: str | None = None,
    cell_timeout: int = 3600,
    force: bool = False,
    log: Callable[[str], None] | None = print,
) -> Sweep:
    """Run ``page`` (a notebook name, e.g. ``"gu2023/01_table1"``) once per parameter set
    and gather the runs (see the module's docstring). ``cluster``: None (a local cluster
    of ``workers`` processes, or threads with ``processes=False``), a scheduler address,
    a Dask cluster object (e.g. :func:`slurm_cluster`) or a ``distributed.Client``.
    ``out``: the sweep's folder (default ``_build/sweeps/<page>``). ``device``: the
    ``CONNECTIVITY_DEVICE`` of the runs (with ``gpus_per_run``: ``cuda``). ``force``
    executes every run again. Returns the :class:`Sweep`; failed runs are in it with
    their errors."""
    say = log or (lambda _: None)
    root = Path(root).resolve() if root is not None else repo_root()
    sets = [dict(s) for s in parameter_sets]
    check_sets(page, profile, sets, root)
    folder = Path(out) if out is not None else build_dir("sweeps", page.replace("/", "__"))
    folder.mkdir(parents=True, exist_ok=True)
    env: dict[str, str] = {}
    if device or gpus_per_run:
        env[DEVICE_ENV] = device or "cuda"
    environ = portable_environment() | {PROFILE_ENV: profile, **env}
    ids = [run_id(page, profile, s) for s in sets]
    if len(set(ids)) < len(ids):
        raise SweepError("the same parameter set is listed twice")
    outcomes: dict[str, RunOutcome] = {}
    todo = []
    for rid, params in zip(ids, sets):
        key = notebook_key(root, page, profile, params, [], environ)
        done = None if force else finished(folder / "runs" / rid, key)
        if done is not None:
            outcomes[rid] = done
            say(
                f"  {rid} {_label(params, list(flat(params)))}: reused "
                f"(ran in {done.seconds:.1f} s)"
            )
        else:
            todo.append((rid, params, key))
    say(
        f"[sweep] {page} ({profile}): {len(sets)} run(s), {len(outcomes)} reused, "
        f"{len(todo)} to run"
    )
    if todo:
        distributed = _distributed()
        client, close, pin = _client(cluster, workers, processes, gpus_per_run)
        try:
            if gpus_per_run:
                _check_gpu_workers(client, gpus_per_run)
            futures = {}
            for rid, params, key in todo:
                future = client.submit(
                    execute_run,
                    page,
                    profile,
                    params,
                    str(root),
                    str(folder / "runs" / rid),
                    cache_key=key,
                    cell_timeout=cell_timeout,
                    env=env,
                    pin_gpus=gpus_per_run if pin else 0,
                    key=f"sweep-run-{rid}-{uuid.uuid4().hex[:8]}",  # a rerun's own task
                    pure=False,
                    resources={"GPU": gpus_per_run} if gpus_per_run else None,
                )
                futures[future] = (rid, params)
            for k, future in enumerate(distributed.as_completed(list(futures)), 1):
                rid, params = futures[future]
                try:
                    outcome = RunOutcome(**future.result())
                except Exception as e:  # the worker died (KilledWorker), the task was lost
                    text = " ".join(str(e).split())[:500]
                    outcome = RunOutcome(rid, params, "failed", f"{type(e).__name__}: {text}")
                    outcome.folder = str(folder / "runs" / rid)
                outcomes[rid] = outcome
                said = f"ok in {outcome.seconds:.1f} s" if outcome.status == "ok" else outcome.error
                say(f"  [{k}/{len(todo)}] {rid} {_label(params, list(flat(params)))}: {said}")
        finally:
            for thing in close:
                thing.close()
    sweep = Sweep(page, profile, folder, [outcomes[rid] for rid in ids])
    if sweep.failed:
        say(
            f"[sweep] {len(sweep.failed)} run(s) failed; the other "
            f"{len(ids) - len(sweep.failed)} kept"
        )
    return sweep


# ---------------------------------------------------------------- the command


def parameter_sets(
    sets: Sequence[str] = (),
    grid: Sequence[str] = (),
    files: Sequence[str] = (),
    common: Mapping[str, Any] | None = None,
) -> list[dict]:
    """The sweep's parameter sets from the command line: each ``--set`` (a JSON or YAML
    dict) and every set of each ``--sets`` file (a YAML or JSON list of dicts), crossed
    with every combination of the ``--grid NAME=V1,V2,...`` values (each read as a
    ``-p`` value; a dotted NAME sets a field of a dict parameter), each with the ``-p``
    parameters ``common`` (dicts merged key by key).

    >>> parameter_sets(['{"lr": 0.1}'], ["seed=0,1"], common={"epochs": 2})
    [{'epochs': 2, 'lr': 0.1, 'seed': 0}, {'epochs': 2, 'lr': 0.1, 'seed': 1}]
    >>> parameter_sets(grid=["classifier_changes.seed=1,2"])
    [{'classifier_changes': {'seed': 1}}, {'classifier_changes': {'seed': 2}}]
    """
    import yaml

    base: list[dict] = []
    for text in sets:
        value = parse_value(text)
        if not isinstance(value, dict):
            raise SweepError(f"--set {text!r} is not a dict of parameters (e.g. '{{\"seed\": 1}}')")
        base.append(value)
    for name in files:
        path = Path(name)
        if not path.is_file():
            raise SweepError(f"--sets {name}: no such file")
        value = yaml.safe_load(path.read_text())
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise SweepError(f"--sets {name}: expected a list of dicts of parameters")
        base += value
    axes: dict[str, list] = {}
    for text in grid:
        name, eq, values = text.partition("=")
        if not eq or not name.strip() or not values.strip():
            raise SweepError(f"--grid {text!r}: expected NAME=V1,V2,...")
        axes[name.strip()] = [parse_value(v.strip()) for v in values.split(",")]
    out = []
    for s in expand_grid(axes, base or [{}]):
        merged = dict(common or {})
        for name, value in s.items():
            merged = _merge(merged, _nest(name, value) if name in axes else {name: value})
        out.append(merged)
    return out


def _nest(dotted: str, value: Any) -> dict:
    """``{"a": {"b": value}}`` for ``"a.b"``: a grid over a field of a dict parameter."""
    head, _, rest = dotted.partition(".")
    return {head: _nest(rest, value) if rest else value}


def _merge(base: Mapping, changes: Mapping) -> dict:
    """``base`` with ``changes``, dicts merged key by key."""
    out = dict(base)
    for k, v in changes.items():
        both = isinstance(v, Mapping) and isinstance(out.get(k), Mapping)
        out[k] = _merge(out[k], v) if both else v
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m connectivity.sweeps",
        description=__doc__.split("\n\n")[0],
        epilog="Example (three seeds of the classifier): python -m connectivity.sweeps "
        "gu2023/01_table1 --profile smoke --grid classifier_changes.seed=0,1,2 "
        "--spread classifier_changes.seed",
    )
    ap.add_argument("page", help="the page's notebook, e.g. gu2023/01_table1")
    ap.add_argument("--profile", default="smoke", help="run profile (default smoke)")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        dest="sets",
        metavar="DICT",
        help="one parameter set, JSON or YAML, e.g. '{\"seed\": 1}' (repeatable)",
    )
    ap.add_argument(
        "--sets",
        action="append",
        default=[],
        dest="files",
        metavar="FILE",
        help="a YAML or JSON file holding a list of parameter sets (repeatable)",
    )
    ap.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="NAME=V1,V2",
        help="every value of a parameter, crossed with the sets (repeatable)",
    )
    ap.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        dest="parameters",
        metavar=("NAME", "VALUE"),
        help="a parameter of every run (repeatable)",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=2,
        help="local worker processes, one run each at a time (default 2)",
    )
    ap.add_argument(
        "--threads",
        action="store_true",
        help="one local worker thread in this process instead of worker processes "
        "(one run at a time; each run has its own kernel)",
    )
    ap.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on an existing Dask cluster (tcp://host:8786)"
    )
    ap.add_argument(
        "--slurm",
        type=int,
        metavar="JOBS",
        help="run on JOBS SLURM jobs (dask-jobqueue; from a login node)",
    )
    ap.add_argument(
        "--slurm-cores", type=int, default=4, help="cores of each SLURM job (default 4)"
    )
    ap.add_argument(
        "--slurm-memory", default="16GB", help="memory of each SLURM job (default 16GB)"
    )
    ap.add_argument(
        "--slurm-walltime",
        default="02:00:00",
        help="time limit of each SLURM job (default 02:00:00)",
    )
    ap.add_argument("--slurm-queue", help="the SLURM partition")
    ap.add_argument("--slurm-account", help="the SLURM account")
    ap.add_argument(
        "--gpus-per-run",
        type=int,
        default=0,
        help="GPUs each run needs (Dask worker resources GPU)",
    )
    ap.add_argument("--device", help="the runs' device (default: cuda with --gpus-per-run)")
    ap.add_argument(
        "--spread",
        metavar="NAME",
        help="the figure shows the spread across this parameter (e.g. seed)",
    )
    ap.add_argument("--out", help="the sweep's folder (default _build/sweeps/<page>)")
    ap.add_argument("--cell-timeout", type=int, default=3600, help="seconds one cell may run")
    ap.add_argument("--force", action="store_true", help="execute every run, none reused")
    ap.add_argument("--list", action="store_true", help="list the runs and exit")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error(f"--workers must be at least 1, got {args.workers}")
    if args.scheduler and args.slurm:
        ap.error("--scheduler or --slurm, not both")
    try:
        common = parse_pairs(args.parameters)
    except ParameterError as e:
        raise SweepError(str(e)) from e
    sets = parameter_sets(args.sets, args.grid, args.files, common)
    if args.list:
        for s in sets:
            print(run_id(args.page, args.profile, s), json.dumps(_jsonable(s), sort_keys=True))
        return 0
    cluster: Any = args.scheduler
    if args.slurm:
        cluster = slurm_cluster(
            args.slurm,
            cores=args.slurm_cores,
            memory=args.slurm_memory,
            walltime=args.slurm_walltime,
            gpus=args.gpus_per_run,
            queue=args.slurm_queue,
            account=args.slurm_account,
        )
    try:
        sweep = run_sweep(
            args.page,
            sets,
            profile=args.profile,
            out=args.out,
            cluster=cluster,
            workers=args.workers,
            processes=not args.threads,
            gpus_per_run=args.gpus_per_run,
            device=args.device,
            cell_timeout=args.cell_timeout,
            force=args.force,
        )
    finally:
        if args.slurm:
            cluster.close()
    paths = sweep.save(args.spread)
    print(f"[sweep] table {paths['records']}, figure {paths['figure']}, runs {paths['runs']}")
    for r in sweep.failed:
        print(f"FAILED {r.run} {json.dumps(_jsonable(r.parameters))}: {r.error}", file=sys.stderr)
    return 1 if sweep.failed else 0


if __name__ == "__main__":
    sys.exit(run_command(main))
