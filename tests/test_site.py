"""The published site (``connectivity.site``): the repository's address from where the
book is built, the configuration the runner builds with, the executed notebooks the
launch buttons open (with the Colab install cell first), the page check's link rules,
the scorecard as CSV, the Binder environment, the Pages workflow, MathJax without Node.js.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
import yaml
from conftest import REPO, make_recipe

from connectivity import runner, site

REPO_URL = "https://github.com/someone/fork"


# ------------------------------------------------------------ repository address


def test_the_address_comes_from_the_workflow_context_so_forks_link_to_themselves(tmp_path):
    env = {"GITHUB_REPOSITORY": "someone/fork", "GITHUB_SERVER_URL": "https://github.com"}
    assert site.repository(env, tmp_path) == (REPO_URL, "GITHUB_REPOSITORY")
    # BOOK_REPOSITORY (what the workflow and .ci/run pass) comes first
    env["BOOK_REPOSITORY"] = "https://github.com/other/book/"
    assert site.repository(env, tmp_path)[0] == "https://github.com/other/book"


def test_without_an_address_the_links_are_left_out(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    repo, why = site.repository({}, tmp_path)
    assert repo is None and "BOOK_REPOSITORY" in why
    config = site.book_config({"html": {}}, None)
    assert config["html"]["use_repository_button"] is False
    assert config["html"]["use_issues_button"] is False
    assert config["html"]["use_download_button"] is True
    assert config["launch_buttons"]["colab_url"] == config["launch_buttons"]["binderhub_url"]
    assert config["repository"]["url"] == ""  # not Jupyter Book's own repository


def test_a_github_origin_remote_is_the_address_of_a_local_clone(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(
        ["git", "remote", "add", "origin", "git@github.com:someone/fork.git"],
        cwd=tmp_path,
        check=True,
    )
    assert site.repository({}, tmp_path) == (REPO_URL, "the origin remote")


def test_the_build_configuration_names_the_published_branch(tmp_path):
    base = yaml.safe_load((REPO / "_config.yml").read_text())
    config = site.book_config(base, REPO_URL, "executed-notebooks", local_mathjax=False)
    assert config["repository"] == {
        "url": REPO_URL,
        "branch": "executed-notebooks",
        "path_to_book": "",
    }
    assert config["html"]["use_repository_button"] and config["html"]["use_issues_button"]
    assert config["html"]["use_edit_page_button"] is False
    assert config["launch_buttons"]["colab_url"] == site.COLAB_URL
    assert config["launch_buttons"]["binderhub_url"] == site.BINDER_URL
    assert config["sphinx"]["config"]["mathjax_path"] == site.MATHJAX_CDN
    # everything else of _config.yml is kept
    assert config["title"] == base["title"] and config["parse"] == base["parse"]
    assert base["sphinx"]["config"]["mathjax_path"] == site.MATHJAX_LOCAL  # not modified


def test_write_book_config_is_read_back_and_says_what_it_links(tmp_path, capsys):
    shutil.copy(REPO / "_config.yml", tmp_path / "_config.yml")
    path = site.write_book_config(tmp_path, environ={"BOOK_REPOSITORY": "someone/fork"})
    assert path == tmp_path / "_build" / "book_config.yml"
    assert site.read_book_config(tmp_path)["repository"]["url"] == REPO_URL
    assert "repository https://github.com/someone/fork" in capsys.readouterr().out


def test_the_cdn_mathjax_is_the_pinned_npm_version():
    pinned = json.loads((REPO / "package.json").read_text())["dependencies"]["mathjax"]
    assert f"mathjax@{pinned}/" in site.MATHJAX_CDN


def test_without_node_the_runner_takes_mathjax_from_its_cdn_and_says_so(
    tmp_path, monkeypatch, capsys
):
    (tmp_path / "book").mkdir()
    for name in runner.STATIC_FILES:
        shutil.copy(REPO / "book" / name, tmp_path / "book" / name)
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    assert runner.stage_mathjax(tmp_path) is False
    assert site.MATHJAX_CDN in capsys.readouterr().out
    assert all((tmp_path / "_build" / "static" / n).exists() for n in runner.STATIC_FILES)


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_book_needs_npm_only_where_node_is():
    def recipe(*extra):
        return make_recipe("book", *extra)

    assert "npm ci" not in recipe("NPM=")
    assert "connectivity.runner" in recipe("NPM=")
    if shutil.which("npm"):
        assert "npm ci" in recipe()


# ------------------------------------------------------------ published notebooks


def _executed(root, name: str):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("# A page"),
        nbformat.v4.new_code_cell('profile = "ci"', metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("x = 1"),
    ]
    path = root / site.EXECUTED / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def test_published_notebooks_keep_the_book_layout_with_the_colab_cell_first(tmp_path):
    root = tmp_path / "root"
    for name in ("classifiers", "gu2023/01_table1"):
        _executed(root, name)
    written = site.publish(root, tmp_path / "out", REPO_URL, "abc123")
    rel = sorted(str(p.relative_to(tmp_path / "out")) for p in written)
    assert rel == ["book/executed/classifiers.ipynb", "book/executed/gu2023/01_table1.ipynb"]
    nb = nbformat.read(written[0], as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and "remove-cell" in first.metadata["tags"]
    assert f"connectivity @ git+{REPO_URL}@abc123" in first.source
    assert [c.cell_type for c in nb.cells[1:]] == ["markdown", "code", "code"]
    assert "parameters" in nb.cells[2].metadata["tags"]
    # the book's own copy is untouched; publishing twice gives one install cell
    assert "colab" not in (root / site.EXECUTED / "classifiers.ipynb").read_text()
    again = site.published_notebook(nb, REPO_URL, "abc123")
    assert sum("colab-install" in c.metadata.get("tags", []) for c in again.cells) == 1


@pytest.mark.parametrize(
    "colab,env,installed,runs_pip",
    [
        (False, {}, False, False),  # Jupyter, Binder, papermill outside Colab
        (True, {"CONNECTIVITY_NOTEBOOK": "classifiers"}, False, False),  # the runner
        (True, {}, True, False),  # already installed (a second run, papermill in Colab)
        (True, {}, False, True),  # a fresh Colab runtime
    ],
)
def test_the_colab_cell_installs_only_in_a_fresh_colab_runtime(
    monkeypatch, colab, env, installed, runs_pip
):
    import importlib.util

    calls = []
    monkeypatch.setattr(subprocess, "check_call", lambda cmd: calls.append(cmd))
    monkeypatch.delenv("CONNECTIVITY_NOTEBOOK", raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if colab:
        monkeypatch.setitem(sys.modules, "google.colab", object())
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: (
            (real("json") if installed else None) if name == "connectivity" else real(name, *a)
        ),
    )
    namespace = {}
    exec(site.colab_cell(REPO_URL, "abc123").source, namespace)
    assert set(namespace) == {"__builtins__"}  # no name left for the settings cell
    assert bool(calls) == runs_pip
    if runs_pip:
        assert calls[0][-1] == f"connectivity @ git+{REPO_URL}@abc123"


# ------------------------------------------------------------------ page check

PAGE = """<html><body><div class="article-header-buttons">
<a href="https://mybinder.org/v2/gh/someone/fork/executed-notebooks?urlpath=lab/tree/{path}"
 class="btn btn-sm dropdown-item">Binder</a>
<a href="https://colab.research.google.com/github/someone/fork/blob/executed-notebooks/{path}"
 class="btn btn-sm dropdown-item">Colab</a>
<a href="https://github.com/someone/fork" class="btn btn-sm btn-source-repository-button">r</a>
<a href="https://github.com/someone/fork/issues/new?title=Issue&amp;body=x"
 class="btn btn-sm btn-source-issues-button">i</a>
<a href="../_sources/{path}" class="btn btn-sm btn-download-notebook-button" download>d</a>
</div></body></html>"""
CONFIG = {"repository": {"url": REPO_URL, "branch": "executed-notebooks"}}


def test_the_page_check_accepts_links_to_the_published_notebook(tmp_path):
    _executed(tmp_path, "gu2023/01_table1")
    page = PAGE.format(path="book/executed/gu2023/01_table1.ipynb")
    assert site.link_problems(page, "book/executed/gu2023/01_table1", tmp_path, CONFIG) == []


def test_the_page_check_refuses_a_launch_link_to_no_published_notebook(tmp_path):
    page = PAGE.format(path="book/executed/gu2023/01_table1.ipynb")
    problems = site.link_problems(page, "book/executed/gu2023/01_table1", tmp_path, CONFIG)
    assert len(problems) == 2 and all("did not execute" in p for p in problems)
    _executed(tmp_path, "gu2023/01_table1")
    wrong = PAGE.format(path="notebooks/gu2023/01_table1.py")
    problems = site.link_problems(wrong, "book/executed/gu2023/01_table1", tmp_path, CONFIG)
    assert len(problems) == 2 and all(
        "is not someone/fork@executed-notebooks" in p for p in problems
    )
    other_branch = {"repository": {"url": REPO_URL, "branch": "main"}}
    assert site.link_problems(page, "book/executed/gu2023/01_table1", tmp_path, other_branch)


def test_the_page_check_wants_every_link(tmp_path):
    bare = "<html><body><a href='x.html' class='reference'>x</a></body></html>"
    problems = site.link_problems(bare, "book/executed/classifiers", tmp_path, CONFIG)
    assert problems == [
        "no download link",
        f"no link to the repository {REPO_URL}",
        f"no link to the issues of {REPO_URL}",
        "no Colab launch link",
        "no Binder launch link",
    ]
    # a Markdown page has no launch buttons; without a repository only the download counts
    assert len(site.link_problems(bare, "book/intro", tmp_path, CONFIG)) == 3
    assert site.link_problems(bare, "book/executed/classifiers", tmp_path, {}) == [
        "no download link"
    ]
    # a page the runner did not build (no _build/book_config.yml): nothing to hold it to
    assert site.link_problems(bare, "book/executed/classifiers", tmp_path, None) == []


# ------------------------------------------------------------------ scorecard CSV


def test_the_scorecard_csv_has_a_row_per_record_and_nested_values_as_json(tmp_path):
    records = [
        {"id": "a", "verdict": "reproduced", "reproduced": 0.5, "paper": None, "extra": {}},
        {"id": "b", "verdict": "differs", "reproduced": [1, 2], "paper": 3, "extra": {"k": 1}},
    ]
    (tmp_path / "scorecard.json").write_text(json.dumps(records))
    assert site.scorecard_csv(tmp_path / "scorecard.json", tmp_path / "s.csv") == 2
    rows = list(csv.DictReader(open(tmp_path / "s.csv")))
    assert [r["id"] for r in rows] == ["a", "b"]
    assert rows[0]["reproduced"] == "0.5" and rows[0]["paper"] == ""
    assert json.loads(rows[1]["reproduced"]) == [1, 2] and json.loads(rows[1]["extra"]) == {"k": 1}


# ------------------------------------------------------ Binder and the workflow


def _pins(path):
    pins = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", line)
        if m:
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_binder_installs_the_runtime_pins_with_cpu_torch_and_the_package():
    binder, pinned = _pins(REPO / "binder" / "requirements.txt"), _pins(REPO / "requirements.txt")
    assert binder["torch"] == pinned["torch"] + "+cpu"
    assert binder["torchvision"] == pinned["torchvision"] + "+cpu"
    for name, version in binder.items():
        assert pinned[name] == version.removesuffix("+cpu"), name
    assert "download.pytorch.org/whl/cpu" in (REPO / "binder" / "requirements.txt").read_text()
    post = REPO / "binder" / "postBuild"
    assert os.access(post, os.X_OK) and "pip install --no-deps -e ." in post.read_text()


def test_the_workflow_builds_pull_requests_checks_pages_and_publishes_beside_the_site():
    spec = yaml.safe_load((REPO / ".github" / "workflows" / "book.yml").read_text())
    on = spec.get("on", spec.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in on and "push" in on
    assert "github.repository" in spec["env"]["BOOK_REPOSITORY"]
    assert spec["env"]["BOOK_LAUNCH_BRANCH"] == site.LAUNCH_BRANCH
    steps = spec["jobs"]["build"]["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    for command in ("make test", ".ci/check_pages.py", "make pdf", "connectivity.site csv"):
        assert command in runs
    assert re.search(r"cp .*book\.pdf .*scorecard\.json .*scorecard\.csv _build/html/", runs)
    publish = next(s for s in steps if "connectivity.site publish" in s.get("run", ""))
    assert publish["if"] == "github.event_name != 'pull_request'"
    assert "refs/heads/$BOOK_LAUNCH_BRANCH" in publish["run"]
    assert spec["jobs"]["deploy"]["if"] == "github.event_name != 'pull_request'"
