"""Open every page of _toc.yml in headless Chromium at 1280 px, screenshot it into
``_build/screenshots/`` and fail on what a reader should never see:

* a traceback or an error output, a broken image, a local file that failed to load;
* a Python repr printed into the page: a text output (``text/plain`` or a stream) that
  shows a dict (``{'key': ...``), a tensor (``tensor(``), a numpy array (``array(``) or
  scalar (``np.float64(``), a record (``Result(field=...``) or a figure object
  (``<Figure size ...>``);
* cut code: a shown code line longer than 100 characters, or a code or output block
  wider than its box (measured in the browser with every collapsed cell opened);
* a figure without a caption: every ``<img>`` of a page's main content must sit inside
  a ``<figure>`` with a ``<figcaption>``;
* table cells whose text touches: in a table of the page's main content, the text of two
  side-by-side cells closer than ``MIN_CELL_GAP`` px (numbers that read as one);
* a table wider than its container (cut at the page's right edge, or behind a scroll bar),
  measured on every page with every collapsed detail opened: a failure on the pages of
  ``MAX_HEIGHT``, a warning (listed, in the report too) on the others until they are fixed;
* a wall: a page taller than its limit in ``MAX_HEIGHT`` (px at 1280 px, as a reader first
  sees it, collapsed details closed), for the pages a reader opens first;
* a record table that cannot be searched or sorted (``book/records.js``): each has its
  search box; sorting the first by claim orders its rows and a search hides the others;
* missing links (``connectivity.site.link_problems``): a download link on every page; when
  the build named a repository (``_build/book_config.yml``), repository and issues links,
  and on every notebook page Colab and Binder links to that page's notebook in the
  published layout (``book/executed/<name>.ipynb`` on the launch branch).

``python .ci/check_pages.py [--root DIR] [--pages NAME ...]``; exit status 1 when a
page fails, with every problem listed; ``_build/screenshots/report.json`` holds the
per-page findings.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WIDTH = 1280
MAX_CODE_LINE = 100
MIN_CELL_GAP = 6  # px between the texts of adjacent table cells (about a space and a half)
# Page heights (px at WIDTH, details closed) not to exceed, by the end of the page's name:
# the pages a reader opens first, whose record tables once made them walls of 75,000 px.
MAX_HEIGHT = {"scorecard": 15_000, "vrabel2024/06_detection": 20_000}
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A repr at the start of a text output (or of one of its lines).
REPRS = {
    "a dict": re.compile(r"^\s*\{\s*['\"][^'\"]*['\"]\s*:", re.MULTILINE),
    "a tensor": re.compile(r"\btensor\(\s*[\[\d\-]"),
    "a numpy array": re.compile(r"\barray\(\s*[\[\d\-]"),
    "a numpy scalar": re.compile(r"\bnp\.(float|int|uint|bool)\w*\("),
    "a record": re.compile(r"^\s*[A-Z]\w*\(\w+=", re.MULTILINE),
    "a figure object": re.compile(r"<(Figure|Axes|matplotlib\.[\w.]+) .*>"),
}

# Everything measured in the page, in one pass (returned as JSON).
MEASURE_JS = """
([maxLine, minGap]) => {
  const main = document.querySelector('article.bd-article') || document.querySelector('main')
    || document.body;
  const texts = Array.from(main.querySelectorAll(
      '.cell_output .output.text_plain, .cell_output .output.stream'))
    .map(e => e.innerText);
  const codeLines = [];
  main.querySelectorAll('.cell_input pre, div.highlight pre').forEach(pre => {
    pre.textContent.split('\\n').forEach(line => {
      if (line.length > maxLine && !pre.closest('.cell_output'))
        codeLines.push(line.length + ': ' + line.slice(0, 60));
    });
  });
  const overflow = [];
  main.querySelectorAll('div.highlight pre, .cell_output pre').forEach(pre => {
    if (pre.scrollWidth > pre.clientWidth + 2) {
      const kind = pre.closest('.cell_output') ? 'output' : 'code';
      const first = pre.textContent.split('\\n').find(l => l.length > 0) || '';
      overflow.push(kind + ' block ' + pre.scrollWidth + ' px in a ' + pre.clientWidth
                    + ' px box: ' + first.slice(0, 50));
    }
  });
  const uncaptioned = Array.from(main.querySelectorAll('img')).filter(img => {
    const fig = img.closest('figure');
    return !(fig && fig.querySelector('figcaption') &&
             fig.querySelector('figcaption').innerText.trim().length > 0);
  }).map(img => img.src.split('/').pop());
  const touching = [];
  const textBox = cell => {
    if (!cell.innerText.trim()) return null;
    const range = document.createRange();
    range.selectNodeContents(cell);
    const r = range.getBoundingClientRect();
    return r.width > 0 ? r : null;
  };
  main.querySelectorAll('table tr').forEach(tr => {
    const cells = Array.from(tr.children).filter(c => c.tagName === 'TD' || c.tagName === 'TH');
    for (let i = 0; i + 1 < cells.length; i++) {
      const a = textBox(cells[i]), b = textBox(cells[i + 1]);
      if (!a || !b || a.bottom <= b.top || b.bottom <= a.top) continue;
      const gap = b.left - a.right;
      if (gap < minGap && touching.length < 5)
        touching.push(gap.toFixed(1) + ' px between ' + JSON.stringify(cells[i].innerText.trim()
          .slice(0, 20)) + ' and ' + JSON.stringify(cells[i + 1].innerText.trim().slice(0, 20)));
    }
  });
  const wideTables = [];
  main.querySelectorAll('table').forEach(t => {
    const box = t.parentElement;
    if (t.offsetWidth > box.clientWidth + 2 && wideTables.length < 5)
      wideTables.push('table ' + t.offsetWidth + ' px in a ' + box.clientWidth + ' px box: '
        + JSON.stringify(t.innerText.trim().slice(0, 40)));
  });
  const broken = Array.from(document.images)
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);
  return {
    texts, codeLines, overflow, uncaptioned, broken, touching, wideTables,
    images: main.querySelectorAll('img').length,
    figures: main.querySelectorAll('figure figcaption').length,
    errors: document.querySelectorAll('.output.traceback, .output.error').length,
    bodyText: document.body.innerText,
    mathjax: typeof window.MathJax !== 'undefined',
  };
}
"""


def toc_pages(root: Path) -> list[str]:
    toc = yaml.safe_load((root / "_toc.yml").read_text())
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


def reprs_in(texts: list[str]) -> list[str]:
    """The kinds of Python repr found in a page's text outputs, with the line."""
    found = []
    for text in texts:
        for kind, pattern in REPRS.items():
            m = pattern.search(text)
            if m:
                line = text[m.start() :].strip().splitlines()[0][:70]
                found.append(f"prints {kind}: {line!r}")
    return found


def problems_of(m: dict) -> list[str]:
    """A page's problems from the browser's measurements."""
    status = []
    if "Traceback (most recent call last)" in m["bodyText"] or m["errors"]:
        status.append("shows a traceback")
    if m["broken"]:
        status.append(f"{len(m['broken'])} broken image(s): {m['broken'][:3]}")
    status += reprs_in(m["texts"])
    status += [f"code line over {MAX_CODE_LINE} characters ({c})" for c in m["codeLines"]]
    status += [f"cut at the right edge: {o}" for o in m["overflow"]]
    status += [f"figure without a caption: {u}" for u in m["uncaptioned"]]
    status += [f"table cells whose text touches: {t}" for t in m["touching"]]
    return status


def wide_tables(m: dict) -> list[str]:
    """A page's tables wider than their box, from the browser's measurements."""
    return [f"cut at the right edge: {t}" for t in m["wideTables"]]


def page_path(html: Path, name: str) -> Path:
    return html / f"{name.removesuffix('.ipynb').removesuffix('.md')}.html"


def height_problem(name: str, height: int) -> list[str]:
    """A page taller than its limit in ``MAX_HEIGHT`` (matched by the end of its name)."""
    limit = next((v for k, v in MAX_HEIGHT.items() if name.endswith(k)), None)
    if limit is None or height <= limit:
        return []
    return [f"a wall: {height:,} px tall at {WIDTH} px, over its limit of {limit:,}"]


# book/records.js, tried as a reader would: every record table has its search box and
# sortable headers; sorting by "this book" orders the rows, a search hides the others.
RECORDS_JS = """
() => {
  const tables = Array.from(document.querySelectorAll('table.records-table'))
    .filter(t => t.tBodies.length && t.tBodies[0].rows.length);
  const problems = [];
  tables.forEach((t, n) => {
    if (t.dataset.sortable !== 'yes' || !(t.previousElementSibling || {}).matches
        || !t.previousElementSibling.matches('input.records-search'))
      problems.push('record table ' + n + ': no search box or sortable headers (records.js)');
  });
  const t = tables.find(t => t.dataset.sortable === 'yes');
  if (!t) return {tables: tables.length, problems};
  // a table listed behind a closed <details> (the scorecard's every-record tables): the
  // reader opens it first (the page's height was measured before, details closed)
  for (let d = t.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
  const th = Array.from(t.tHead.querySelectorAll('th')).find(h => h.innerText.includes('claim'));
  th.click();
  const column = Array.from(th.parentElement.children).indexOf(th);
  const claims = Array.from(t.tBodies[0].rows).map(r => r.cells[column].innerText.trim());
  for (let i = 1; i < claims.length; i++)
    if (claims[i - 1].localeCompare(claims[i], undefined, {numeric: true}) > 0) {
      problems.push('sorting by claim left ' + JSON.stringify(claims[i - 1].slice(0, 30))
        + ' before ' + JSON.stringify(claims[i].slice(0, 30)));
      break;
    }
  const box = t.previousElementSibling;
  box.value = claims[0];
  box.dispatchEvent(new Event('input'));
  const shown = Array.from(t.tBodies[0].rows).filter(r => r.offsetParent !== null).length;
  if (shown < 1 || (claims.length > 1 && new Set(claims).size > 1 && shown >= claims.length))
    problems.push('searching ' + JSON.stringify(claims[0].slice(0, 30)) + ' showed '
      + shown + ' of ' + claims.length + ' rows');
  box.value = '';
  box.dispatchEvent(new Event('input'));
  return {tables: tables.length, problems};
}
"""


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import TimeoutError as BrowserTimeout
    from playwright.sync_api import sync_playwright

    from connectivity import site

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", type=Path, default=ROOT, help="project root (holds _build/html)")
    ap.add_argument("--pages", nargs="*", help="only pages whose name contains one of these")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args(argv)
    html = args.root / "_build" / "html"
    shots = args.root / "_build" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    pages = [p for p in toc_pages(args.root) if not args.pages or any(s in p for s in args.pages)]
    problems: list[str] = []
    warnings: list[str] = []
    report = {}
    site_config = site.read_book_config(args.root)
    repo = ((site_config or {}).get("repository") or {}).get("url")
    if site_config is None:
        print(f"links: not checked ({site.CONFIG_NAME} missing: the runner did not build)")
    elif repo:
        print(f"links: repository {repo}, launch links checked")
    else:
        print("links: no repository configured (BOOK_REPOSITORY): download links checked")
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            profile,
            executable_path=args.chromium,
            args=FLAGS,
            headless=True,
            viewport={"width": WIDTH, "height": 900},
        )
        page = browser.new_page()
        failed_requests: list[str] = []
        page.on("requestfailed", lambda r: failed_requests.append(r.url))
        for name in pages:
            path = page_path(html, name)
            if not path.exists():
                problems.append(f"{name}: no HTML page {path}")
                continue
            failed_requests.clear()
            page.goto(path.as_uri(), wait_until="load")
            no_math = None
            if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
                try:
                    page.wait_for_function(
                        "() => window.MathJax && MathJax.startup", timeout=30_000
                    )
                    page.evaluate("() => MathJax.startup.promise")  # typesetting finished
                except BrowserTimeout:  # from its CDN (no Node.js) on a machine offline
                    src = page.evaluate(
                        "() => document.querySelector('script[src*=\"mathjax\"]').src"
                    )
                    no_math = f"MathJax did not load in 30 s from {src}"
            page.wait_for_timeout(300)
            shot = shots / f"{name.replace('/', '__')}.png"
            page.screenshot(path=str(shot), full_page=True)  # as a reader sees it
            height = page.evaluate("() => document.documentElement.scrollHeight")
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
            measured = page.evaluate(MEASURE_JS, [MAX_CODE_LINE, MIN_CELL_GAP])
            records = page.evaluate(RECORDS_JS)
            status = problems_of(measured) + height_problem(name, height) + records["problems"]
            wide = wide_tables(measured)
            if any(name.endswith(k) for k in MAX_HEIGHT):
                status, wide = status + wide, []
            warnings += [f"{name}: {w}" for w in wide]
            status += site.link_problems(path.read_text(), name, args.root, site_config)
            status += [no_math] if no_math else []
            local_failures = [u for u in failed_requests if u.startswith("file:")]
            if local_failures:
                status.append(f"failed to load {local_failures[:3]}")
            report[name] = {
                "screenshot": str(shot.relative_to(args.root)),
                "height": height,
                "images": measured["images"],
                "captioned_figures": measured["figures"],
                "mathjax": measured["mathjax"],
                "record_tables": records["tables"],
                "problems": status,
                "warnings": wide,
            }
            print(
                f"{name:<45} images {measured['images']:>3}  captions {measured['figures']:>3}"
                f"  {height:>7,} px  {'ok' if not status else f'{len(status)} problem(s)'}"
            )
            problems += [f"{name}: {s}" for s in status]
        browser.close()
    (shots / "report.json").write_text(json.dumps(report, indent=1))
    if warnings:
        print("\nwarnings (not failing yet):\n  " + "\n  ".join(warnings))
    if problems:
        print("\nPAGE CHECK FAILED:\n  " + "\n  ".join(problems))
        return 1
    print(f"\nall {len(pages)} pages pass (screenshots at {WIDTH} px in {shots})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
