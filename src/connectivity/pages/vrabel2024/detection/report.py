"""The detection page's report: its scorecard records (:mod:`.records`) and the sentences
that state their outcomes (:mod:`.sentences`, glue names ``det_*``), in one call."""

from __future__ import annotations

from .records import DetectionRecords, records
from .sentences import glue_sentences
from .study import DetectionStudy


def report(study: DetectionStudy) -> DetectionRecords:
    """Write the page's scorecard records (:func:`.records.records`) and glue the
    sentences that state their outcomes (:func:`.sentences.glue_sentences`)."""
    recs = records(study)
    glue_sentences(study, recs)
    return recs
