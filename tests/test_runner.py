"""The book runner: order, failures named, exit status, bad options."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from connectivity import book

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
        CELL + "# %%\nfrom connectivity import scorecard\nscorecard.record('models.t.acc', 'a test', 1.0)\n"
        "print('profile is', profile)\n")
    (tmp_path / "notebooks" / "sub" / "bad.py").write_text(CELL + "# %%\nraise RuntimeError('boom in bad')\n")
    return tmp_path


def _run(root, *args):
    env = {**os.environ, "CONNECTIVITY_ROOT": str(root)}
    return subprocess.run([sys.executable, "-m", "connectivity.book", *args], capture_output=True, text=True,
                          env=env, cwd=root, timeout=300)


def test_toc_order_and_selection(tmp_path):
    root = _project(tmp_path)
    assert book.toc_notebooks(root) == ["good", "sub/bad"]
    assert book.select(["good", "sub/bad"], ["bad"]) == ["sub/bad"]


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
    timings = {r["notebook"]: r for r in json.loads((root / "_build/timings.json").read_text())}
    assert timings["good"]["status"] == "ok" and timings["sub/bad"]["status"] == "failed"
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
