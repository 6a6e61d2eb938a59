"""The reproduction scorecard: every number the book compares with a paper.

A notebook records what it computed with one of six calls; the verdict is
computed, never typed:

==================  ==============  ==================================================
call                kind            verdict
==================  ==============  ==================================================
:func:`compare`     quantitative    the one rule (:mod:`connectivity.stats`):
                                    ``reproduced`` when two one-sided 5 % tests put
                                    |this book − paper| inside the margin of a
                                    :class:`~connectivity.stats.Tolerance`, ``differs``
                                    when a two-sided 5 % test rejects equality, else
                                    ``not significant`` (with the power)
:func:`test`        qualitative     the paper's direction at 5 %: ``reproduced``, the
                                    opposite direction significant: ``differs``, else
                                    ``not significant`` (test and p-value recorded)
:func:`check`       check           a quantity true by construction: ``check`` when it
                                    holds, ``failed`` when not; never counted as
                                    reproduction
:func:`measure`     measurement     ``no paper value`` (our measurements, extensions)
:func:`beside`      context         ``not comparable``: a paper's number shown beside
                                    ours where the two are not the same quantity
                                    (another model or data set); never a verdict
:func:`fail`        (the claim's)   ``failed``: the procedure did not reach its goal
                                    (modes not found, a model collapsed), so there is
                                    no number to compare
==================  ==============  ==================================================

Paper values come from :mod:`connectivity.paper_values` by the record's id. Records are
scoped by run: the book runner sets ``CONNECTIVITY_NOTEBOOK`` and each notebook's
records go to ``_build/scorecard/runs/<notebook>/`` (replaced when that notebook is
run again); a notebook run by hand (Jupyter, papermill) writes to
``_build/scorecard/interactive/``, which the book never reads. :func:`collect`
gathers the runs of the book's notebooks into ``_build/scorecard.json``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from numbers import Number
from pathlib import Path
from typing import Any

from . import paper_values, provenance
from .locations import build_dir, repo_root
from .stats import ALPHA, TestResult, Tolerance
from .toc import toc_notebooks

VERDICTS = (
    "reproduced",
    "differs",
    "not significant",
    "failed",
    "check",
    "no paper value",
    "not comparable",
)
KINDS = ("quantitative", "qualitative", "check", "measurement", "context")

# The chapter of a record is the first component of its id.
CHAPTERS = {
    "models": "The classifiers",
    "lancione": "Lancione",
    "gu2023": "Gu & Borovykh 2023",
    "vrabel2024": "Vrabel et al. 2024",
}

# records written by this process (for a chapter's "What reproduced here" table)
SESSION: list[Record] = []


def plain(value: Any) -> Any:
    """numpy / torch scalars as Python numbers; infinities as strings (JSON-safe)."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        value = value.item()
    if isinstance(value, float) and math.isinf(value):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Record:
    """One row of the scorecard."""

    id: str
    kind: str
    verdict: str
    description: str
    reproduced: Any
    paper: Any = None
    where: str = ""  # in the paper
    metric: str = ""
    unit: str = ""
    tolerance: float | None = None  # the equivalence margin of a quantitative record
    tolerance_basis: str = ""
    se: float | None = None  # standard error of the difference (quantitative)
    power: float | None = None  # chance of `reproduced` if the paper's number is exact
    test: str = ""
    p_value: float | None = None
    p_opposite: float | None = None
    effect: float | None = None
    effect_name: str = ""
    n: str = ""
    note: str = ""
    section: str = ""  # heading of the book's section that computes it
    notebook: str = "interactive"
    chapter: str = ""
    extra: dict = field(default_factory=dict)
    # profile, commit, device, kernels and data sources of the run (connectivity.provenance)
    provenance: dict = field(default_factory=dict)
    # whose classifier: empty for the book's own; a reader's checkpoint (its file, sha256,
    # architecture, accuracy) for a record written under reader_classifier (issue 39)
    reader: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"{self.id}: unknown kind {self.kind!r}")
        if self.verdict not in VERDICTS:
            raise ValueError(f"{self.id}: unknown verdict {self.verdict!r}")

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    @property
    def counts_as_reproduction(self) -> bool:
        return self.kind in ("quantitative", "qualitative")


def _check_id(id: str) -> None:
    if not id or any(c in id for c in "/\\ ") or id.split(".")[0] not in CHAPTERS:
        raise ValueError(
            f"bad scorecard id {id!r}: dotted, no spaces, first part one of {list(CHAPTERS)}"
        )


def _paper(id: str, kind: str):
    pv = paper_values.paper_value(id)
    if pv.kind != kind:
        raise ValueError(f"{id}: the paper value is {pv.kind}, recorded as {kind}")
    return pv


def _paper_fields(pv) -> dict[str, Any]:
    """The fields a record takes from the paper value it is compared with or shown beside."""
    return {
        "description": pv.claim,
        "paper": pv.value,
        "where": pv.where,
        "metric": pv.metric,
        "unit": pv.unit,
    }


def _finite_number(x: Any) -> bool:
    return isinstance(x, Number) and not isinstance(x, bool) and math.isfinite(x)


def compare(
    id: str,
    reproduced: Any,
    tolerance: Tolerance,
    *,
    n: int | str | None = None,
    note: str = "",
    section: str = "",
    **extra: Any,
) -> Record:
    """A number against the paper's (``connectivity.paper_values``) by the one rule
    (:meth:`~connectivity.stats.Tolerance.verdict`): equivalence within the margin of
    ``tolerance`` shown, a difference shown, or neither; the record keeps the margin, the
    standard error, both p-values and the power."""
    _check_id(id)
    if not isinstance(tolerance, Tolerance):
        raise TypeError(f"{id}: the tolerance must be a stats.Tolerance (a margin with its basis)")
    pv = _paper(id, "quantitative")
    value = plain(reproduced)
    finite = _finite_number(value)
    diff = value - pv.value if finite else float("nan")
    p_tost, p_diff = tolerance.p_values(diff) if finite else (1.0, 0.0)
    basis = tolerance.basis + (
        f"; SE of the difference {tolerance.se:.3g}: {tolerance.se_basis}" if tolerance.se else ""
    )
    return _write(
        Record(
            id=id,
            kind="quantitative",
            verdict=tolerance.verdict(diff) if finite else "differs",
            reproduced=value,
            **_paper_fields(pv),
            tolerance=tolerance.value,
            tolerance_basis=basis,
            se=tolerance.se,
            power=tolerance.power(),
            test="two one-sided tests against ± the margin; two-sided test of a zero difference",
            p_value=p_tost,
            p_opposite=p_diff,
            n="" if n is None else str(n),
            note=note,
            section=section,
            extra=plain(extra),
        )
    )


def test(
    id: str,
    result: TestResult,
    *,
    reproduced: Any = None,
    note: str = "",
    section: str = "",
    alpha: float = ALPHA,
    **extra: Any,
) -> Record:
    """A qualitative claim of the paper decided by ``result`` (a one-sided test at
    ``alpha``). ``reproduced`` is what to show in the table (default: the effect)."""
    _check_id(id)
    pv = _paper(id, "qualitative")
    verdict = result.verdict(alpha)
    if pv.value is False and verdict != "not significant":
        # the paper's own data contradict the claim: the book reproduces the paper when it
        # finds the same contradiction
        verdict = "reproduced" if verdict == "differs" else "differs"
    shown = plain(result.effect if reproduced is None else reproduced)
    return _write(
        Record(
            id=id,
            kind="qualitative",
            verdict=verdict,
            reproduced=shown,
            **_paper_fields(pv),
            test=result.test,
            p_value=result.p_value,
            p_opposite=result.p_opposite,
            effect=result.effect,
            effect_name=result.effect_name,
            n=result.n,
            note=note,
            section=section,
            extra=plain(extra),
        )
    )


def check(
    id: str,
    description: str,
    value: Any,
    holds: bool,
    reason: str,
    *,
    note: str = "",
    section: str = "",
    **extra: Any,
) -> Record:
    """A condition on this build (``reason`` says why it must hold): a quantity true by
    construction or by a textbook, or a target the build sets itself (a classifier's
    accuracy). Shown apart, never counted as reproduction; ``failed`` if it does not
    hold (a bug, or a target missed)."""
    _check_id(id)
    return _write(
        Record(
            id=id,
            kind="check",
            verdict="check" if holds else "failed",
            description=description,
            reproduced=plain(value),
            note=f"{reason}. {note}".strip().rstrip("."),
            section=section,
            extra=plain(extra),
        )
    )


def measure(
    id: str,
    description: str,
    value: Any,
    *,
    unit: str = "",
    note: str = "",
    section: str = "",
    **extra: Any,
) -> Record:
    """A number of our own, with no paper value to compare with."""
    _check_id(id)
    return _write(
        Record(
            id=id,
            kind="measurement",
            verdict="no paper value",
            description=description,
            reproduced=plain(value),
            unit=unit,
            note=note,
            section=section,
            extra=plain(extra),
        )
    )


def beside(
    id: str,
    value: Any,
    why: str,
    *,
    n: int | str | None = None,
    note: str = "",
    section: str = "",
    tolerance: Tolerance | None = None,
    **extra: Any,
) -> Record:
    """A number shown beside the paper's value of ``id`` without a verdict, because the
    two are not the same quantity (``why``: e.g. another model's cross-entropy scale).
    The paper's claim is then tested on what is comparable (a direction, an effect
    size) by another record. With a ``tolerance``, the record keeps its margin, standard
    error, p-values and power, and what the one rule would say of the difference
    (``extra["by_the_rule"]``): how far the number is, not a verdict."""
    _check_id(id)
    pv = _paper(id, "quantitative")
    judged = {}
    value = plain(value)
    if tolerance is not None and _finite_number(value):
        diff = value - pv.value
        p_tost, p_diff = tolerance.p_values(diff)
        judged = {
            "tolerance": tolerance.value,
            "tolerance_basis": tolerance.basis
            + (
                f"; SE of the difference {tolerance.se:.3g}: {tolerance.se_basis}"
                if tolerance.se
                else ""
            ),
            "se": tolerance.se,
            "power": tolerance.power(),
            "p_value": p_tost,
            "p_opposite": p_diff,
        }
        extra = {**extra, "by_the_rule": tolerance.verdict(diff)}
    return _write(
        Record(
            id=id,
            kind="context",
            verdict="not comparable",
            reproduced=value,
            **_paper_fields(pv),
            **judged,
            n="" if n is None else str(n),
            note=f"{why}. {note}".strip().rstrip("."),
            section=section,
            extra=plain(extra),
        )
    )


def fail(id: str, reason: str, *, description: str = "", section: str = "", **extra: Any) -> Record:
    """The procedure behind ``id`` did not reach its goal: verdict ``failed``, no value."""
    _check_id(id)
    pv = paper_values.all_values().get(id)
    kind = pv.kind if pv else "measurement"
    return _write(
        Record(
            id=id,
            kind=kind,
            verdict="failed",
            description=description or (pv.claim if pv else id),
            reproduced=None,
            paper=pv.value if pv else None,
            where=pv.where if pv else "",
            metric=pv.metric if pv else "",
            unit=pv.unit if pv else "",
            note=reason,
            section=section,
            extra=plain(extra),
        )
    )


def current_notebook() -> str:
    return os.environ.get("CONNECTIVITY_NOTEBOOK", "interactive")


def _slug(notebook: str) -> str:
    return notebook.replace("/", "__")


def records_dir(notebook: str | None = None) -> Path:
    """Where the records of ``notebook`` (default: the running one) are kept."""
    nb = notebook or current_notebook()
    if nb == "interactive":
        return build_dir("scorecard", "interactive")
    return build_dir("scorecard", "runs", _slug(nb))


def _write(rec: Record) -> Record:
    if _READER:
        rec = as_reader(rec, _READER)
    nb = current_notebook()
    rec = dataclasses.replace(
        rec,
        notebook=nb,
        chapter=CHAPTERS[rec.id.split(".")[0]],
        provenance=provenance.current(),
    )
    path = records_dir(nb) / f"{rec.id}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rec.as_dict(), indent=1, default=str))
    os.replace(tmp, path)
    SESSION[:] = [r for r in SESSION if r.id != rec.id] + [rec]
    return rec


def clear(notebook: str | None = None) -> None:
    """Delete the records of one notebook's run (or of every run) before a fresh run."""
    target = (
        build_dir("scorecard", "runs") / _slug(notebook)
        if notebook
        else build_dir("scorecard", "runs")
    )
    if target.exists():
        shutil.rmtree(target)


def load(notebooks: list[str] | None = None) -> list[Record]:
    """The records of the given notebooks' last runs (default: every run), sorted by id."""
    runs = build_dir("scorecard", "runs")
    folders = (
        [runs / _slug(n) for n in notebooks] if notebooks is not None else sorted(runs.iterdir())
    )
    recs = [
        Record(**json.loads(p.read_text()))
        for f in folders
        if f.is_dir()
        for p in sorted(f.glob("*.json"))
    ]
    return sorted(recs, key=lambda r: r.id)


def collect(notebooks: list[str] | None = None) -> list[Record]:
    """Gather the records of ``notebooks`` (default: those of the book's ``_toc.yml``)
    into ``_build/scorecard.json``; returns them sorted by id."""
    if notebooks is None:
        notebooks = book_notebooks()
    recs = load(notebooks)
    out = build_dir() / "scorecard.json"
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps([r.as_dict() for r in recs], indent=1, default=str))
    os.replace(tmp, out)
    return recs


def book_notebooks() -> list[str] | None:
    """The notebooks of the book's ``_toc.yml`` (``None`` if there is no toc)."""
    root = repo_root()
    if not (root / "_toc.yml").is_file():
        return None
    return toc_notebooks(root)


def verdict_counts(records: list[Record]):
    """Records per chapter and verdict (a pandas table, chapters in book order)."""
    import pandas as pd

    table = pd.DataFrame(0, index=[c for c in CHAPTERS.values()], columns=list(VERDICTS))
    for r in records:
        table.loc[r.chapter, r.verdict] += 1
    table = table[table.sum(axis=1) > 0]
    table.loc["all chapters"] = table.sum()
    return table


def by_chapter(records: list[Record]) -> dict[str, list[Record]]:
    """Records grouped by chapter, in book order."""
    return {c: [r for r in records if r.chapter == c] for c in CHAPTERS.values()}


# ---------------------------------------------------------------- a reader's classifier

# whose classifier the records written now describe: empty for the book's own, set by
# reader_classifier while a page runs on a reader's checkpoint (issue 39)
_READER: dict = {}


@contextmanager
def reader_classifier(who: Mapping[str, Any]) -> Iterator[None]:
    """Within it, every record written describes a reader's classifier ``who`` (a
    non-empty dict: its file, sha256, architecture, accuracy measured here) and carries
    no verdict against the paper (:func:`as_reader`); the scorecard lists such records
    apart from the book's (:func:`book_records`, :func:`reader_records`)."""
    if not who:
        raise ValueError("reader_classifier needs the classifier's description (file, sha256)")
    previous = dict(_READER)
    _READER.clear()
    _READER.update(plain(dict(who)))
    try:
        yield
    finally:
        _READER.clear()
        _READER.update(previous)


def as_reader(rec: Record, who: Mapping[str, Any]) -> Record:
    """``rec`` as a record of a reader's classifier ``who``: one with a paper value is a
    *context* row (``not comparable``: the paper's value beside this classifier's, the
    test's statistics kept as measured), any other a *measurement* (``no paper value``);
    a check keeps whether it held in ``extra["holds"]``; a procedure that failed (no
    value) stays ``failed``. Values, counts and notes are unchanged."""
    extra = dict(rec.extra)
    if rec.kind == "check":
        extra["holds"] = rec.verdict == "check"
    if rec.paper is not None:
        kind, verdict = "context", "not comparable"
    else:
        kind, verdict = "measurement", "no paper value"
    if rec.verdict == "failed" and rec.reproduced is None:
        verdict = "failed"
    return dataclasses.replace(rec, kind=kind, verdict=verdict, extra=extra, reader=dict(who))


def reader_outcome(rec: Record, alpha: float = ALPHA) -> str:
    """What a reader's record (:func:`as_reader`) found on the reader's classifier, named
    as the book's verdicts name the same outcome, for the wording of a sentence
    (:func:`connectivity.prose.say`); the record itself carries no verdict. A test's or a
    comparison's: ``reproduced`` where its statistic in the paper's direction (or within
    the margin) is significant at ``alpha``, ``differs`` where the opposite one is, else
    ``not significant``; a check's: ``check`` or ``failed`` as it held; ``failed`` where
    the procedure failed; else the record's own verdict."""
    if rec.verdict == "failed":
        return "failed"
    if "holds" in rec.extra:
        return "check" if rec.extra["holds"] else "failed"
    if rec.kind == "context" and rec.p_value is not None and rec.p_opposite is not None:
        if rec.p_value < alpha:
            found = "reproduced"
        else:
            found = "differs" if rec.p_opposite < alpha else "not significant"
        if rec.paper is False and found != "not significant":  # as test() reads such claims
            found = "reproduced" if found == "differs" else "differs"
        return found
    return rec.verdict


def book_records(records: list[Record]) -> list[Record]:
    """The records of the book's own classifiers (what the scorecard counts)."""
    return [r for r in records if not r.reader]


def reader_records(records: list[Record]) -> list[Record]:
    """The records of readers' classifiers (:func:`reader_classifier`), listed apart."""
    return [r for r in records if r.reader]
