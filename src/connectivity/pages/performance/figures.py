"""The Performance page's table of rows, and the same rows as text for ``make bench``."""

from __future__ import annotations

import pandas as pd

from .study import PerformanceStudy


def rows_table(study: PerformanceStudy):
    """Every row: what was measured, in which unit, against which target, whether it
    holds, how far off it is, and how (a styled table)."""
    table = pd.DataFrame(study.as_dict()["rows"])[
        ["name", "measured", "unit", "target", "holds", "gap", "detail"]
    ]
    table["holds"] = table["holds"].map({True: "yes", False: "no"})
    return table.style.format({"measured": "{:.2f}", "target": "{:.1f}"}, na_rep="–").hide(
        axis="index"
    )


def text_table(result: dict) -> str:
    """The rows of ``result`` (:meth:`~.study.PerformanceStudy.as_dict`, or
    ``_build/bench.json``) as fixed-width text, one line each."""
    lines = [f"{'benchmark':48s} {'measured':>10s} {'target':>10s}  holds  detail"]
    for r in result["rows"]:
        op = ">=" if r["higher_is_better"] else "<="
        target = "-" if r["target"] is None else f"{op}{r['target']:8.1f}"
        holds = {True: "yes", False: "NO", None: "-"}[r["holds"]]
        lines.append(
            f"{r['name']:48s} {r['measured']:10.2f} {target:>10s}  "
            f"{holds:5s}"
            f"  {r['unit']}; {r['detail']}{'; ' + r['gap'] if r['gap'] else ''}"
        )
    return "\n".join(lines)
