"""The detection page on a reader's classifier (issue 39): ``checkpoint``.

The known answer: the page's default model at toy size (the smoke-trained CIFAR-10
VGG-16-BN), saved to a file and passed back as a checkpoint, gives the default run's
records (the same AUCs, accuracies, tests), written without a verdict against the paper
and marked as the reader's. A torchvision network's detector layers are module paths
(:class:`connectivity.detection.Tapped`), and the refusals before any work: an opaque
program (the detectors hook its layers), another data set than the checkpoint's, a
network with no default layers.
"""

from __future__ import annotations

import hashlib
from dataclasses import fields

import pytest
import torch
import torchvision
from conftest import needs_data, same_as_the_books_records
from torch import nn

from connectivity import prose, scorecard
from connectivity.detection import Tapped, relu_outputs, relu_positions
from connectivity.pages.vrabel2024 import detection as page
from connectivity.pages.vrabel2024.detection.study import detector_layers
from connectivity.reader_checkpoint import load_classifier
from connectivity.settings import ParameterError
from connectivity.shared_classifiers import shared_classifier


def _flat(recs) -> dict[str, scorecard.Record]:
    """Every record of the page by id, wherever the records dataclass keeps it."""
    out: dict[str, scorecard.Record] = {}

    def walk(value):
        if isinstance(value, scorecard.Record):
            out[value.id] = value
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                walk(v)

    for f in fields(recs):
        walk(getattr(recs, f.name))
    return out


@pytest.fixture(scope="module")
def smoke_vgg(tmp_path_factory, private_cache) -> dict:
    """The smoke profile's CIFAR-10 VGG saved as a reader saves theirs."""
    trained = shared_classifier("smoke", "cifar10_vgg")
    path = tmp_path_factory.mktemp("ckpt") / "smoke_vgg.pt"
    torch.save(trained.model.state_dict(), path)
    return {
        "path": str(path),
        "architecture": trained.config.arch,
        "arch_kwargs": dict(trained.config.arch_kwargs),
        "dataset": "cifar10",
    }


@needs_data
@pytest.mark.slow
@pytest.mark.timeout(600)  # two toy-size runs: a minute alone, more beside other jobs
def test_the_default_model_as_a_checkpoint_gives_the_default_records(
    smoke_vgg, tmp_build, monkeypatch, capsys
):
    monkeypatch.setattr(prose, "glue", lambda *a, **k: None)
    book_study = page.run(page.DetectionSettings.resolve("smoke", datasets=["cifar10"]))
    book = _flat(page.report(book_study).records)
    settings = page.DetectionSettings.resolve("smoke", checkpoint=smoke_vgg)
    assert settings.datasets == ["cifar10"]  # the checkpoint's data set
    study = page.run(settings)
    digest = hashlib.sha256(open(smoke_vgg["path"], "rb").read()).hexdigest()
    assert f"sha256 {digest}" in capsys.readouterr().out  # checked before any work
    assert study.reader["sha256"] == digest and not book_study.reader
    theirs = _flat(page.report(study).records)

    same_as_the_books_records(book, theirs, digest)


@pytest.mark.timeout(60)
def test_a_torchvision_networks_detector_layers_are_its_module_outputs(tmp_path):
    net = torchvision.models.resnet18(num_classes=10).eval()
    path = tmp_path / "resnet18.pt"
    torch.save(net.state_dict(), path)
    found = load_classifier(path, "resnet18", "cifar10", mean=[0.5] * 3, std=[0.25] * 3)
    paths = detector_layers(found, None)
    assert paths == ["relu", "layer1", "layer2", "layer3", "layer4"]
    tapped = nn.Sequential(Tapped(found.network, paths))
    assert relu_positions(tapped) == [0, 1, 2, 3, 4]
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        l2, l4 = relu_outputs(tapped, x, [2, 4])
        stem = net.maxpool(net.relu(net.bn1(net.conv1(x))))
        assert torch.equal(l2, net.layer2(net.layer1(stem)))
        assert l4.shape == (2, 512, 1, 1)
    vgg = torchvision.models.vgg11(num_classes=10)
    torch.save(vgg.state_dict(), tmp_path / "vgg11.pt")
    found = load_classifier(
        tmp_path / "vgg11.pt", "vgg11", "cifar10", mean=[0.5] * 3, std=[0.25] * 3
    )
    relus = detector_layers(found, None)
    assert len(relus) == 8 and all(p.startswith("features.") for p in relus)  # VGG-11: 8


@pytest.mark.timeout(60)
def test_a_checkpoint_is_refused_before_any_work(smoke_vgg, tmp_path):
    program = tmp_path / "program.pt"
    torch.jit.save(torch.jit.script(nn.Sequential(nn.Flatten(), nn.Linear(3072, 10))), program)
    with pytest.raises(ParameterError, match="cannot be split or hooked"):
        page.DetectionSettings.resolve(
            "smoke", checkpoint={"path": str(program), "mean": [0] * 3, "std": [1] * 3}
        )
    with pytest.raises(ParameterError, match="a checkpoint is one classifier, of cifar10"):
        page.DetectionSettings.resolve("smoke", checkpoint=smoke_vgg, datasets=["cifar100"])
    with pytest.raises(ParameterError, match="leave classifier_changes out"):
        page.DetectionSettings.resolve(
            "smoke", checkpoint=smoke_vgg, classifier_changes={"seed": 1}
        )
    with pytest.raises(ParameterError, match="give a checkpoint too"):
        page.DetectionSettings.resolve("smoke", detector_layers=["layer1"])
    dense = tmp_path / "densenet.pt"
    torch.save(torchvision.models.densenet121(num_classes=10).state_dict(), dense)
    found = load_classifier(dense, "densenet121", "cifar10", mean=[0.5] * 3, std=[0.25] * 3)
    with pytest.raises(ParameterError, match="no default layers for 'densenet121'"):
        detector_layers(found, None)
