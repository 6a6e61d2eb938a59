"""Open every page of _toc.yml in headless Chromium; fail on a traceback or a broken image."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def toc_pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("file"), str):
                pages.append(node["file"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(toc.get("parts", toc.get("chapters", [])))
    return pages


def main() -> int:
    problems: list[str] = []
    pages = toc_pages()
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", args=FLAGS,
                                                       headless=True)
        page = browser.new_page()
        failed_requests: list[str] = []
        page.on("requestfailed", lambda r: failed_requests.append(r.url))
        for name in pages:
            path = HTML / f"{name.removesuffix('.ipynb').removesuffix('.md')}.html"
            if not path.exists():
                problems.append(f"{name}: no HTML page {path}")
                continue
            failed_requests.clear()
            page.goto(path.as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            text = page.inner_text("body")
            n_img = page.evaluate("document.images.length")
            broken = page.evaluate("Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))"
                                   ".map(i => i.src)")
            n_tb = page.evaluate("document.querySelectorAll('.output.traceback, .output.error').length")
            mathjax = page.evaluate("typeof window.MathJax !== 'undefined'")
            status = []
            if "Traceback (most recent call last)" in text or n_tb:
                status.append("shows a traceback")
            if broken:
                status.append(f"{len(broken)} broken image(s): {broken[:3]}")
            local_failures = [u for u in failed_requests if u.startswith("file:")]
            if local_failures:
                status.append(f"failed to load {local_failures[:3]}")
            print(f"{name:<45} images {n_img:>3}  mathjax {'yes' if mathjax else 'no ':<3}  "
                  f"{'; '.join(status) or 'ok'}")
            problems += [f"{name}: {s}" for s in status]
        browser.close()
    if problems:
        print("\nPAGE CHECK FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"\nall {len(pages)} pages render without tracebacks or broken images")
    return 0


if __name__ == "__main__":
    sys.exit(main())
