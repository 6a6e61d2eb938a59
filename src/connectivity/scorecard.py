"""The reproduction scorecard: every number the book compares with a paper.

Notebooks call :func:`record`; each record is written as one JSON file under
``_build/scorecard/records/`` (a rerun of a notebook overwrites its records), and
:func:`collect` gathers them into ``_build/scorecard.json``, which the
"Reproduction scorecard" page shows. The verdict is computed, never typed:

* ``no paper value`` - the paper gives no number to compare with;
* ``reproduced``     - |reproduced - paper| <= tolerance (booleans/strings: equal);
* ``differs``        - otherwise.
"""

from __future__ import annotations

import json
import math
import os
from numbers import Number
from typing import Any

from .locations import build_dir

VERDICTS = ("reproduced", "differs", "no paper value")

# The chapter of a record is the first component of its id.
CHAPTERS = {"models": "The classifiers", "lancione": "Lancione", "gu2023": "Gu & Borovykh 2023",
            "vrabel2024": "Vrabel et al. 2024"}


from .report import plain as _plain


def verdict(reproduced: Any, paper: Any = None, tolerance: float | None = None) -> str:
    """Compare a reproduced value with the paper's, see the module docstring."""
    reproduced, paper = _plain(reproduced), _plain(paper)
    if paper is None:
        return "no paper value"
    if isinstance(paper, bool) or isinstance(reproduced, bool) or isinstance(paper, str):
        return "reproduced" if reproduced == paper else "differs"
    if isinstance(reproduced, str):  # e.g. "inf": not a finite number, cannot match
        return "differs"
    if not isinstance(paper, Number) or not isinstance(reproduced, Number):
        raise TypeError(f"cannot compare {reproduced!r} with {paper!r}")
    if reproduced != reproduced:  # NaN never reproduces anything
        return "differs"
    if tolerance is None:
        raise ValueError("a numeric paper value needs a tolerance")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance}")
    return "reproduced" if abs(reproduced - paper) <= tolerance + 1e-12 else "differs"


def _records_dir():
    return build_dir("scorecard", "records")


def record(id: str, description: str, reproduced: Any, paper: Any = None, tolerance: float | None = None,
           unit: str = "", note: str = "", **extra: Any) -> dict:
    """Record one reproduced number (and the paper's, if it has one).

    ``id`` is dotted, its first component the chapter (``gu2023.table1...``).
    Extra keyword arguments (e.g. ``sd=``, ``n=``) are stored with the record.
    Returns the record, with its computed ``verdict``.
    """
    if not id or any(c in id for c in "/\\ "):
        raise ValueError(f"bad scorecard id {id!r}")
    reproduced, paper = _plain(reproduced), _plain(paper)
    if isinstance(reproduced, float) and math.isinf(reproduced):
        reproduced = str(reproduced)
    rec = {
        "id": id,
        "chapter": CHAPTERS.get(id.split(".")[0], id.split(".")[0]),
        "description": description,
        "paper": paper,
        "reproduced": reproduced,
        "tolerance": tolerance,
        "unit": unit,
        "note": note,
        "verdict": verdict(reproduced, paper, tolerance),
        "notebook": os.environ.get("CONNECTIVITY_NOTEBOOK", "interactive"),
        **{k: _plain(v) for k, v in extra.items()},
    }
    path = _records_dir() / f"{id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec, indent=1))
    os.replace(tmp, path)
    return rec


def clear(notebook: str | None = None) -> None:
    """Delete the records (of one notebook, or all) before a fresh run."""
    for path in _records_dir().glob("*.json"):
        if notebook is None or json.loads(path.read_text()).get("notebook") == notebook:
            path.unlink()


def collect() -> list[dict]:
    """Gather every record into ``_build/scorecard.json``; returns them sorted by id."""
    recs = sorted((json.loads(p.read_text()) for p in _records_dir().glob("*.json")), key=lambda r: r["id"])
    out = build_dir() / "scorecard.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(recs, indent=1))
    os.replace(tmp, out)
    return recs


def as_dataframe(records: list[dict] | None = None):
    """The records as a pandas table (for the scorecard page)."""
    import pandas as pd

    recs = collect() if records is None else records
    cols = ["chapter", "id", "description", "paper", "reproduced", "tolerance", "verdict", "note"]
    return pd.DataFrame(recs, columns=cols) if recs else pd.DataFrame(columns=cols)
