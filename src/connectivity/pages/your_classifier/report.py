"""The "Your classifier" page's records and sentences: Table 1's, written as a
reader's classifier's (:func:`connectivity.scorecard.reader_classifier`: measurements
with the paper's values beside them, no verdict against the paper, listed apart from
the book's records), and what the page says of the run (``yours_*``)."""

from __future__ import annotations

from connectivity import prose, scorecard

from ..gu2023.table1.report import records as table1_records
from ..gu2023.table1.report import sentences as table1_sentences
from .study import YourClassifierStudy


def report(study: YourClassifierStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: Table 1's records on the saved classifier (:func:`records`)
    and the sentences (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: YourClassifierStudy) -> dict[str, scorecard.Record]:
    """Table 1's records of the run, by Table 1's short names (a reader's: none with a
    verdict against the paper)."""
    return table1_records(study.table1)


def sentences(study: YourClassifierStudy, recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """Table 1's sentences (``table1_classifier``, ``table1_claims``, ...) and
    ``yours_run``: the pairs, spaces and time of the run."""
    t = study.table1
    s = t.settings
    spaces = ", ".join(f"{k} {v!r}" for k, v in s.spaces.as_dict().items())
    kinds = sorted({r.verdict for r in recs.values()})
    return {
        **table1_sentences(t, recs),
        "yours_run": (
            f"Table 1 ran on {s.n_pairs} pairs of one draw (seed {s.pair_seeds[0]}) in the "
            f"spaces {spaces}, in {study.seconds:.0f} s with the checks; its {len(recs)} "
            f"records have the verdicts {' and '.join(kinds)} only."
        ),
    }
