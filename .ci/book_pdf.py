"""The book as one PDF (``make pdf``): sphinx's ``singlehtml`` builder renders the executed
notebooks of the last ``make book`` into one HTML page (``_build/singlehtml/``), and
headless Chromium prints it, after MathJax has typeset, to ``_build/pdf/book.pdf``.

``python .ci/book_pdf.py [--root DIR] [--chromium PATH]``; prints the seconds each step
took. Jupyter Book's own ``pdfhtml`` builder does the same through pyppeteer, which
downloads a Chromium of its own (impossible offline); this uses Debian's.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def build_singlehtml(root: Path) -> Path:
    """Render the book into one page; returns its path."""
    from connectivity import site
    from connectivity.runner import stage_mathjax

    # MathJax (local, or its CDN without Node.js) and custom.css, as `make book` does
    config = site.write_book_config(root, local_mathjax=stage_mathjax(root))
    exe = Path(sys.executable).parent / "jupyter-book"
    cmd = [str(exe), "build", str(root), "--builder", "singlehtml", "--keep-going"]
    cmd += ["--config", str(config)]
    log = root / "_build" / "singlehtml.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as f:
        rc = subprocess.run(cmd, cwd=root, stdout=f, stderr=subprocess.STDOUT).returncode
    # index.html only redirects to the root document, which holds the whole book; that
    # page sits in the root document's folder but links _static/ and _images/ as if it
    # were at the top, so a copy at the top is what renders completely
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    folder = root / "_build" / "singlehtml"
    page = folder / f"{toc['root'].removesuffix('.md')}.html"
    if rc != 0 or not page.exists():
        raise SystemExit(f"singlehtml build failed (exit {rc}); see {log}")
    whole = folder / "whole-book.html"
    whole.write_text(page.read_text())
    return whole


def print_pdf(page: Path, out: Path, chromium: str) -> int:
    """Print ``page`` to ``out`` (A4, backgrounds kept); returns the number of pages."""
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile, executable_path=chromium, args=FLAGS, headless=True
        )
        tab = browser.new_page()
        tab.goto(page.as_uri(), wait_until="load")
        if tab.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
            tab.wait_for_function("() => window.MathJax && MathJax.startup", timeout=60_000)
            tab.evaluate("() => MathJax.startup.promise")  # typesetting finished
        # paper has no clicks: the record tables' collapsed texts (bases, quotes) open
        tab.evaluate("document.querySelectorAll('details.record-more').forEach(d => d.open = true)")
        tab.emulate_media(media="print")
        tab.pdf(
            path=str(out),
            format="A4",
            print_background=True,
            margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"},
        )
        browser.close()
    return out.read_bytes().count(b"/Type /Page") - out.read_bytes().count(b"/Type /Pages")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    page = build_singlehtml(args.root)
    t1 = time.perf_counter()
    out = args.root / "_build" / "pdf" / "book.pdf"
    pages = print_pdf(page, out, args.chromium)
    t2 = time.perf_counter()
    size = out.stat().st_size / 1e6
    print(
        f"{out} ({pages} pages, {size:.1f} MB): singlehtml build {t1 - t0:.0f} s, "
        f"printing {t2 - t1:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
