"""Rules of the house that hold for every notebook and for the project's own plumbing:

* every notebook source is in ``_toc.yml`` and every book notebook has a source;
* every book notebook is smoke-tested at both toy profiles, and (checked by the hook in
  conftest.py) writes scorecard records unless it is a page about the book itself;
* papermill reads every parameters cell completely (no "Unable to parse" line), with
  each parameter's type and meaning;
* shown code lines fit the page (<= 100 characters); notebooks are thin (<= 50
  non-trivial code lines);
* dependencies: every third-party import of the library is declared in pyproject.toml
  and pinned in requirements.txt;
* lint plumbing: ``make lint`` runs ruff (format and check), the floors' import
  contracts (which a deliberate breach in a copy of the library fails) and actionlint,
  ``.ci/run`` calls it, the pre-commit hooks use the venv's tools, the Pages workflow is valid and
  its cache is keyed on the sources;
* ``.ci/check_pages.py`` fails on printed reprs, cut code, uncaptioned figures, table
  cells whose numbers touch, tables wider than their box (a warning on most pages) and
  pages over their height.
"""

from __future__ import annotations

import ast
import importlib.util
import logging
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import jupytext
import pytest
import yaml
from conftest import NO_RECORDS, REPO, make_recipe

import connectivity
from connectivity import toc

NOTEBOOKS = toc.toc_notebooks(REPO)
SOURCES = sorted(
    str(p.relative_to(REPO / "notebooks").with_suffix(""))
    for p in (REPO / "notebooks").rglob("*.py")
)
BIN = Path(sys.executable).parent
MAX_LINE = 100
MAX_WEIGHT = 50


def _cells(name: str):
    return jupytext.read(REPO / "notebooks" / f"{name}.py").cells


def _tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


# ---------------------------------------------------------------- notebooks


def test_every_notebook_is_in_the_toc_and_every_toc_entry_has_a_source():
    assert sorted(NOTEBOOKS) == SOURCES, "notebooks/ and _toc.yml list different notebooks"
    assert len(set(NOTEBOOKS)) == len(NOTEBOOKS), "a notebook is listed twice in _toc.yml"


def test_every_toc_notebook_is_smoke_tested_in_both_profiles():
    import test_notebooks

    marks = {
        m.args[0]: m.args[1]
        for m in test_notebooks.test_notebook_runs_at_toy_size.pytestmark
        if m.name == "parametrize"
    }
    assert list(marks["name"]) == NOTEBOOKS
    assert set(marks["profile"]) == {"smoke", "smoke-paper"}
    assert set(NO_RECORDS) <= set(NOTEBOOKS), "NO_RECORDS names a notebook not in the book"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_papermill_reads_the_whole_parameters_cell(name, caplog):
    """papermill parses the parameters cell line by line; a line it cannot parse (e.g. a
    comment holding ``=``) is skipped with a warning, and that parameter's help is lost."""
    from papermill.translators import PythonTranslator

    cell = next(c for c in _cells(name) if "parameters" in _tags(c))
    with caplog.at_level(logging.WARNING, logger="papermill"):
        parsed = PythonTranslator.inspect(cell)
    assert not [r.getMessage() for r in caplog.records], "papermill cannot parse a line"
    body = ast.parse(cell.source).body
    assigned = [
        ast.unparse(t)
        for node in body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
    ]
    assert [p.name for p in parsed] == assigned
    # every parameter typed (papermill --help-notebook shows the type) and explained
    types = {n.target.id: ast.unparse(n.annotation) for n in body if isinstance(n, ast.AnnAssign)}
    assert {p.name: p.inferred_type_name for p in parsed} == {n: types.get(n) for n in assigned}
    assert all(p.help for p in parsed), "a parameter without its meaning (# comment)"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shown_code_lines_fit_the_page(name):
    """Code a reader sees (every code cell not tagged remove-cell or remove-input) has
    lines of at most 100 characters: longer ones are cut at the page's right edge."""
    long = [
        f"cell {i}: {len(line)} characters: {line[:50]}..."
        for i, cell in enumerate(_cells(name))
        if cell.cell_type == "code" and not _tags(cell) & {"remove-cell", "remove-input"}
        for line in cell.source.splitlines()
        if len(line) > MAX_LINE
    ]
    assert not long, "\n".join(long)


# the rule of /work/shared/tools/notebook_weight.py: imports, comments, bare names,
# plt.show()/plt.tight_layout() and closing brackets are trivial; the parameters cell is
# not counted
TRIVIAL = re.compile(
    r"^\s*(plt\.(show|tight_layout)\(\)|[A-Za-z_][\w.]*(\.T)?|#.*|from .* import .*"
    r"|import .*|[)\]}]+,?)\s*$"
)


def notebook_weight(text: str) -> int:
    """Non-trivial code lines of a py:percent notebook."""
    n, kind = 0, None
    for line in text.splitlines():
        if line.startswith("# %%"):
            kind = "md" if "[markdown]" in line else ("param" if "parameters" in line else "code")
            continue
        if kind == "code" and line.strip() and not TRIVIAL.match(line):
            n += 1
    return n


def test_notebook_weight_counts_what_it_should():
    text = (
        '# %% tags=["parameters"]\nprofile = "ci"\n'
        "# %% [markdown]\n# x = 1\n"
        "# %%\nimport torch\nfrom a import b\nx = f(1)\n# note\nfig\n)\nplt.show()\n"
        "y = [\n    1,\n]\n"
    )
    assert notebook_weight(text) == 3  # x = f(1); y = [; 1,


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_thin(name):
    weight = notebook_weight((REPO / "notebooks" / f"{name}.py").read_text())
    assert weight <= MAX_WEIGHT, f"{weight} non-trivial code lines (at most {MAX_WEIGHT})"


# ---------------------------------------------------------------- dependencies

# import name -> distribution name, where they differ
DISTRIBUTION = {"sklearn": "scikit-learn", "PIL": "pillow", "yaml": "PyYAML"}


def _third_party_imports() -> set[str]:
    names = set()
    for path in (REPO / "src" / "connectivity").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n not in {"connectivity"}} - {
        "__future__"
    }


def _requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_library_imports_are_declared_and_pinned():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = {_requirement_name(d) for d in project["dependencies"]}
    dev = {_requirement_name(d) for d in project["optional-dependencies"]["dev"]}
    # optional features (the sweeps' engine): imported inside their functions, pinned too
    extras = {
        _requirement_name(d)
        for k, v in project["optional-dependencies"].items()
        if k != "dev"
        for d in v
    }
    pinned = {
        _requirement_name(line): line
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    imports = {DISTRIBUTION.get(n, n).lower().replace("_", "-") for n in _third_party_imports()}
    assert imports <= declared | extras, (
        f"imported but not in [project] dependencies: {imports - declared - extras}"
    )
    missing = (declared | dev | extras) - set(pinned)
    assert not missing, f"declared but not pinned in requirements.txt: {missing}"
    unpinned = [line for line in pinned.values() if "==" not in line]
    assert not unpinned, f"requirements.txt pins exact versions: {unpinned}"


# ---------------------------------------------------------------- lint plumbing


def _make_recipe(target: str) -> str:
    return make_recipe(target, made=(".venv/.installed", "node_modules/mathjax/es5/tex-chtml.js"))


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_lint_runs_ruff_and_actionlint_and_ci_calls_it():
    recipe = _make_recipe("lint")
    assert re.search(r"ruff format --check src tests notebooks", recipe)
    assert re.search(r"ruff check src tests notebooks", recipe)
    assert "actionlint .github/workflows/book.yml" in recipe
    assert "lint-imports" in recipe
    ci = (REPO / ".ci" / "run").read_text()
    assert re.search(r"^make lint$", ci, re.MULTILINE)


def _lint_imports(src: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the project's contracts on the package under ``src``."""
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--config", str(REPO / "pyproject.toml")],
        cwd=src.parent,
        env={**os.environ, "PYTHONPATH": str(src)},
        capture_output=True,
        text=True,
        timeout=120,
    )


BREACHES = {
    # a lower floor importing a page: the data loader reaching up to Gu's Table 1
    "data/__init__.py": ("from connectivity.pages.gu2023 import table1", "Floors"),
    # a study drawing: Gu's Table 1 study importing matplotlib
    "pages/gu2023/table1/study.py": ("import matplotlib.pyplot", "A study computes"),
    # a figures module writing records
    "pages/vrabel2024/bypass/figures.py": ("from connectivity import scorecard", "A figures"),
    # a circle: the training loop importing the cached trainer that calls it
    "training/loop.py": ("from connectivity.training import cached", "No circle"),
}


def test_one_version_in_the_package_the_citation_and_the_changelog():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())["version"]
    newest = re.search(r"^## (\S+) ", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert project == connectivity.__version__ == str(citation) == newest.group(1)


def test_every_module_of_the_library_stands_on_a_floor():
    """A module missing from the floors' contract would be checked by none of its rules."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    floors = next(c for c in config["contracts"] if c["id"] == "floors")["layers"]
    named = {name.strip() for floor in floors for name in re.split(r"[:|]", floor)}
    modules = {m.name for m in pkgutil.iter_modules(connectivity.__path__)}
    assert modules <= named, f"modules on no floor: {sorted(modules - named)}"
    assert named <= modules, f"floors name no such module: {sorted(named - modules)}"


@pytest.mark.parametrize("module", sorted(BREACHES))
def test_the_floors_hold_and_a_deliberate_breach_fails_lint(module, tmp_path):
    assert _lint_imports(REPO / "src").returncode == 0, "the library breaks its own floors"
    copy = tmp_path / "src" / "connectivity"
    shutil.copytree(
        REPO / "src" / "connectivity",
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.pt", "*.npy", "*.json"),
    )
    line, contract = BREACHES[module]
    path = copy / module
    path.write_text(path.read_text() + f"\n{line}  # a deliberate breach\n")
    out = _lint_imports(tmp_path / "src")
    assert out.returncode == 1, out.stdout
    assert re.search(rf"^{re.escape(contract)}.* BROKEN$", out.stdout, re.MULTILINE), out.stdout


def test_pre_commit_hooks_use_the_venvs_tools():
    config = yaml.safe_load((REPO / ".pre-commit-config.yaml").read_text())
    assert [r["repo"] for r in config["repos"]] == ["local"], "hooks must not need the network"
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert {"ruff-format", "ruff-check", "lint-imports", "actionlint"} <= set(hooks)
    for hook in hooks.values():
        assert hook["language"] == "system"
        tool = REPO / hook["entry"].split()[0]
        assert tool.parent == REPO / ".venv" / "bin"
        assert (BIN / tool.name).exists(), f"{tool.name} is not installed in the venv"
    if (BIN / "pre-commit").exists():
        out = subprocess.run(
            [str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stdout + out.stderr


def test_pages_workflow_is_valid_and_caches_on_the_sources():
    workflow = REPO / ".github" / "workflows" / "book.yml"
    out = subprocess.run(
        [str(BIN / "actionlint"), str(workflow)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stdout + out.stderr
    spec = yaml.safe_load(workflow.read_text())
    steps = spec["jobs"]["build"]["steps"]
    cache = next(s for s in steps if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == ".cache"
    for source in ("'src/**'", "'notebooks/**'", "'requirements.txt'"):
        assert source in cache["with"]["key"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.startswith("make book") and "PROFILE=ci" in r for r in runs)
    uses = [s.get("uses", "") for s in steps] + [
        s.get("uses", "") for s in spec["jobs"]["deploy"]["steps"]
    ]
    assert any(u.startswith("actions/upload-pages-artifact@") for u in uses)
    assert any(u.startswith("actions/deploy-pages@") for u in uses)


# ---------------------------------------------------------------- the page checker


def _check_pages():
    spec = importlib.util.spec_from_file_location("check_pages", REPO / ".ci" / "check_pages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "text,kind",
    [
        ("{'n_pairs': 3, 'noise': 0.1}", "a dict"),
        ('{"epochs": 1}', "a dict"),
        ("tensor([0.1000, 0.2000])", "a tensor"),
        ("tensor(0.5000)", "a tensor"),
        ("array([1, 2, 3])", "a numpy array"),
        ("np.float64(0.25)", "a numpy scalar"),
        ("Record(id='x', value=1.0)", "a record"),
        ("<Figure size 640x480 with 1 Axes>", "a figure object"),
    ],
)
def test_page_checker_recognises_reprs(text, kind):
    found = _check_pages().reprs_in([text])
    assert found and found[0].startswith(f"prints {kind}")


@pytest.mark.parametrize(
    "text", ["0.5", "   a  b\n0  1  2", "Training 3 models (ci profile)", "{x | x > 0}"]
)
def test_page_checker_accepts_plain_text(text):
    assert _check_pages().reprs_in([text]) == []


CELL = """<div class="cell docutils container{tag}">{open}
<div class="cell_input docutils container"><div class="highlight-python notranslate">
<div class="highlight"><pre><span></span>{code}
</pre></div></div></div>{close}
<div class="cell_output docutils container">{output}</div></div>"""
TEXT = """<div class="output text_plain highlight-myst-ansi notranslate"><div class="highlight">
<pre><span></span>{}
</pre></div></div>"""
PAGE = """<!DOCTYPE html><html><head><style>.bd-article {{ width: {width}px; }}
pre {{ overflow-x: auto; }}</style></head><body><main><article class="bd-article">
<h1>{title}</h1>{body}</article></main></body></html>"""
# two numbers side by side, right- then left-aligned (they touch without padding)
TABLE = """<table><tr><td style="padding: {pad}; text-align: right">0.007</td>
<td style="padding: {pad}; text-align: left">0.463</td></tr></table>"""
# a table wider than a 1000-px page, in a box that scrolls (as myst-nb's outputs)
WIDE = (
    '<div style="overflow-x: auto"><table><tr><td style="white-space: nowrap">'
    + "wide " * 300
    + "</td></tr></table></div>"
)
# a 1x1 PNG
PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQ"
    "DwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _cell(code, output="", hidden=False):
    return CELL.format(
        tag=" tag_hide-input" if hidden else "",
        open='<details class="hide above-input"><summary>Show code</summary>' if hidden else "",
        close="</details>" if hidden else "",
        code=code,
        output=output,
    )


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="no Debian chromium")
def test_page_checker_fails_on_reprs_cut_code_and_uncaptioned_figures(tmp_path, capsys):
    """Two pages in myst-nb's markup: a clean one passes, a bad one fails on each fault."""
    good = "".join(
        [
            _cell("x = 1", TEXT.format("0.5")),
            _cell(
                "fig = plot()",
                f'<figure id="fig-a"><img src="{PNG}" alt="a"><figcaption><p>A caption.</p>'
                "</figcaption></figure>",
            ),
            _cell("y = 2  # " + "c" * 88, hidden=True),  # exactly 100 characters
            _cell("t", TABLE.format(pad="0.25em 0.65em")),
            _cell("w", WIDE),  # a warning only: the page has no height limit
        ]
    )
    bad = "".join(
        [
            _cell("settings.as_dict()", TEXT.format("{'n_pairs': 3, 'noise': 0.1}")),
            _cell("x", TEXT.format("tensor([0.1000, 0.2000])")),
            _cell("fig = plot()", f'<img src="{PNG}" alt="b">'),
            _cell("z = 3  # " + "c" * 92, hidden=True),  # 101 characters, collapsed
            _cell("t", TABLE.format(pad="0")),  # a Styler without padding
            _cell("w", WIDE),  # a failure: the page has a height limit
        ]
    )
    html = tmp_path / "_build" / "html"
    html.mkdir(parents=True)
    (html / "good.html").write_text(PAGE.format(title="Good", body=good, width=1000))
    (html / "bad.html").write_text(PAGE.format(title="Bad", body=bad, width=500))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: good\nchapters:\n  - file: bad\n")
    check = _check_pages()
    check.MAX_HEIGHT = {"bad": 300}  # px: the bad page is a wall
    assert check.main(["--root", str(tmp_path), "--pages", "good"]) == 0
    warned = capsys.readouterr().out.split("warnings (not failing yet):")[1]
    assert "good: cut at the right edge: table" in warned
    assert check.main(["--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    problems = [line.strip() for line in out.split("PAGE CHECK FAILED:")[1].splitlines() if line]
    assert all(p.startswith("bad: ") for p in problems), problems
    text = "\n".join(problems)
    assert "prints a dict: \"{'n_pairs': 3, 'noise': 0.1}\"" in text
    assert "prints a tensor" in text
    assert "figure without a caption" in text
    assert "code line over 100 characters (101: z = 3" in text
    assert "cut at the right edge: code block" in text
    assert re.search(r'cut at the right edge: table \d+ px in a 500 px box: "wide wide', text)
    assert re.search(r"bad: a wall: [\d,]+ px tall at 1280 px, over its limit of 300", text)
    touching = re.search(r'text touches: ([\d.]+) px between "0.007" and "0.463"', text)
    assert touching and float(touching[1]) < check.MIN_CELL_GAP  # only the unpadded table
    shots = sorted(p.name for p in (tmp_path / "_build" / "screenshots").glob("*.png"))
    assert shots == ["bad.png", "good.png"]
    from PIL import Image

    with Image.open(tmp_path / "_build" / "screenshots" / "good.png") as im:
        assert im.width == 1280


def _paper_numbers() -> set[str]:
    """The paper values as they would be typed: numbers with three or more significant
    digits (shorter ones such as 0.5, 25 or 100 are too common to mean a paper value)."""
    from connectivity.paper_values import all_values

    typed = set()
    for pv in all_values().values():
        values = pv.value if isinstance(pv.value, (list, tuple)) else [pv.value]
        for v in values:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                continue
            text = f"{v:g}"
            digits = text.replace("-", "").replace(".", "").strip("0")  # 100 has one
            if len(digits) >= 3:
                typed.add(text)
    return typed


def test_no_paper_number_is_typed_in_a_notebook():
    numbers = _paper_numbers()
    assert len(numbers) > 20, "the paper modules should hold the compared numbers"
    found = []
    for path in sorted((REPO / "notebooks").rglob("*.py")):
        text = path.read_text()
        for number in numbers:
            if re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", text):
                found.append(f"{path.relative_to(REPO)}: {number}")
    assert not found, "paper numbers typed in notebooks (read them from connectivity.paper_values)"


def test_the_typed_number_check_finds_a_planted_number():
    number = sorted(_paper_numbers())[0]
    assert re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", f"x = {number}  # paper")


PARAMETERS_LINE = 88  # measured: 89 characters overflow the 666-px code box at 1280 px


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_parameters_cell_fits_the_page(name):
    """The parameters cell is shown (collapsed) on the page, where its code box holds 88
    characters a line; longer lines are cut at the right edge (.ci/check_pages.py)."""
    cell = next(c for c in _cells(name) if "parameters" in _tags(c))
    long = [line for line in cell.source.splitlines() if len(line) > PARAMETERS_LINE]
    assert not long, f"shorten: {long}"
