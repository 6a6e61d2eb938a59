"""Benchmarks of the book's hot paths: ``make bench``, that is
``python -m connectivity.pages.performance``.

Each row is a ratio measured in one run (both sides on the same machine, minutes
apart), from the median of ``repeats`` timings, with its target and whether it holds.
The table is printed and written to ``_build/bench.json``; the book's Performance
page runs the same code.
"""

from __future__ import annotations

import argparse
import json

from connectivity.locations import build_dir

from .figures import text_table
from .settings import PerformanceSettings
from .study import run


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m connectivity.pages.performance", description=__doc__.splitlines()[0]
    )
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", default="ci")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    result = run(PerformanceSettings.resolve(args.profile, repeats=args.repeats)).as_dict()
    print(f"machine: {result['machine']}")
    print(text_table(result))
    print(f"paper profile on a GPU: {result['gpu_rows']}")
    out = build_dir() / "bench.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
