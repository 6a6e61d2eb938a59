"""Sweeps: a page run over parameter sets on a local Dask cluster, a failing run reported
with the others kept, a rerun that reuses the finished runs, one table and one figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectivity import notebook_cache, sweeps

pytest.importorskip("distributed")

# a page at toy size: two records from its parameters, or the error a reader would see
TOY = """\
# %% tags=["parameters"]
profile = "ci"
seed = 0
fail = False

# %%
from connectivity import scorecard

if fail:
    raise RuntimeError(f"boom at seed {seed}")
scorecard.measure("models.t.square", "the seed squared", seed * seed)
scorecard.measure("models.t.half", "half the seed", seed / 2)
"""

SETS = [{"seed": 1}, {"seed": 2}, {"seed": 3, "fail": True}]


def _project(tmp_path: Path) -> Path:
    (tmp_path / "project" / "notebooks").mkdir(parents=True)
    (tmp_path / "project" / "notebooks" / "toy.py").write_text(TOY)
    return tmp_path / "project"


@pytest.mark.timeout(300)  # ~25 s alone (five kernels, two at a time), longer beside others
@pytest.mark.slow
def test_a_sweep_on_a_local_cluster_keeps_the_others_and_reuses_finished_runs(
    tmp_path, tmp_build, capsys, monkeypatch
):
    # the library's files are in a run's key; held still here, so that an edit of the
    # library while the test runs (a developer's) does not count as a change
    monkeypatch.setattr(notebook_cache, "tree_digest", lambda folder, patterns=("*",): "held")
    root, out = _project(tmp_path), tmp_path / "sweep"
    # worker processes, as readers run it: papermill runs side by side in threads share
    # one event loop ("This event loop is already running")
    kw = {"root": root, "out": out, "workers": 2, "processes": True}
    sweep = sweeps.run_sweep("toy", SETS, profile="smoke", **kw)
    assert [r.status for r in sweep.runs] == ["ok", "ok", "failed"]
    assert sweep.failed[0].error == "RuntimeError: boom at seed 3"
    table = sweep.table
    ok = table[table.status == "ok"]
    assert sorted(zip(ok.seed, ok.id, ok.value)) == [
        (1, "models.t.half", 0.5),
        (1, "models.t.square", 1),
        (2, "models.t.half", 1.0),
        (2, "models.t.square", 4),
    ]
    failed = table[table.status == "failed"]
    assert len(failed) == 1 and failed.id.isna().all() and failed.seed.item() == 3
    # each run's records in its own folder, never among the book's
    first = out / "runs" / sweep.runs[0].run
    assert (first / "build" / "scorecard" / "runs" / "toy").is_dir()
    assert not (tmp_build / "scorecard" / "runs").exists()
    executed = {r.run: (Path(r.folder) / "executed.ipynb").stat().st_mtime_ns for r in sweep.runs}

    again = sweeps.run_sweep("toy", SETS, profile="smoke", **kw)
    assert again.reused == 2 and [r.reused for r in again.runs] == [True, True, False]
    for r in again.runs[:2]:  # not executed again
        assert (Path(r.folder) / "executed.ipynb").stat().st_mtime_ns == executed[r.run]
    assert again.failed[0].error == "RuntimeError: boom at seed 3"  # a failed run runs again
    assert again.table.drop(columns=["seconds", "reused"]).equals(
        table.drop(columns=["seconds", "reused"])
    )
    log = capsys.readouterr().out
    assert "3 run(s), 2 reused, 1 to run" in log

    # a changed page is executed again: the key holds its source
    (root / "notebooks" / "toy.py").write_text(TOY + "# a changed sentence\n")
    changed = sweeps.run_sweep("toy", SETS[:1], profile="smoke", **kw)
    assert changed.reused == 0 and changed.runs[0].status == "ok"

    paths = again.save(spread="seed")
    assert paths["figure"].stat().st_size > 0
    saved = json.loads(paths["runs"].read_text())
    assert [r["status"] for r in saved] == ["ok", "ok", "failed"]


@pytest.mark.timeout(60)
def test_the_command_builds_the_sets_and_refuses_bad_ones(tmp_path, capsys):
    sets = sweeps.parameter_sets(['{"lr": 0.1}', "{lr: 0.2}"], ["seed=0,1"], common={"epochs": 2})
    assert sets == [
        {"epochs": 2, "lr": 0.1, "seed": 0},
        {"epochs": 2, "lr": 0.1, "seed": 1},
        {"epochs": 2, "lr": 0.2, "seed": 0},
        {"epochs": 2, "lr": 0.2, "seed": 1},
    ]
    listed = tmp_path / "sets.yml"
    listed.write_text("- {checkpoint: a.pt}\n- {checkpoint: b.pt}\n")
    assert sweeps.parameter_sets(files=[str(listed)]) == [
        {"checkpoint": "a.pt"},
        {"checkpoint": "b.pt"},
    ]
    assert sweeps.main(["toy", "--grid", "seed=1,2", "--list"]) == 0
    ids = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert ids == [sweeps.run_id("toy", "smoke", {"seed": s}) for s in (1, 2)]

    root = _project(tmp_path)
    refusals = {
        "no page": ("nothing", [{}]),
        "twice": ("toy", [{"seed": 1}, {"seed": 1}]),
        "profile": ("toy", [{"profile": "ci"}]),
        "reads the book's build": ("scorecard", [{}]),
    }
    (root / "notebooks" / "scorecard.py").write_text(TOY)
    for said, (page, sets) in refusals.items():
        with pytest.raises(sweeps.SweepError, match=said):
            sweeps.run_sweep(page, sets, root=root, out=tmp_path / "x", log=None)
    with pytest.raises(sweeps.SweepError, match="is not a dict"):
        sweeps.parameter_sets(["[1, 2]"])
    with pytest.raises(sweeps.SweepError, match="NAME=V1,V2"):
        sweeps.parameter_sets(grid=["seed"])


@pytest.mark.timeout(120)
def test_a_set_the_page_refuses_stops_the_sweep_before_any_run(tmp_path):
    repo = Path(__file__).resolve().parents[1]
    with pytest.raises(sweeps.SweepError, match=r"parameter set 2 .* refused"):
        sweeps.check_sets("gu2023/01_table1", "smoke", [{}, {"no_such_parameter": 1}], repo)


@pytest.mark.timeout(120)
def test_each_local_worker_pins_its_own_gpus(monkeypatch):
    """With GPUs per run, local worker i runs on the i-th group of the visible GPUs (no
    GPU needed to check the arithmetic: the visible ones are named)."""
    import distributed

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5,6,7")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pinned = {
            info["name"]: client.submit(
                sweeps._pinned_gpus, 2, workers=[address], pure=False
            ).result()
            for address, info in client.scheduler_info()["workers"].items()
        }
    assert pinned == {0: "4,5", 1: "6,7"}
