"""The "Your classifier" page's tables: the parameter as passed (:func:`checkpoint_table`)
and what the checks printed (:func:`checks_text`); the records of the run are the book's
record table (:func:`connectivity.prose.what_reproduced`)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pandas as pd

from connectivity.locations import repo_root

from .study import YourClassifierStudy

# characters of a printed line that fit the page's 688 px text box in monospace
TEXT_WIDTH = 72


def checkpoint_table(study: YourClassifierStudy) -> pd.DataFrame:
    """Table 1's ``checkpoint`` parameter as this page passed it: one row per key, each
    value as JSON (what ``-p checkpoint '...'`` takes), the path relative to the project."""
    shown = dict(study.checkpoint)
    path = Path(shown["path"]).resolve()
    if path.is_relative_to(repo_root()):
        shown["path"] = str(path.relative_to(repo_root()))
    rows = [{"key": k, "value": json.dumps(v)} for k, v in shown.items()]
    return pd.DataFrame(rows, columns=["key", "value"]).set_index("key")


def checks_text(study: YourClassifierStudy) -> str:
    """What the checks printed before any work: the file's sha256, the classifier read
    from it, and its test accuracy measured here; each line wrapped at
    :data:`TEXT_WIDTH` characters (a sha256 and a description fit the page's text box)."""
    return "\n".join(
        textwrap.fill(line, TEXT_WIDTH, subsequent_indent="  ", break_long_words=True)
        for line in study.checks
    )
