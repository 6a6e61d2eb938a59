"""The published book's links and files: repository, issues, download and launch buttons,
MathJax, the executed notebooks behind the launch buttons, the scorecard as CSV.

``_config.yml`` names no repository: the runner builds with ``_build/book_config.yml``,
which :func:`write_book_config` writes from it and from where the book is built. The
repository's address is, in order:

* ``BOOK_REPOSITORY`` (``https://github.com/OWNER/NAME`` or ``OWNER/NAME``);
* ``GITHUB_REPOSITORY`` on ``GITHUB_SERVER_URL``: what every GitHub Actions job has, so
  the site built by a fork links to the fork;
* the ``origin`` remote of the clone, when it is on GitHub;
* none: the repository, issues and launch buttons are left out (the download button
  stays), and the page check says so.

Launch buttons (Colab, Binder) open the executed notebooks that the Pages workflow
publishes on the branch :data:`LAUNCH_BRANCH` (``BOOK_LAUNCH_BRANCH``): the commit's
source tree plus ``book/executed/`` in the book's layout (:func:`publish`), so Binder
finds ``binder/`` and the package beside them. Jupyter Book builds a launch URL from the
repository's URL, its ``branch`` and the page's path (``book/executed/<name>.ipynb``),
so the configuration's ``branch`` is that published branch (the repository and issues
buttons do not use it; the edit button, which would, is off). In each published notebook
a first code cell installs the package in Colab (:func:`colab_cell`).

``python -m connectivity.site publish DEST --ref SHA`` writes the published notebooks;
``python -m connectivity.site csv`` writes ``_build/scorecard.csv``.
"""

from __future__ import annotations

import argparse
import copy
import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import yaml

from .locations import build_dir, repo_root
from .toc import EXECUTED as EXECUTED_FOLDER

LAUNCH_BRANCH = "executed-notebooks"
EXECUTED = EXECUTED_FOLDER.rstrip("/")  # the executed notebooks, as _toc.yml names them
BINDER_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
# the version package.json pins (npm ci installs it for offline pages)
MATHJAX_CDN = "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-chtml.js"
MATHJAX_LOCAL = "mathjax/tex-chtml.js"  # under html_static_path (runner.stage_mathjax)
CONFIG_NAME = "book_config.yml"

_GITHUB = re.compile(
    r"^(?:https://github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[\w.-]+)/(?P<name>[\w.-]+?)(?:\.git)?/?$"
)
_OWNER_NAME = re.compile(r"^(?P<owner>[\w.-]+)/(?P<name>[\w.-]+)$")


def _origin(root: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "remote", "get-url", "origin"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def repository(
    environ: Mapping[str, str] | None = None, root: Path | None = None
) -> tuple[str | None, str]:
    """The repository's web address (or None) and where it came from.

    >>> repository({"BOOK_REPOSITORY": "someone/fork"})
    ('https://github.com/someone/fork', 'BOOK_REPOSITORY')
    >>> repository({"GITHUB_REPOSITORY": "a/b", "GITHUB_SERVER_URL": "https://github.com"})
    ('https://github.com/a/b', 'GITHUB_REPOSITORY')
    """
    environ = os.environ if environ is None else environ
    given = environ.get("BOOK_REPOSITORY", "").strip()
    if given:
        m = _OWNER_NAME.match(given)
        return (f"https://github.com/{given}" if m else given.rstrip("/")), "BOOK_REPOSITORY"
    if environ.get("GITHUB_REPOSITORY"):
        server = environ.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        return f"{server}/{environ['GITHUB_REPOSITORY']}", "GITHUB_REPOSITORY"
    origin = _origin(root or repo_root())
    m = _GITHUB.match(origin or "")
    if m:
        return f"https://github.com/{m['owner']}/{m['name']}", "the origin remote"
    return None, "no BOOK_REPOSITORY, GITHUB_REPOSITORY or GitHub origin remote"


def launch_branch(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    return environ.get("BOOK_LAUNCH_BRANCH", "").strip() or LAUNCH_BRANCH


def book_config(
    base: dict, repo: str | None, branch: str = LAUNCH_BRANCH, local_mathjax: bool = True
) -> dict:
    """``_config.yml``'s content with the links of this build and the MathJax it serves.

    >>> c = book_config({}, "https://github.com/a/b")
    >>> c["repository"]["branch"], c["launch_buttons"]["colab_url"]
    ('executed-notebooks', 'https://colab.research.google.com')
    >>> book_config({}, None)["html"]["use_repository_button"]
    False
    """
    config = copy.deepcopy(base)
    html = config.setdefault("html", {})
    launch = config.setdefault("launch_buttons", {})
    html["use_download_button"] = True
    html["use_edit_page_button"] = False  # it would point at the published branch
    if repo:
        config["repository"] = {"url": repo, "branch": branch, "path_to_book": ""}
        html["use_repository_button"] = True
        html["use_issues_button"] = True
        launch.update(
            binderhub_url=BINDER_URL,
            colab_url=COLAB_URL,
            notebook_interface="jupyterlab",
        )
    else:
        # not Jupyter Book's default (its own repository)
        config["repository"] = {"url": "", "branch": branch, "path_to_book": ""}
        html["use_repository_button"] = False
        html["use_issues_button"] = False
        launch.update(binderhub_url="", colab_url="")
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["mathjax_path"] = MATHJAX_LOCAL if local_mathjax else MATHJAX_CDN
    return config


def config_path(root: Path) -> Path:
    return root / "_build" / CONFIG_NAME


def write_book_config(
    root: Path, *, local_mathjax: bool = True, environ: Mapping[str, str] | None = None
) -> Path:
    """Write ``_build/book_config.yml`` (what ``jupyter-book build --config`` reads) and
    say which repository and MathJax it names."""
    repo, source = repository(environ, root)
    branch = launch_branch(environ)
    base = yaml.safe_load((root / "_config.yml").read_text())
    config = book_config(base, repo, branch, local_mathjax)
    path = config_path(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# written by connectivity.site from _config.yml at build time: edit that file\n"
    path.write_text(header + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    if repo:
        print(
            f"[site] repository {repo} (from {source}); launch buttons open the "
            f"notebooks published on its branch {branch!r}",
            flush=True,
        )
    else:
        print(
            f"[site] repository unknown ({source}): no repository, issues or launch "
            "buttons (set BOOK_REPOSITORY=https://github.com/OWNER/NAME)",
            flush=True,
        )
    return path


def read_book_config(root: Path) -> dict | None:
    """The configuration of the last build (None before the first)."""
    path = config_path(root)
    return yaml.safe_load(path.read_text()) if path.exists() else None


# ------------------------------------------------------------- published notebooks

COLAB_SOURCE = """\
# In Colab: install the book's package (the commit that computed this notebook); the
# data come by torchvision download. Does nothing elsewhere, under papermill included,
# and leaves no name behind (the settings cell checks the notebook's names).
def _colab_install():
    import importlib.util
    import os
    import subprocess
    import sys

    if (
        "google.colab" in sys.modules
        and not os.environ.get("CONNECTIVITY_NOTEBOOK")  # the book's runner
        and importlib.util.find_spec("connectivity") is None
    ):
        spec = "connectivity @ git+{url}@{ref}"
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", spec])
        importlib.invalidate_caches()


_colab_install()
del _colab_install"""


def colab_cell(repo: str, ref: str):
    """The first code cell of a published notebook: the package from the repository."""
    import nbformat

    cell = nbformat.v4.new_code_cell(COLAB_SOURCE.format(url=repo.rstrip("/"), ref=ref))
    cell.metadata["tags"] = ["remove-cell", "colab-install"]
    return cell


def published_notebook(nb, repo: str, ref: str):
    """A copy of an executed notebook with :func:`colab_cell` first."""
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if "colab-install" not in c.get("metadata", {}).get("tags", [])]
    nb.cells.insert(0, colab_cell(repo, ref))
    return nb


def publish(root: Path, dest: Path, repo: str, ref: str) -> list[Path]:
    """Write every executed notebook to ``dest/book/executed/<name>.ipynb`` (the book's
    layout, which the launch buttons name) with :func:`colab_cell` first."""
    import nbformat

    src = root / EXECUTED
    notebooks = sorted(src.rglob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no executed notebooks in {src}: run the book first")
    out = []
    for path in notebooks:
        target = dest / EXECUTED / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        nb = nbformat.read(path, as_version=4)
        nbformat.write(published_notebook(nb, repo, ref), target)
        out.append(target)
    return out


# ------------------------------------------------------------------ scorecard CSV


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, default=str, sort_keys=True)


def scorecard_csv(src: Path, dest: Path) -> int:
    """``_build/scorecard.json`` as CSV: one row a record, a column a field (nested values
    as JSON). Returns the number of rows."""
    records = json.loads(src.read_text())
    columns: list[str] = []
    for rec in records:
        columns += [k for k in rec if k not in columns]
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(dest, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for rec in records:
            writer.writerow([_cell(rec.get(c)) for c in columns])
    return len(records)


# ------------------------------------------------------------------- page check

_HREF = re.compile(r"""<a\s[^>]*?href=["']([^"']+)["'][^>]*>""", re.IGNORECASE)
_CLASS = re.compile(r"""class=["']([^"']*)["']""", re.IGNORECASE)


def _links(page_html: str) -> list[tuple[str, str]]:
    """(href, class) of every link of a page (HTML entities in hrefs decoded)."""
    import html as _html

    out = []
    for m in _HREF.finditer(page_html):
        cls = _CLASS.search(m.group(0))
        out.append((_html.unescape(m.group(1)), cls.group(1) if cls else ""))
    return out


def launch_target(url: str) -> tuple[str, str, str] | None:
    """(``OWNER/NAME``, branch, path in the repository) of a Colab or Binder launch link.

    >>> launch_target("https://colab.research.google.com/github/a/b/blob/br/book/executed/x.ipynb")
    ('a/b', 'br', 'book/executed/x.ipynb')
    >>> launch_target("https://mybinder.org/v2/gh/a/b/br?urlpath=lab/tree/book/executed/x.ipynb")
    ('a/b', 'br', 'book/executed/x.ipynb')
    """
    m = re.match(re.escape(COLAB_URL) + r"/github/([^/]+/[^/]+)/blob/([^/]+)/(.+)$", url)
    if m:
        return m.group(1), m.group(2), m.group(3)
    m = re.match(
        re.escape(BINDER_URL) + r"/v2/gh/([^/]+/[^/]+)/([^?]+)\?urlpath=(?:lab/)?tree/(.+)$", url
    )
    if m:
        return m.group(1), m.group(2), m.group(3)
    return None


def link_problems(page_html: str, name: str, root: Path, config: dict | None) -> list[str]:
    """What a built page's header lacks: a download link always; with a repository in
    the build's configuration (``_build/book_config.yml``) also the repository and issues
    links and, on a notebook page (``book/executed/<name>``), Colab and Binder links, each
    to this page's notebook in the published layout (``book/executed/<name>.ipynb``, which
    must exist) on the configured repository and launch branch. Without that file (a page
    the runner did not build) nothing is checked."""
    if config is None:
        return []
    links = _links(page_html)
    problems = []
    if not any("btn-download-" in cls for _, cls in links):
        problems.append("no download link")
    repo = (config.get("repository") or {}).get("url") or ""
    if not repo:
        return problems
    branch = config["repository"].get("branch") or LAUNCH_BRANCH
    owner_name = "/".join(repo.rstrip("/").split("/")[-2:])
    if not any(href.rstrip("/") == repo.rstrip("/") for href, _ in links):
        problems.append(f"no link to the repository {repo}")
    if not any(href.startswith(repo.rstrip("/") + "/issues") for href, _ in links):
        problems.append(f"no link to the issues of {repo}")
    if not name.startswith(EXECUTED + "/"):
        return problems
    expected = f"{name}.ipynb"
    launches = {
        which: [h for h, _ in links if h.startswith(base)]
        for which, base in (("Colab", COLAB_URL), ("Binder", BINDER_URL))
    }
    for which, hrefs in launches.items():
        if not hrefs:
            problems.append(f"no {which} launch link")
        for href in hrefs:
            target = launch_target(href)
            if target is None:
                problems.append(f"{which} link of an unknown form: {href}")
                continue
            where, on, path = target
            if where != owner_name or on != branch or path != expected:
                problems.append(f"{which} link {href} is not {owner_name}@{branch}:{expected}")
            elif not (root / path).is_file():
                problems.append(f"{which} link names {path}, which the build did not execute")
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m connectivity.site",
        description=__doc__.split("\n\n")[0],
    )
    sub = ap.add_subparsers(dest="command", required=True)
    pub = sub.add_parser("publish", help="the executed notebooks as the launch buttons open them")
    pub.add_argument("dest", type=Path, help="folder that receives book/executed/")
    pub.add_argument("--ref", required=True, help="commit the Colab cell installs")
    pub.add_argument("--repository", help="default: as the build (BOOK_REPOSITORY, ...)")
    csv_ = sub.add_parser("csv", help="_build/scorecard.json as CSV")
    csv_.add_argument("--src", type=Path, default=None)
    csv_.add_argument("--dest", type=Path, default=None)
    sub.add_parser("config", help="write _build/book_config.yml and say what it links")
    args = ap.parse_args(argv)
    root = repo_root()
    if args.command == "publish":
        repo = args.repository or repository(root=root)[0]
        if not repo:
            print("site: no repository to install from (set BOOK_REPOSITORY)", file=sys.stderr)
            return 2
        written = publish(root, args.dest, repo, args.ref)
        print(f"[site] {len(written)} notebooks in {args.dest / EXECUTED} (Colab installs {repo})")
    elif args.command == "csv":
        src = args.src or build_dir() / "scorecard.json"
        if not src.exists():
            print(f"site: {src} does not exist (run the book first)", file=sys.stderr)
            return 2
        dest = args.dest or src.with_suffix(".csv")
        n = scorecard_csv(src, dest)
        print(f"[site] {n} records in {dest}")
    else:
        local = (root / "node_modules" / "mathjax" / "es5" / "tex-chtml.js").exists()
        print(write_book_config(root, local_mathjax=local))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
