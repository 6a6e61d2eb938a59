"""The book's run timings: each notebook's wall time in ``_build/timings.json``, written by
the runner as each page ends and read by the pages that report them (the scorecard and
Performance pages); below the pages and the runner alike.

The file holds the last full run (its profile, start and rows) and, apart, the pages
rerun alone with ``--only``, so warm reruns never mix with a cold build:

>>> load_timings(Path("/nonexistent/timings.json"))["full"]["rows"]
[]
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from .locations import build_dir


def timing_table(rows: list[dict]) -> str:
    lines = [f"{'notebook':<40} {'status':<7} {'seconds':>8}", "-" * 57]
    lines += [
        f"{r['notebook']:<40} {'reused' if r.get('reused') else r['status']:<7} "
        f"{r['seconds']:>8.1f}"
        for r in rows
    ]
    lines.append(f"{'total':<40} {'':<7} {sum(r['seconds'] for r in rows):>8.1f}")
    return "\n".join(lines)


def load_timings(path: Path | None = None) -> dict:
    """``{"full": {"profile", "started", "rows"}, "partial": [rows]}`` from ``path``
    (default ``_build/timings.json``): the last full run's times, and later ``--only``
    runs'."""
    path = path or build_dir() / "timings.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    if not isinstance(data, dict):  # the old format: one list of rows
        data = {}
    return {
        "full": data.get("full", {"profile": None, "started": None, "rows": []}),
        "partial": data.get("partial", []),
    }


def timing_frame(timings: dict):
    """The timings as a table: the full run's notebooks, then ``--only`` reruns apart."""
    rows = [
        {"run": f"full build ({timings['full'].get('started') or '—'})", **r}
        for r in timings["full"]["rows"]
    ]
    rows += [{"run": "rerun alone (--only)", **r} for r in timings["partial"]]
    cols = ["run", "notebook", "profile", "status", "seconds"]
    return pd.DataFrame(rows, columns=cols).set_index(["run", "notebook"])


def save_timings(
    rows: list[dict], full: bool, started: str | None = None, profile: str | None = None
) -> None:
    """Record ``rows``: a full run replaces the full-run times (and forgets partial
    runs); an ``--only`` run is kept apart, so warm reruns never mix with a cold build."""
    data = load_timings()
    if full:
        if started != data["full"].get("started"):
            data = {"full": {"profile": profile, "started": started, "rows": []}, "partial": []}
        merged = {r["notebook"]: r for r in data["full"]["rows"]}
        merged.update({r["notebook"]: r for r in rows})
        data["full"]["rows"] = list(merged.values())
    else:
        merged = {r["notebook"]: r for r in data["partial"]}
        merged.update({r["notebook"]: r for r in rows})
        data["partial"] = list(merged.values())
    path = build_dir() / "timings.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)
