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
import torch
from conftest import needs_data

from connectivity import prose
from connectivity.pages.vrabel2024 import adversarial_barriers as page
from connectivity.settings import ParameterError
from connectivity.shared_classifiers import shared_classifier

SMOKE_SIZES = {"blocks": [1, 1, 1, 1], "width": 4}  # the smoke profile's shared ResNet


def _flat(recs) -> dict:
    """Every record of the page by id (the records dataclass holds dicts and records)."""
    out = {}
    for f in fields(recs):
        value = getattr(recs, f.name)
        for rec in value.values() if isinstance(value, dict) else [value]:
            if rec is not None:
                out[rec.id] = rec
    return out


@pytest.fixture(scope="module")
def smoke_file(tmp_path_factory, private_cache) -> str:
    """The smoke profile's shared ResNet saved as a reader saves theirs."""
    path = tmp_path_factory.mktemp("ckpt") / "smoke_resnet.pt"
    torch.save(shared_classifier("smoke", "cifar10_resnet").model.state_dict(), path)
    return str(path)


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(400)  # two toy-size runs: seconds alone, minutes beside other jobs
def test_the_default_model_as_a_checkpoint_gives_the_default_records(
    smoke_file, tmp_build, monkeypatch, capsys
):
    monkeypatch.setattr(prose, "glue", lambda *a, **k: None)
    book_study = page.run(page.AdversarialBarriersSettings.resolve("smoke"))
    book = _flat(page.report(book_study).records)
    ckpt = {"path": smoke_file, "architecture": "cifar_resnet", "arch_kwargs": SMOKE_SIZES}
    study = page.run(page.AdversarialBarriersSettings.resolve("smoke", checkpoint=ckpt))
    digest = hashlib.sha256(open(smoke_file, "rb").read()).hexdigest()
    assert f"sha256 {digest}" in capsys.readouterr().out  # checked before any work
    assert study.reader["sha256"] == digest and "reader's classifier" in study.model_name
    theirs = _flat(page.report(study).records)

    assert set(theirs) == set(book) and book
    for key, a in book.items():
        b = theirs[key]
        assert (b.reproduced, b.paper, b.n, b.p_value, b.effect) == (
            a.reproduced,
            a.paper,
            a.n,
            a.p_value,
            a.effect,
        ), key
        assert not a.reader and b.reader["sha256"] == digest, key
        assert b.verdict in ("not comparable", "no paper value", "failed"), key
        assert not b.counts_as_reproduction


@pytest.mark.timeout(60)
def test_a_checkpoint_with_too_few_classes_is_refused(smoke_file):
    ckpt = {"path": smoke_file, "architecture": "cifar_resnet", "arch_kwargs": SMOKE_SIZES}
    with pytest.raises(ParameterError, match="classes: the checkpoint's data set has 10"):
        page.AdversarialBarriersSettings.resolve("smoke", classes=11, checkpoint=ckpt)
