"""The book runner: ``python -m connectivity.runner`` (what ``make book`` calls).

For every notebook in ``_toc.yml`` (entries under ``book/executed/``), in order:
jupytext turns ``notebooks/<name>.py`` into a notebook, papermill executes it with
``-p profile <profile>`` and a per-cell timeout into ``book/executed/<name>.ipynb``
(git-ignored), and its wall time is printed and saved to ``_build/timings.json``
(a full run's times apart from those of ``--only`` runs). Each notebook's scorecard
records replace those of its previous run. Then, for the ``ci`` profile, every
verdict is compared with ``book/expected_verdicts.yml`` (a changed verdict fails the
run, listed; ``--accept-verdicts`` records the new ones), every executed page is
checked for outcome words typed instead of generated, the scorecard is collected
and ``jupyter-book build . -W --keep-going`` renders the executed notebooks. The
exit status is non-zero when any of this failed, and the failures are named.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from . import devices, prose, scorecard, site
from .devices import DEVICE_ENV
from .errors import ReaderError, run_command
from .execution import run_pages
from .kernels import describe as describe_kernels
from .locations import build_dir, repo_root
from .parameters import parse_pairs, write_page
from .parameters import show as show_parameters
from .settings import PROFILES, ParameterError
from .timings import load_timings, save_timings, timing_table
from .toc import EXECUTED, PAGES, settings_class, toc_notebooks
from .verdict_guard import EXPECTED_VERDICTS, load_expected, verdict_changes, write_expected


def select(names: list[str], only: list[str] | None) -> list[str]:
    """The notebooks whose name contains one of ``only`` (all when ``only`` is empty)."""
    if not only:
        return names
    chosen = [n for n in names if any(o in n for o in only)]
    unknown = [o for o in only if not any(o in n for n in names)]
    if unknown:
        raise UnknownPageError(
            f"no notebook in _toc.yml matches {unknown}; notebooks: {', '.join(names)}"
        )
    return chosen


class UnknownPageError(ReaderError, LookupError):
    """A page name (``--only``, ``--show-params``) that matches no page of the book."""


class ProfileMixError(ReaderError, RuntimeError):
    """The executed pages were run with more than one profile."""


def executed_profiles(root: Path, names: list[str]) -> dict[str, list[str]]:
    """``{profile: [notebook, ...]}`` of the executed notebooks (papermill's parameters)."""
    import nbformat

    out: dict[str, list[str]] = {}
    for name in names:
        path = root / EXECUTED / f"{name}.ipynb"
        if path.exists():
            meta = nbformat.read(path, as_version=4).metadata.get("papermill", {})
            profile = meta.get("parameters", {}).get("profile", "unknown")
            out.setdefault(str(profile), []).append(name)
    return out


def check_one_profile(root: Path, names: list[str]) -> None:
    """Refuse to build a book from pages of more than one profile, naming them."""
    by_profile = executed_profiles(root, names)
    if len(by_profile) > 1:
        said = "; ".join(f"{p}: {', '.join(n)}" for p, n in sorted(by_profile.items()))
        raise ProfileMixError(
            f"the executed pages are of {len(by_profile)} profiles ({said}); run the others "
            "again with one profile (python -m connectivity.runner --profile P --only ...)"
        )


def check_verdicts(root: Path, notebooks: list[str], accept: bool) -> list[str]:
    """Compare the verdicts of ``notebooks`` with ``book/expected_verdicts.yml``; with
    ``accept``, write them there instead. Returns the changes (empty: none)."""
    records = scorecard.load(notebooks)
    path = root / EXPECTED_VERDICTS
    if accept:
        write_expected(path, records, notebooks)
        return []
    return verdict_changes(records, load_expected(path), notebooks)


def check_prose(root: Path, notebooks: list[str]) -> list[str]:
    """Typed outcome words (and glued sentences naming no record) in executed pages."""
    records = scorecard.load(notebooks)
    problems = []
    for name in notebooks:
        path = root / EXECUTED / f"{name}.ipynb"
        if path.exists():
            problems += [f"{name}: {p}" for p in prose.check_notebook(path, records)]
    return problems


# the book's own style sheet and script (book/), served from the static folder
STATIC_FILES = ("custom.css", "records.js")


def stage_mathjax(root: Path) -> bool:
    """Copy :data:`STATIC_FILES` and MathJax 3 (npm ``mathjax``) into the static folder
    that the book serves; without
    it (no Node.js), say that the pages take MathJax from its CDN. True when local."""
    import shutil

    for name in STATIC_FILES:
        shutil.copy(root / "book" / name, build_dir("static") / name)
    src = root / "node_modules" / "mathjax" / "es5"
    if not (src / "tex-chtml.js").exists():
        print(
            f"[mathjax] no local copy ({src}; `npm ci` makes it, with Node.js): the pages "
            f"take MathJax from its CDN, {site.MATHJAX_CDN}, and need internet for math",
            flush=True,
        )
        return False
    dest = build_dir("static") / "mathjax"
    if not (dest / "tex-chtml.js").exists():
        shutil.copytree(src, dest, dirs_exist_ok=True)
    return True


def build(root: Path) -> int:
    """``jupyter-book build`` with warnings as errors, with the configuration of this build
    (``connectivity.site``: repository and launch links, MathJax); returns its exit status."""
    config = site.write_book_config(root, local_mathjax=stage_mathjax(root))
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe) if exe.exists() else "jupyter-book", "build", str(root)]
    cmd += ["--config", str(config), "-W", "--keep-going"]
    print("$", " ".join(cmd), flush=True)
    log = build_dir() / "build.log"
    with open(log, "w") as f:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=root
        )
        for line in proc.stdout:
            sys.stdout.write(line)
            f.write(line)
        return proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m connectivity.runner",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument(
        "--profile", default="ci", help=f"run profile ({', '.join(PROFILES)}; default ci)"
    )
    ap.add_argument(
        "--only", nargs="*", metavar="NAME", help="run only notebooks whose name contains NAME"
    )
    ap.add_argument(
        "--no-build", action="store_true", help="execute notebooks but do not build the HTML"
    )
    ap.add_argument(
        "--build-only", action="store_true", help="build from the executed notebooks already there"
    )
    ap.add_argument(
        "--cell-timeout", type=int, default=3600, help="seconds one cell may run (default 3600)"
    )
    ap.add_argument(
        "--list", action="store_true", help="list the notebooks in _toc.yml order and exit"
    )
    ap.add_argument(
        "--accept-verdicts",
        action="store_true",
        help=f"write the verdicts of this run into {EXPECTED_VERDICTS} instead of comparing"
        " (with --build-only: those of the last full ci run)",
    )
    ap.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        dest="parameters",
        metavar=("NAME", "VALUE"),
        help="set a parameter of the notebooks run (repeatable; VALUE is read as JSON, a YAML"
        " list or dict, True/False/None, else text), checked by their settings before any"
        " runs; a dict changes only the keys it names",
    )
    ap.add_argument(
        "--show-params",
        metavar="PAGE",
        help="print every parameter of the notebooks whose name contains PAGE, with its type,"
        " its value in --profile and its meaning, and exit",
    )
    ap.add_argument(
        "--jobs",
        type=int,
        default=1,
        help="run up to JOBS pages at a time, each in its own kernel (the scorecard and"
        " Performance pages after the others, alone); the numbers do not change (default 1)",
    )
    ap.add_argument(
        "--force",
        action="store_true",
        help="execute every page, even one whose source, parameters, library, kernels,"
        " device and inputs are unchanged since it last ran (default: such a page is reused)",
    )
    ap.add_argument(
        "--strict",
        action="store_true",
        help=f"fail when a verdict of the ci profile differs from {EXPECTED_VERDICTS} (CI and"
        " the Pages workflow; without it a difference is listed on the scorecard page)",
    )
    ap.add_argument(
        "--device",
        help="the device the notebooks compute on: cpu, cuda, cuda:N, mps (untested) or auto"
        f" (default ${DEVICE_ENV}, else cpu for ci and smoke, auto for paper)",
    )
    args = ap.parse_args(argv)
    if args.jobs < 1:
        ap.error(f"--jobs must be at least 1, got {args.jobs}")
    if args.profile not in PROFILES:
        ap.error(f"unknown profile {args.profile!r}; choose one of {', '.join(PROFILES)}")
    if args.device is not None:
        devices.resolve(args.device)  # a misspelled or absent device stops before any work
        os.environ[DEVICE_ENV] = args.device  # the notebooks' kernels inherit it
    root = repo_root()
    names = toc_notebooks(root)
    if args.list:
        print("\n".join(names))
        return 0
    if args.show_params:
        pages = [n for n in select(names, [args.show_params]) if n in PAGES]
        print("\n\n".join(show_parameters(n, args.profile) for n in pages))
        return 0 if pages else 2
    chosen = select(names, args.only)
    page = ""
    try:  # a refused parameter stops the run before any notebook, in one line
        extra = parse_pairs(args.parameters)
        for page in [n for n in chosen if n in PAGES] if extra else []:
            settings_class(page).resolve(args.profile, **extra)
    except ParameterError as e:
        print(f"parameter refused{f' by {page}' if page else ''}: {e}", file=sys.stderr)
        return 2
    rows: list[dict] = []
    full = not args.only
    started = time.strftime("%Y-%m-%dT%H:%M:%S")
    if not args.build_only:
        print(f"[book] notebooks run on {describe_kernels()}", flush=True)
        if full:
            scorecard.clear()  # a full run starts from an empty scorecard

        def done(row: dict) -> None:
            rows.append(row)
            save_timings([row], full=full, started=started, profile=args.profile)
            if row.get("reused"):
                when = row.get("executed", "?")
                print(
                    f"    {row['notebook']} reused: nothing it depends on changed since it ran"
                    f" on {when} ({row['seconds']:.1f} s then; --force runs it)",
                    flush=True,
                )
            else:
                took = f"{row['status']} in {row['seconds']:.1f} s"
                print(f"    {row['notebook']} {took} {row['error']}", flush=True)

        run_pages(chosen, names, root, args, extra, done)
        rows.sort(key=lambda r: names.index(r["notebook"]))
        print("\nNotebook wall times\n" + timing_table(rows), flush=True)
    scorecard.collect(names)
    failed = [r["notebook"] for r in rows if r["status"] != "ok"]
    status = 0
    if failed:
        print(
            f"\nFAILED notebooks: {', '.join(failed)} (see book/executed/<name>.ipynb)", flush=True
        )
        status = 1
        mendable = [r for r in rows if r.get("reader_error")]
        if len(mendable) == len(failed):  # missing data, a damaged checkpoint, ...: one line
            print(f"error: {mendable[0]['error']}", file=sys.stderr, flush=True)
            status = 2
    ran = [r["notebook"] for r in rows if r["status"] == "ok"]
    if args.build_only and args.accept_verdicts:
        # accept the verdicts of the last full run without executing it again
        last = load_timings()["full"]
        if (
            last["profile"] != "ci"
            or not last["rows"]
            or any(r["status"] != "ok" for r in last["rows"])
        ):
            print("--accept-verdicts --build-only needs a complete full ci run first", flush=True)
            return 1
        ran = [r["notebook"] for r in last["rows"]]
    if ran and args.profile == "ci":
        changes = check_verdicts(root, ran, args.accept_verdicts)
        if args.accept_verdicts:
            print(
                f"\nverdicts of {len(ran)} notebook(s) written to {EXPECTED_VERDICTS}", flush=True
            )
        elif changes and args.strict:
            print(
                f"\nVERDICTS CHANGED against {EXPECTED_VERDICTS} ({len(changes)}):\n  "
                + "\n  ".join(changes)
                + "\nIf the change is intended, rerun with --accept-verdicts and commit the file"
                " with the reason.",
                flush=True,
            )
            status = 1
        elif changes:  # a reader's build on another device or kernels: said, not failed
            print(
                f"\nnote: {len(changes)} verdict(s) differ from the reference build "
                f"({EXPECTED_VERDICTS}); the scorecard page lists them with the device and "
                "kernels that computed them (--strict makes this an error, as in CI)",
                flush=True,
            )
    problems = check_prose(root, ran)
    if problems:
        print(
            f"\nPROSE NOT FOLLOWING THE NUMBERS ({len(problems)}):\n  " + "\n  ".join(problems),
            flush=True,
        )
        status = 1
    if not args.no_build:
        missing = [n for n in names if not (root / EXECUTED / f"{n}.ipynb").exists()]
        if missing:
            print(
                f"\nBUILD FAILED: not executed yet: {', '.join(missing)} (run them: python -m"
                " connectivity.runner, or --only NAME with the book's profile)",
                flush=True,
            )
            return 1
        check_one_profile(root, names)  # a book of pages of two profiles is refused
        t0 = time.perf_counter()
        write_page(root, names)  # the Parameters page, from the settings classes
        rc = build(root)
        print(f"jupyter-book build: exit {rc} in {time.perf_counter() - t0:.1f} s", flush=True)
        if rc != 0:
            print(
                "BUILD FAILED: jupyter-book build reported errors or warnings"
                " (see _build/build.log)",
                flush=True,
            )
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(run_command(main))
