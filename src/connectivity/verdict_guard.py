"""The regression guard: the verdicts expected of the ``ci`` profile.

``book/expected_verdicts.yml`` holds the verdict of every record of the reference build
(the ``ci`` profile on the portable kernels). The runner compares each build with it
(``--strict`` fails on a difference; ``--accept-verdicts`` writes the new ones), and the
scorecard page lists each difference with the device and kernels that computed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .scorecard import Record

# the reference build's verdicts, under the project root
EXPECTED_VERDICTS = "book/expected_verdicts.yml"


def load_expected(path: Path) -> dict[str, dict[str, str]]:
    """``{notebook: {record id: verdict}}`` from ``book/expected_verdicts.yml``."""
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    return {str(nb): {str(k): str(v) for k, v in (ids or {}).items()} for nb, ids in data.items()}


@dataclass(frozen=True)
class VerdictDifference:
    """A record of ``notebook`` whose verdict is not the expected one: a changed verdict,
    a new record (``expected`` None) or one no longer written (``record`` None)."""

    notebook: str
    id: str
    expected: str | None
    record: Record | None


def verdict_differences(
    records: list[Record], expected: dict[str, dict[str, str]], notebooks: list[str]
) -> list[VerdictDifference]:
    """Every difference between the verdicts of ``notebooks``' records and the expected
    ones, by notebook and record id."""
    out = []
    for nb in notebooks:
        got = {r.id: r for r in records if r.notebook == nb}
        want = expected.get(nb, {})
        out += [
            VerdictDifference(nb, id, want.get(id), rec)
            for id, rec in sorted(got.items())
            if want.get(id) != rec.verdict
        ]
        out += [
            VerdictDifference(nb, id, v, None) for id, v in sorted(want.items()) if id not in got
        ]
    return out


def verdict_changes(
    records: list[Record], expected: dict[str, dict[str, str]], notebooks: list[str]
) -> list[str]:
    """:func:`verdict_differences` as one line each (the runner's guard)."""
    lines = []
    for d in verdict_differences(records, expected, notebooks):
        if d.record is None:
            lines.append(f"{d.notebook}: record {d.id} (expected {d.expected}) was not written")
        elif d.expected is None:
            lines.append(f"{d.notebook}: new record {d.id} ({d.record.verdict})")
        else:
            lines.append(
                f"{d.notebook}: verdict of {d.id} changed from {d.expected} to "
                f"{d.record.verdict} (this book {d.record.reproduced!r}, paper {d.record.paper!r})"
            )
    return lines


def write_expected(path: Path, records: list[Record], notebooks: list[str]) -> None:
    """Replace the expected verdicts of ``notebooks`` by those of ``records``."""
    data = load_expected(path)
    for nb in notebooks:
        data[nb] = {r.id: r.verdict for r in records if r.notebook == nb}
    header = (
        "# The verdict of every scorecard record in the ci profile, by notebook.\n"
        "# `make book` fails when one changes; update with\n"
        "# `python -m connectivity.runner --accept-verdicts` in a reviewed commit that says why.\n"
    )
    body = yaml.safe_dump(
        {nb: dict(sorted(ids.items())) for nb, ids in sorted(data.items())},
        sort_keys=False,
        allow_unicode=True,
        width=120,
    )
    path.write_text(header + body)
