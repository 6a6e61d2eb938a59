"""Table 1 on a reader's classifier (issue 39): the ``checkpoint`` parameter.

The known answer: the page's default model at toy size (the smoke-trained ResNet),
saved to a file and passed back as a checkpoint, gives the default run's records (the
same values, counts, tests and notes), written as measurements beside the paper's values
and marked as the reader's. Then one test per refusal of the page's parameters, before
any work, and the cut of a reader's network at its module paths.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from types import SimpleNamespace

import pytest
import torch
import torchvision
from conftest import needs_data

from connectivity import models, prose, scorecard
from connectivity import reader_checkpoint as rc
from connectivity.models import split_model
from connectivity.pages.gu2023 import table1
from connectivity.pages.gu2023.connect import (
    UnsplittableNetworkError,
    load_classifier,
    load_reader,
    staged_model,
)
from connectivity.pages.gu2023.table1 import Table1Settings
from connectivity.pages.gu2023.table1.settings import reader_layers
from connectivity.pages.your_classifier.figures import TEXT_WIDTH, checks_text
from connectivity.settings import ParameterError

SMOKE_SIZES = {"blocks": [1, 1, 1, 1], "width": 4}  # the smoke profile's shared ResNet


def _records(study, monkeypatch) -> tuple[dict, dict]:
    glued = {}
    monkeypatch.setattr(prose, "glue", glued.__setitem__)
    return table1.report(study).records, glued


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(300)  # two toy-size runs: ~40 s alone, longer beside other jobs
def test_the_default_model_as_a_checkpoint_gives_the_default_records(
    private_cache, tmp_build, tmp_path, monkeypatch, capsys
):
    default = Table1Settings.resolve("smoke")
    book, _ = _records(table1.run(default), monkeypatch)
    trained = load_classifier(default)
    path = tmp_path / "smoke_resnet.pt"
    torch.save(trained.model.state_dict(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()

    ckpt = {"path": str(path), "architecture": trained.config.arch, "arch_kwargs": SMOKE_SIZES}
    mine = Table1Settings.resolve("smoke", checkpoint=ckpt, depth_layers=default.depth_layers)
    assert mine.spaces == default.spaces  # the book's ResNet's defaults: its own stages
    study = table1.run(mine)
    assert f"sha256 {digest}" in capsys.readouterr().out  # checked before any work
    assert study.reader["sha256"] == digest and study.reader["file"] == path.name
    assert 0 <= study.reader["test_accuracy"] <= 1 and study.reader["test_images"] == 10_000
    theirs, glued = _records(study, monkeypatch)

    assert set(theirs) == set(book)
    for key, a in book.items():
        b = theirs[key]
        assert (b.id, b.reproduced, b.paper, b.n, b.note) == (
            a.id,
            a.reproduced,
            a.paper,
            a.n,
            a.note,
        )
        assert (b.p_value, b.p_opposite, b.effect, b.test) == (
            a.p_value,
            a.p_opposite,
            a.effect,
            a.test,
        )
        extra = {k: v for k, v in b.extra.items() if k != "holds"}
        assert extra == a.extra, key
        # by design: no verdict against the paper, and whose classifier it was
        assert not a.reader and b.reader["sha256"] == digest
        assert (b.kind, b.verdict) == (
            ("context", "not comparable")
            if a.paper is not None
            else ("measurement", "no paper value")
        )
        assert not b.counts_as_reproduction
    assert theirs["last"].extra["holds"] is (book["last"].verdict == "check")
    written = json.loads((scorecard.records_dir() / f"{theirs['last'].id}.json").read_text())
    assert written["reader"]["sha256"] == digest and written["kind"] == "measurement"
    assert (
        digest in glued["table1_classifier"] and "reader's classifier" in glued["table1_classifier"]
    )
    assert "nothing here is a verdict on the paper" in glued["table1_why"]
    assert len(scorecard.reader_records(list(theirs.values()))) == len(theirs)


# ---------------------------------------------------------------- refusals before any work


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> str:
    """A state dict of the book's CIFAR ResNet at toy size."""
    path = tmp_path_factory.mktemp("ckpt") / "mine.pt"
    torch.save(models.cifar_resnet((1, 1), width=4).state_dict(), path)
    return str(path)


def _ckpt(file: str, **changes) -> dict:
    blocks = {"blocks": [1, 1], "width": 4}
    return {"path": file, "architecture": "cifar_resnet", "arch_kwargs": blocks, **changes}


REFUSALS = {
    "not a dict": ("mine.pt", "expects a dict"),
    "an unknown key": ({"colour": 1}, r"unknown key of 'checkpoint' 'colour'"),
    "no architecture": ({"architecture": None}, "say its architecture"),
    "no file": ({"path": "/nonexistent/mine.pt"}, "checkpoint.path: no file at"),
    "an unknown architecture": ({"architecture": "resnet19"}, "unknown architecture 'resnet19'"),
    "an unknown data set": ({"dataset": "mnist"}, "unknown data set 'mnist'"),
    "two mean values": ({"mean": [0.5, 0.5], "std": [0.2] * 3}, r"checkpoint.mean: 3 values"),
    "a zero std": ({"mean": [0.5] * 3, "std": [0.2, 0.0, 0.2]}, "all positive"),
    "mean without std": ({"mean": [0.5] * 3}, "mean and std together"),
    "a tiny input": ({"input_size": 4}, "at least 8 pixels"),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", REFUSALS)
def test_a_malformed_checkpoint_is_refused_by_the_settings(case, saved):
    change, message = REFUSALS[case]
    ckpt = change if isinstance(change, str) else _ckpt(saved, **change)
    with pytest.raises(ParameterError, match=message):
        Table1Settings.resolve("smoke", checkpoint=ckpt)


@pytest.mark.timeout(60)
def test_an_architecture_without_default_spaces_must_name_them(saved):
    ckpt = _ckpt(saved, architecture="densenet121")
    with pytest.raises(ParameterError, match="no default layers for 'densenet121'.*missing: "):
        Table1Settings.resolve("smoke", checkpoint=ckpt)
    named = {"intermediate": "features.denseblock1", "last": "classifier", "last_stage": "features"}
    assert (
        Table1Settings.resolve("smoke", checkpoint=ckpt, spaces=named).spaces.last == "classifier"
    )


@pytest.mark.timeout(60)
def test_retraining_the_books_classifier_is_refused_with_a_checkpoint(saved):
    with pytest.raises(ParameterError, match="leave classifier_changes out"):
        Table1Settings.resolve("smoke", checkpoint=_ckpt(saved), classifier_changes={"epochs": 2})


@pytest.mark.timeout(60)
def test_one_draw_is_enough_with_a_checkpoint_and_not_without(saved):
    assert Table1Settings.resolve("smoke", checkpoint=_ckpt(saved), pair_seeds=[3]).pair_seeds == [
        3
    ]
    with pytest.raises(ParameterError, match="two different draws"):
        Table1Settings.resolve("smoke", pair_seeds=[3])


@pytest.mark.timeout(60)
def test_an_opaque_program_is_refused_where_a_layer_is_split(tmp_path):
    net = models.cifar_resnet((1,), width=4).eval()
    path = tmp_path / "mine_script.pt"
    with warnings.catch_warnings():  # torch.jit's deprecation notices
        warnings.simplefilter("ignore")
        torch.jit.save(torch.jit.trace(net, torch.rand(2, 3, 32, 32)), path)
    ckpt = {"path": str(path), "architecture": "resnet18", "mean": [0.5] * 3, "std": [0.25] * 3}
    with pytest.raises(ParameterError, match="TorchScript program.*cannot be split"):
        Table1Settings.resolve("smoke", checkpoint=ckpt)


@pytest.mark.timeout(60)
def test_a_missing_layer_is_refused_when_the_page_starts(saved, tmp_build):
    s = Table1Settings.resolve("smoke", checkpoint=_ckpt(saved), spaces={"intermediate": "stage9"})
    with pytest.raises(rc.MissingLayerError, match="no layer 'stage9'"):
        load_reader(s, [*s.spaces.as_dict().values(), *s.depth_layers])


@pytest.mark.timeout(60)
def test_the_books_resnet_with_fewer_stages_gets_its_own_defaults(saved):
    s = Table1Settings.resolve("ci", checkpoint=_ckpt(saved))
    assert s.spaces.as_dict() == {
        "original": "input",
        "intermediate": "stage1",
        "last": "pool",
        "last_stage": "stage2",
    }
    assert s.depth_layers == ["input", "stem", "stage1", "stage2", "pool"]
    assert reader_layers("wide_resnet50_2")["spaces"]["intermediate"] == "layer1"


# ---------------------------------------------------------------- the cut at module paths


def _torchvision(tmp_path, arch: str, layers: list[str], size: int = 32) -> rc.ReaderClassifier:
    torch.manual_seed(0)
    net = torchvision.models.get_model(arch, num_classes=10).eval()
    path = tmp_path / f"{arch}.pt"
    torch.save(net.state_dict(), path)
    stats = {"mean": (0.5,) * 3, "std": (0.25,) * 3}
    return rc.load_classifier(
        path, arch, "cifar10", layers=layers, input_size=size, verbose=False, **stats
    )


@pytest.mark.timeout(120)
def test_a_torchvision_resnet_is_cut_at_its_module_paths(tmp_path):
    layers = ["input", "layer1", "layer3.1", "avgpool", "layer4"]
    reader = _torchvision(tmp_path, "resnet18", layers)
    model, stages = staged_model(reader, layers)
    assert stages == {"layer3.1": "layer3_1"}  # a block inside a stage: the stage opened
    x = torch.rand(3, 3, 32, 32)
    with torch.no_grad():
        want = reader.model(x)
        for layer in layers:
            head, tail = split_model(model, stages.get(layer, layer))
            torch.testing.assert_close(tail(head(x)), want)
        assert split_model(model, "avgpool")[0](x).shape == (3, 512, 1, 1)


@pytest.mark.timeout(120)
def test_a_network_whose_forward_is_not_its_modules_in_order_is_refused(tmp_path):
    # ShuffleNet averages its last feature map in forward (x.mean([2, 3])): at 64 pixels
    # its modules in order feed a 2 x 2 map to the linear layer
    reader = _torchvision(tmp_path, "shufflenet_v2_x0_5", ["stage2"], size=64)
    with pytest.raises(UnsplittableNetworkError, match="cannot be cut after stage2"):
        staged_model(reader, ["stage2"])


# ---------------------------------------------------------------- the scorecard keeps them apart


@pytest.mark.timeout(60)
def test_a_readers_records_have_no_verdict_and_the_scorecard_lists_them_apart(
    tmp_build, monkeypatch
):
    from connectivity.pages import scorecard as scorecard_page
    from connectivity.stats import TestResult

    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "gu2023/01_table1")
    result = TestResult("a one-sided test", 0.01, 0.99, 0.3, "effect", "40 pairs")
    book = scorecard.test("gu2023.claim.majority_linear.original", result)
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "your_classifier")
    who = {"file": "mine.pt", "sha256": "ab" * 32, "architecture": "resnet18", "test_accuracy": 0.9}
    with scorecard.reader_classifier(who):
        claim = scorecard.test("gu2023.claim.majority_linear.original", result)
        check = scorecard.check("gu2023.table1.last.linear", "all linear", 4.0, False, "convex")
        share = scorecard.measure("gu2023.table1.original.linear_share", "a share", "3/4")
    monkeypatch.setenv("CONNECTIVITY_NOTEBOOK", "gu2023/01_table1")  # the context ended
    assert scorecard.test("gu2023.claim.majority_linear.intermediate", result).reader == {}
    assert book.verdict == "reproduced" and not book.reader
    # the paper's value beside the reader's, the test's statistics kept, no verdict
    assert (claim.kind, claim.verdict, claim.paper, claim.p_value) == (
        "context",
        "not comparable",
        book.paper,
        0.01,
    )
    assert (check.kind, check.verdict, check.extra["holds"]) == (
        "measurement",
        "no paper value",
        False,
    )
    assert (share.kind, share.verdict, share.reproduced) == ("measurement", "no paper value", "3/4")
    assert claim.reader == check.reader == who and claim.notebook == "your_classifier"
    # a sentence words what the test found on the reader's classifier, not a verdict
    assert [scorecard.reader_outcome(r) for r in (claim, check, share)] == [
        "reproduced",
        "failed",
        "no paper value",
    ]
    worded = prose.say(claim, reproduced="most ({p:.2g})", differs="", not_significant="")
    assert worded == "most (0.01)"
    with pytest.raises(ValueError, match="no wording for 'reproduced'"):
        prose.say(claim, not_comparable="beside", failed="")

    study = scorecard_page.run(scorecard_page.ScorecardSettings.resolve("smoke"))
    assert [r.notebook for r in study.records] == ["gu2023/01_table1"] * 2  # the book's only
    assert {r.id for r in study.readers} == {claim.id, check.id, share.id}
    assert study.counts.loc["all chapters"].sum() == 2
    summary = scorecard_page.readers_table(study).data
    assert list(summary["classifier"]) == ["mine.pt"] and list(summary["records"]) == [3]
    assert len(scorecard_page.reader_records_table(study).data) == 3


@pytest.mark.timeout(30)
def test_the_printed_checks_fit_the_pages_text_box():
    """The Your classifier page prints what the checks said: a sha256 line is longer than
    the page's text box, so every line is wrapped, nothing of it lost."""
    line = "checkpoint ci-cifar10_resnet.pt: sha256 " + "b4" * 32 + " read as cifar_resnet"
    text = checks_text(SimpleNamespace(checks=[line, "test accuracy 90.4 %"]))
    assert max(len(row) for row in text.splitlines()) <= TEXT_WIDTH
    assert "".join(text.split()) == "".join((line + "test accuracy 90.4 %").split())
