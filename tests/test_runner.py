"""The book runner: order, failures named, exit status, bad options."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from connectivity import runner, toc

TOC = """\
format: jb-book
root: book/intro
parts:
  - caption: Test
    chapters:
      - file: book/executed/good
      - file: book/executed/sub/bad
"""

CELL = '# %% tags=["parameters"]\nprofile = "ci"\n\n'


def _project(tmp_path):
    (tmp_path / "_toc.yml").write_text(TOC)
    (tmp_path / "notebooks" / "sub").mkdir(parents=True)
    (tmp_path / "notebooks" / "good.py").write_text(
        CELL
        + "# %%\nfrom connectivity import scorecard\n"
        + "scorecard.measure('models.t.acc', 'a test', 1.0)\n"
        "print('profile is', profile)\n"
    )
    (tmp_path / "notebooks" / "sub" / "bad.py").write_text(
        CELL + "# %%\nraise RuntimeError('boom in bad')\n"
    )
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "expected_verdicts.yml").write_text(
        "good:\n  models.t.acc: no paper value\n"
    )
    return tmp_path


def _run(root, *args, extra_env=None):
    env = {**os.environ, "CONNECTIVITY_ROOT": str(root), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "connectivity.runner", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=300,
    )


def test_toc_order_and_selection(tmp_path):
    root = _project(tmp_path)
    assert toc.toc_notebooks(root) == ["good", "sub/bad"]
    assert runner.select(["good", "sub/bad"], ["bad"]) == ["sub/bad"]


def test_failing_notebook_is_named_and_fails_the_run(tmp_path):
    root = _project(tmp_path)
    proc = _run(root, "--no-build")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAILED notebooks: sub/bad" in proc.stdout
    assert "boom in bad" in proc.stdout
    executed = json.loads((root / "book/executed/good.ipynb").read_text())
    texts = [o.get("text", "") for c in executed["cells"] for o in c.get("outputs", [])]
    outputs = "".join("".join(t) if isinstance(t, list) else t for t in texts)
    assert "profile is ci" in outputs
    timings = json.loads((root / "_build/timings.json").read_text())
    rows = {r["notebook"]: r for r in timings["full"]["rows"]}
    assert rows["good"]["status"] == "ok" and rows["sub/bad"]["status"] == "failed"
    assert timings["partial"] == []
    records = json.loads((root / "_build/scorecard.json").read_text())
    assert [r["id"] for r in records] == ["models.t.acc"] and records[0]["notebook"] == "good"


def test_subset_run_succeeds_and_build_refuses_missing_notebooks(tmp_path):
    root = _project(tmp_path)
    proc = _run(root, "--only", "good")
    assert proc.returncode == 1
    assert "not executed yet: sub/bad" in proc.stdout
    proc = _run(root, "--only", "good", "--no-build")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_bad_options_fail_fast(tmp_path):
    root = _project(tmp_path)
    proc = _run(root, "--profile", "huge")
    assert proc.returncode == 2 and "unknown profile 'huge'" in proc.stderr
    proc = _run(root, "--only", "nothing-like-this")
    assert proc.returncode != 0 and "matches" in proc.stderr


def test_verdict_guard_fails_on_a_flipped_verdict(tmp_path):
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("      - file: book/executed/sub/bad\n", ""))
    proc = _run(root, "--no-build", "--accept-verdicts")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "models.t.acc: no paper value" in (root / "book/expected_verdicts.yml").read_text()
    assert _run(root, "--no-build").returncode == 0
    (root / "book/expected_verdicts.yml").write_text(
        "good:\n  models.t.acc: reproduced\n"
    )  # perturb
    proc = _run(root, "--no-build", "--strict")
    assert proc.returncode == 1
    assert "VERDICTS CHANGED" in proc.stdout
    assert "verdict of models.t.acc changed from reproduced to no paper value" in proc.stdout
    # a reader's build (no --strict): said, not failed
    proc = _run(root, "--no-build")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 verdict(s) differ from the reference build" in proc.stdout


def test_a_misspelled_or_absent_device_stops_before_any_notebook(tmp_path):
    root = _project(tmp_path)
    proc = _run(root, "--no-build", "--device", "gpu")
    assert proc.returncode == 2 and proc.stderr.startswith("error: unknown device 'gpu'")
    assert "Traceback" not in proc.stderr and not (root / "book/executed").exists()


def test_the_device_and_profile_reach_the_records(tmp_path):
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("      - file: book/executed/sub/bad\n", ""))
    proc = _run(root, "--no-build", "--device", "cpu", "--profile", "smoke")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (record,) = json.loads((root / "_build/scorecard.json").read_text())
    assert record["provenance"]["device"] == "cpu"
    assert record["provenance"]["profile"] == "smoke"


def test_a_book_of_two_profiles_is_refused_naming_the_pages(tmp_path):
    root = _project(tmp_path)
    (root / "notebooks" / "sub" / "bad.py").write_text(CELL + "# %%\nx = 1\n")
    assert _run(root, "--no-build", "--profile", "smoke").returncode == 0
    assert _run(root, "--no-build", "--only", "good").returncode == 0  # ci
    proc = _run(root, "--build-only")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "2 profiles (ci: good; smoke: sub/bad)" in proc.stderr


def test_verdicts_of_the_last_full_run_accepted_without_rerunning(tmp_path):
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("      - file: book/executed/sub/bad\n", ""))
    (root / "book/expected_verdicts.yml").unlink()
    first = _run(root, "--no-build", "--strict")  # no expected verdicts: every record is new
    assert first.returncode == 1 and "new record models.t.acc" in first.stdout
    accept = _run(root, "--build-only", "--no-build", "--accept-verdicts")
    assert accept.returncode == 0, accept.stdout + accept.stderr
    assert "models.t.acc: no paper value" in (root / "book/expected_verdicts.yml").read_text()
    assert _run(root, "--no-build").returncode == 0


def test_accepting_verdicts_without_a_full_run_is_refused(tmp_path):
    root = _project(tmp_path)
    (root / "book/expected_verdicts.yml").unlink()
    proc = _run(root, "--build-only", "--no-build", "--accept-verdicts")
    assert proc.returncode == 1 and "needs a complete full ci run" in proc.stdout
    assert not (root / "book/expected_verdicts.yml").exists()


def test_typed_outcome_in_a_page_fails_the_run(tmp_path):
    root = _project(tmp_path)
    (root / "notebooks" / "good.py").write_text(
        CELL + "# %% [markdown]\n# Table 1 reproduced exactly.\n"
    )
    proc = _run(root, "--only", "good", "--no-build", "--profile", "paper")
    assert proc.returncode == 1 and "PROSE NOT FOLLOWING THE NUMBERS" in proc.stdout


def test_interactive_runs_and_partial_reruns_leave_no_foreign_records(tmp_path):
    root = _project(tmp_path)
    nb = root / "notebooks" / "good.py"
    nb.write_text(
        CELL.replace('profile = "ci"\n', 'profile = "ci"\nDIMS = [2, 3]\n')
        + "# %%\nfrom connectivity import scorecard\n"
        "for d in DIMS:\n    scorecard.measure(f'models.t.n{d}', 'x', d)\n"
    )
    (root / "_toc.yml").write_text(TOC.replace("      - file: book/executed/sub/bad\n", ""))
    assert _run(root, "--no-build", "--profile", "paper").returncode == 0
    # an experiment by hand (no runner): its records go to the interactive folder
    env = {**os.environ, "CONNECTIVITY_ROOT": str(root)}
    env.pop("CONNECTIVITY_NOTEBOOK", None)
    subprocess.run(
        [
            sys.executable,
            "-c",
            "from connectivity import scorecard; scorecard.measure('models.t.n5', 'x', 5)",
        ],
        env=env,
        cwd=root,
        check=True,
    )
    nb.write_text(nb.read_text().replace("DIMS = [2, 3]", "DIMS = [2]"))
    assert _run(root, "--only", "good", "--no-build", "--profile", "paper").returncode == 0
    records = json.loads((root / "_build/scorecard.json").read_text())
    assert [r["id"] for r in records] == ["models.t.n2"]
    timings = json.loads((root / "_build/timings.json").read_text())
    assert [r["notebook"] for r in timings["partial"]] == ["good"]
    assert [r["notebook"] for r in timings["full"]["rows"]] == ["good"]


COUNTING = CELL + (
    "# %%\nfrom pathlib import Path\n"
    "with open(Path.cwd().parent / 'executions.txt', 'a') as f:\n    f.write('x')\n"
    "from connectivity import scorecard\n"
    "scorecard.measure('models.t.acc', 'a test', 1.0)\n"
)


def _executions(root):
    path = root / "executions.txt"
    return len(path.read_text()) if path.exists() else 0


def test_an_unchanged_page_is_reused_and_every_change_executes_it(tmp_path):
    """Issue 38: count the executions, not the seconds."""
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("      - file: book/executed/sub/bad\n", ""))
    (root / "notebooks" / "good.py").write_text(COUNTING)
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 1
    first = (root / "book/executed/good.ipynb").read_text()
    proc = _run(root, "--no-build")  # nothing changed
    assert proc.returncode == 0 and _executions(root) == 1 and "reused" in proc.stdout
    assert (root / "book/executed/good.ipynb").read_text() == first
    records = json.loads((root / "_build/scorecard.json").read_text())
    assert [r["id"] for r in records] == ["models.t.acc"]  # the records come back too
    assert _run(root, "--no-build", "--force").returncode == 0 and _executions(root) == 2
    assert _run(root, "--no-build", "--profile", "smoke").returncode == 0  # a profile
    assert _executions(root) == 3
    nb = root / "notebooks" / "good.py"
    nb.write_text(nb.read_text() + "# %% [markdown]\n# One more sentence.\n")  # the source
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 4
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 4
    assert _run(root, "--no-build", "--device", "cpu").returncode == 0  # cpu: the default
    assert _executions(root) == 4
    env_native = {"CONNECTIVITY_KERNELS": "native"}  # other kernels
    assert _run(root, "--no-build", extra_env=env_native).returncode == 0
    assert _executions(root) == 5
    # a damaged entry is executed again, never served
    for path in (root / ".cache/notebooks/good").glob("*/executed.ipynb"):
        path.write_text(path.read_text().replace("a test", "a tost"))
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 6


def test_the_scorecard_page_is_reused_only_while_the_pages_before_it_are(tmp_path):
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("sub/bad", "scorecard"))
    (root / "notebooks" / "good.py").write_text(COUNTING)
    (root / "notebooks" / "scorecard.py").write_text(
        COUNTING.replace("models.t.acc", "models.t.score")
    )
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 2
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 2
    assert _run(root, "--no-build", "--only", "good", "--force").returncode == 0
    assert _executions(root) == 3  # good ran again: new timing row, so the scorecard too
    assert _run(root, "--no-build").returncode == 0 and _executions(root) == 4


def test_missing_data_ends_the_run_in_one_line_naming_the_folder(tmp_path):
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("      - file: book/executed/sub/bad\n", ""))
    (root / "notebooks" / "good.py").write_text(
        CELL + "# %%\nfrom connectivity.data import load_dataset\n"
        f"load_dataset('mnist', 'test', root={str(tmp_path / 'nowhere')!r})\n"
    )
    proc = _run(root, "--no-build")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert "DataNotFoundError" in line and str(tmp_path / "nowhere") in line
    proc = _run(root, "--no-build", "--only", "nothing-like-this")
    assert proc.returncode == 2 and proc.stderr.startswith("error: no notebook in _toc.yml")


def test_pages_run_side_by_side_keep_their_own_records(tmp_path):
    """--jobs 2: two pages at a time, each in its own process and kernel; every record is
    its own page's, and the page that reads the build runs after them."""
    root = _project(tmp_path)
    (root / "_toc.yml").write_text(TOC.replace("sub/bad", "sub/other") + SCORECARD_ENTRY)
    for name, rid in (("good", "models.t.a"), ("sub/other", "models.t.b")):
        (root / "notebooks" / f"{name}.py").write_text(
            CELL
            + f"# %%\nfrom connectivity import scorecard\nscorecard.measure('{rid}', 'x', 1.0)\n"
        )
    (root / "notebooks" / "scorecard.py").write_text(
        CELL + "# %%\nfrom connectivity import scorecard\n"
        "assert len(scorecard.load(['good', 'sub/other'])) == 2\n"
    )
    proc = _run(root, "--no-build", "--jobs", "2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    records = json.loads((root / "_build/scorecard.json").read_text())
    assert {(r["id"], r["notebook"]) for r in records} == {
        ("models.t.a", "good"),
        ("models.t.b", "sub/other"),
    }
    assert proc.stdout.index("scorecard (profile ci)") > proc.stdout.index("good ok in")
    assert _run(root, "--jobs", "0").returncode == 2


SCORECARD_ENTRY = "      - file: book/executed/scorecard\n"
