"""The Performance page's sentences: short texts from a run's rows, glued as
``perf_<key>`` (the page writes no scorecard record: no paper value)."""

from __future__ import annotations

from connectivity import prose

from .study import PerformanceStudy


def report(study: PerformanceStudy) -> dict[str, str]:
    """The page's texts by key (:func:`summary`), each glued as ``perf_<key>``."""
    texts = summary(study.as_dict())
    for key, text in texts.items():
        prose.glue(f"perf_{key}", text)
    return texts


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
