"""Parameters a reader can find and set (issue 34, deliver 6): the runner's
``--show-params`` and ``-p``, and the generated *Parameters* page."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml
from conftest import REPO
from test_runner import _project, _run

from connectivity import parameters, runner, toc
from connectivity.settings import PROFILES, ParameterError

PAGE = "vrabel2024/04_percolation"


@pytest.fixture
def main(capsys, monkeypatch):
    """``python -m connectivity.runner ARGS`` in this process, on the repository: its
    exit status, stdout and stderr."""
    monkeypatch.setenv("CONNECTIVITY_ROOT", str(REPO))

    def run(*args: str) -> tuple[int, str, str]:
        status = runner.main(list(args))
        out = capsys.readouterr()
        return status, out.out, out.err

    return run


@pytest.mark.parametrize("profile", ["smoke", "paper"])
def test_show_params_prints_every_parameter_with_its_value_and_meaning(profile, main):
    status, out, err = main("--show-params", "percolation", "--profile", profile)
    assert status == 0, err
    cls = toc.settings_class(PAGE)
    settings, docs, types = cls.resolve(profile), cls.docs(), parameters.annotations(cls)
    lines = out.splitlines()
    assert lines[0].startswith(f"{PAGE}: parameters of profile {profile!r}")
    for name, value in settings.as_dict().items():
        shown = f"  {name}: {types[name]} = {parameters._value(value)}"
        assert shown in lines, shown
        if name != "profile":
            assert lines[lines.index(shown) + 1].strip() == docs[name]


def test_a_refused_parameter_stops_the_runner_in_one_line_before_any_notebook(main):
    def run(*args):
        return main("--only", "percolation", "--no-build", *args)

    status, out, err = run("--profile", "smoke", "-p", "conj_pair", "3")
    assert status == 2 and len(err.strip().splitlines()) == 1, err
    assert err.startswith(
        f"parameter refused by {PAGE}: unknown parameter 'conj_pair'. Did you mean 'conj_pairs'?"
    )
    assert "[1/1]" not in out, "a notebook ran"
    status, out, err = run("-p", "conj_eps", "abc")
    assert status == 2 and "'conj_eps' expects a float" in err
    status, out, err = run("-p", "profile", "smoke")
    assert status == 2 and "--profile" in err


def test_p_values_reach_the_notebook_as_papermill_parameters(tmp_path):
    root = _project(tmp_path)
    args = ["-p", "seeds", "[1, 2]", "-p", "cfg", "{a: 1}", "-p", "note", "two words"]
    proc = _run(root, "--only", "good", "--no-build", *args, "-p", "lr", "0.5")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    nb = json.loads((root / "book/executed/good.ipynb").read_text())
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"]["tags"])
    source = "".join(injected["source"])
    for line in ("seeds = [1, 2]", 'cfg = {"a": 1}', 'note = "two words"', "lr = 0.5"):
        assert line in source, source


@pytest.mark.parametrize(
    "text,value",
    [
        ("3", 3),
        ("2.5", 2.5),
        ("true", True),
        ("True", True),
        ("None", None),
        ("null", None),
        ("[0, 1]", [0, 1]),
        ('{"epochs": 2}', {"epochs": 2}),
        ("{epochs: 2, lr: 0.1}", {"epochs": 2, "lr": 0.1}),
        ("cifar10_resnet", "cifar10_resnet"),
        ("yes", "yes"),  # text, not YAML 1.1's boolean
        ("{not: [closed", "{not: [closed"),
    ],
)
def test_p_values_are_json_or_yaml_else_text(text, value):
    assert parameters.parse_value(text) == value


def test_p_profile_is_refused():
    with pytest.raises(ParameterError, match="--profile"):
        parameters.parse_pairs([["profile", "smoke"]])
    assert parameters.parse_pairs([["n", "1"], ["n", "2"]]) == {"n": 2}


def test_the_parameters_page_lists_every_page_and_parameter_per_profile(tmp_path):
    path = parameters.write_page(tmp_path, list(toc.PAGES))
    text = path.read_text()
    assert path == tmp_path / "book" / "parameters.md" and text.startswith("# Parameters\n")
    for page in toc.PAGES:
        cls = toc.settings_class(page)
        section = text.split(f"## `{page}`\n", 1)[1].split("\n## ", 1)[0]
        for name in cls.parameter_names()[1:]:
            assert f"* **`{name}`** ({parameters.annotations(cls)[name]}): " in section
    table1 = text.split("## `gu2023/01_table1`\n", 1)[1].split("\n## ", 1)[0]
    line = next(x for x in table1.splitlines() if x.startswith("  `paper` `[0, 1, 2]`"))
    assert line.split(" · ")[1:] == [
        "`ci` *as `paper`*",
        "`smoke` `[0, 1]`",
        "`smoke-paper` `[0, 1]`",
    ]
    # a nested config shows the keys a profile changes
    neb = table1.split("* **`neb`**", 1)[1].splitlines()[1]
    ci = toc.settings_class("gu2023/01_table1").resolve("ci").neb
    assert f'`ci` `{{"n_pivots": {ci.n_pivots}' in neb
    assert set(PROFILES) == {"paper", "ci", "smoke", "smoke-paper"}


def test_the_parameters_page_is_in_the_book_and_generated_not_committed():
    toc = yaml.safe_load((REPO / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    assert parameters.PAGE.removesuffix(".md") in files
    ignored = subprocess.run(["git", "check-ignore", "-q", parameters.PAGE], cwd=REPO, timeout=30)
    assert ignored.returncode == 0, "book/parameters.md is generated: git-ignored"
