"""The detection page's report: its scorecard records (:mod:`.records`) and the sentences
that state their outcomes (:mod:`.sentences`, glue names ``det_*`` and
``says.<record id>``), in one call."""

from __future__ import annotations

from connectivity import prose, scorecard

from .records import DetectionRecords, records
from .sentences import sentences
from .study import DetectionStudy


def report(study: DetectionStudy) -> prose.PageReport[DetectionRecords]:
    """The page's report: its scorecard records (:func:`.records.records`) and the
    sentences that state their outcomes (:func:`.sentences.sentences`), glued."""
    if study.reader:  # a reader's classifier: no verdict against the paper, kept apart
        with scorecard.reader_classifier(study.reader):
            recs = records(study)
    else:
        recs = records(study)
    return prose.publish(recs, sentences(study, recs))
