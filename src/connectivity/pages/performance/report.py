"""The Performance page's sentences: short texts from a run's rows, glued as
``perf_<key>`` (the page writes no scorecard record: no paper value).

:func:`records` returns no record; :func:`sentences` words the run's rows
(:func:`summary`, which ``make bench``'s ``_build/bench.json`` also fits) and
:func:`report` glues them.
"""

from __future__ import annotations

from connectivity import prose, scorecard

from .study import PerformanceStudy

GLUE_PREFIX = "perf_"  # the page's glue names are perf_<key of summary>


def report(study: PerformanceStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: no records (:func:`records`) and its texts (:func:`sentences`),
    glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: PerformanceStudy) -> dict[str, scorecard.Record]:
    """The page's records: none (an empty dict); its timings have no paper value and are
    shown in its table, not scored."""
    return {}


def sentences(study: PerformanceStudy, recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """The page's texts by glue name ``perf_<key>`` for each key of :func:`summary`
    (``perf_machine``, ``perf_bypass``, ``perf_neb``, ``perf_curves``, ``perf_training``,
    ``perf_missed``); ``recs`` (none) as :func:`records` returns them."""
    return {GLUE_PREFIX + key: text for key, text in summary(study.as_dict()).items()}


def summary(result: dict) -> dict[str, str]:
    """Short texts for the Performance page's prose, from a run's rows as
    :meth:`~.study.PerformanceStudy.as_dict` (or ``_build/bench.json``) holds them."""
    rows = result["rows"]

    def first(prefix: str) -> dict | None:
        return next((r for r in rows if r["name"].startswith(prefix)), None)

    def value(prefix: str, fmt: str) -> str:
        r = first(prefix)
        return format(r["measured"], fmt) if r else "not measured"

    training = [r for r in rows if r["name"].startswith("training step")]
    m = result["machine"]
    return {
        "machine": f"{m['platform']} ({m['processor']}, {m['cpus']} CPUs, "
        f"{m['torch_threads']} torch threads, torch {m['torch']}, GPU: {m['cuda'] or 'none'}), "
        f"{result['when']}",
        "bypass": value("barrier bypass", ".1f"),
        "neb": value("NEB iteration", ".0f"),
        "curves": value("loss curves", ".0f"),
        "training": "; ".join(f"{r['name'].split(':')[0]}: {r['measured']:.0f} %" for r in training)
        or "none",
        "missed": ", ".join(r["name"] for r in rows if r["holds"] is False) or "none",
    }
