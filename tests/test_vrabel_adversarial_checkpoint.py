"""§4.2 (adversarial barriers) on a reader's classifier (issue 39): ``checkpoint``.

The known answer: the page's default model at toy size (the smoke-trained ResNet), saved
to a file and passed back as a checkpoint, gives the default run's records (the same
values, counts, tests), written without a verdict against the paper and marked as the
reader's; and a checkpoint whose data set has fewer classes than asked is refused before
any work.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields

import pytest
from conftest import SMOKE_RESNET_SIZES, needs_data, same_as_the_books_records

from connectivity import prose
from connectivity.pages.vrabel2024 import adversarial_barriers as page
from connectivity.settings import ParameterError


def _flat(recs) -> dict:
    """Every record of the page by id (the records dataclass holds dicts and records)."""
    out = {}
    for f in fields(recs):
        value = getattr(recs, f.name)
        for rec in value.values() if isinstance(value, dict) else [value]:
            if rec is not None:
                out[rec.id] = rec
    return out


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(400)  # two toy-size runs: seconds alone, minutes beside other jobs
def test_the_default_model_as_a_checkpoint_gives_the_default_records(
    smoke_resnet_file, tmp_build, monkeypatch, capsys
):
    monkeypatch.setattr(prose, "glue", lambda *a, **k: None)
    book_study = page.run(page.AdversarialBarriersSettings.resolve("smoke"))
    book = _flat(page.report(book_study).records)
    ckpt = {
        "path": smoke_resnet_file,
        "architecture": "cifar_resnet",
        "arch_kwargs": SMOKE_RESNET_SIZES,
    }
    study = page.run(page.AdversarialBarriersSettings.resolve("smoke", checkpoint=ckpt))
    digest = hashlib.sha256(open(smoke_resnet_file, "rb").read()).hexdigest()
    assert f"sha256 {digest}" in capsys.readouterr().out  # checked before any work
    assert study.reader["sha256"] == digest and "reader's classifier" in study.model_name
    theirs = _flat(page.report(study).records)

    same_as_the_books_records(book, theirs, digest)


@pytest.mark.timeout(60)
def test_a_checkpoint_with_too_few_classes_is_refused(smoke_resnet_file):
    ckpt = {
        "path": smoke_resnet_file,
        "architecture": "cifar_resnet",
        "arch_kwargs": SMOKE_RESNET_SIZES,
    }
    with pytest.raises(ParameterError, match="classes: the checkpoint's data set has 10"):
        page.AdversarialBarriersSettings.resolve("smoke", classes=11, checkpoint=ckpt)
