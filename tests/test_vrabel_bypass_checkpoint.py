"""§4.1 (the bypass) on a reader's classifier (issue 39): the ``checkpoint`` parameter.

The known answer: the page's default model at toy size (the smoke-trained ResNet), saved
to a file and passed back as a checkpoint, gives the default run's records (the same
values, counts, tests), written without a verdict against the paper and marked as the
reader's; the page works in the input space, so an opaque program (TorchScript) runs
too; and the refusals of its parameters before any work.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import fields

import pytest
import torch
from conftest import SMOKE_RESNET_SIZES, needs_data

from connectivity import prose
from connectivity.pages.vrabel2024 import bypass as page
from connectivity.settings import ParameterError
from connectivity.shared_classifiers import shared_classifier


def _records(study, monkeypatch) -> dict:
    monkeypatch.setattr(prose, "glue", lambda *a, **k: None)
    recs = page.report(study).records
    return {f.name: getattr(recs, f.name) for f in fields(recs)}


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)  # two toy-size runs: seconds alone, minutes beside other jobs
def test_the_default_model_as_a_checkpoint_gives_the_default_records(
    smoke_resnet_file, tmp_build, monkeypatch, capsys
):
    default = page.BypassSettings.resolve("smoke")
    book_study = page.run(default)
    book = _records(book_study, monkeypatch)
    ckpt = {
        "path": smoke_resnet_file,
        "architecture": "cifar_resnet",
        "arch_kwargs": SMOKE_RESNET_SIZES,
    }
    study = page.run(page.BypassSettings.resolve("smoke", checkpoint=ckpt))
    digest = hashlib.sha256(open(smoke_resnet_file, "rb").read()).hexdigest()
    assert f"sha256 {digest}" in capsys.readouterr().out  # checked before any work
    assert study.reader["sha256"] == digest and "reader's classifier" in study.model_name
    theirs = _records(study, monkeypatch)

    assert set(theirs) == set(book)
    for key, a in book.items():
        b = theirs[key]
        assert (b.id, b.reproduced, b.paper, b.n) == (a.id, a.reproduced, a.paper, a.n), key
        assert (b.p_value, b.p_opposite, b.effect, b.test) == (
            a.p_value,
            a.p_opposite,
            a.effect,
            a.test,
        )
        assert {k: v for k, v in b.extra.items() if k != "holds"} == a.extra, key
        # the note names the network: the reader's instead of the book's
        note = a.note.replace(book_study.model_name, study.model_name)
        assert b.note == note.replace(book_study.source, study.source), key
        assert not a.reader and b.reader["sha256"] == digest
        assert b.verdict in ("not comparable", "no paper value", "failed")
        assert not b.counts_as_reproduction


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)
def test_an_opaque_program_runs_on_the_input_space_page(
    smoke_resnet_file, tmp_build, tmp_path, monkeypatch
):
    net = shared_classifier("smoke", "cifar10_resnet").model.eval()
    path = tmp_path / "smoke_resnet_script.pt"
    with warnings.catch_warnings():  # torch.jit's deprecation notices
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(net, torch.rand(2, 3, 32, 32)), path)
    ckpt = {"path": str(path), "mean": [0.0] * 3, "std": [1.0] * 3}  # it normalises itself
    study = page.run(page.BypassSettings.resolve("smoke", checkpoint=ckpt))
    assert study.reader["architecture"] == "TorchScript"
    recs = _records(study, monkeypatch)
    assert all(
        r.reader["file"] == path.name and not r.counts_as_reproduction for r in recs.values()
    )


@pytest.mark.timeout(60)
def test_more_classes_than_the_checkpoints_data_set_are_refused(smoke_resnet_file):
    ckpt = {
        "path": smoke_resnet_file,
        "architecture": "cifar_resnet",
        "arch_kwargs": SMOKE_RESNET_SIZES,
    }
    with pytest.raises(ParameterError, match="the checkpoint's data set has 10 classes, got 50"):
        page.BypassSettings.resolve("paper", checkpoint=ckpt)
    assert page.BypassSettings.resolve("paper", checkpoint=ckpt, classes=10).classes == 10


@pytest.mark.timeout(60)
def test_a_program_needs_its_normalisation(smoke_resnet_file, tmp_path):
    path = tmp_path / "script.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.script(torch.nn.Flatten()), path)
    with pytest.raises(ParameterError, match="TorchScript program: say the normalisation"):
        page.BypassSettings.resolve("smoke", checkpoint={"path": str(path)})
