"""A reader's checkpoint: loaded without running code from it, and each refusal before
any work (a wrong class count, a missing layer, a non-finite output, a file that is not
a checkpoint, pickled objects) a clear error of its own class."""

from __future__ import annotations

import hashlib
import warnings

import pytest
import torch
from torch import nn

from connectivity import models
from connectivity import reader_checkpoint as rc
from connectivity.errors import ReaderError

pytestmark = pytest.mark.timeout(120)  # each well under a second alone

SIZES = {"blocks": [1], "width": 4}


def _tiny(num_classes: int = 10) -> nn.Sequential:
    """The book's CIFAR ResNet at toy size, with non-trivial batch-norm statistics."""
    torch.manual_seed(0)
    net = models.cifar_resnet((1,), width=4, num_classes=num_classes)
    net.train()
    with torch.no_grad():
        net(torch.rand(8, 3, 32, 32))
    return net.eval()


@pytest.fixture
def saved(tmp_path):
    net = _tiny()
    path = tmp_path / "mine.pt"
    torch.save(net.state_dict(), path)
    return net, path


def test_a_saved_model_loads_back_with_identical_outputs(saved, capsys):
    net, path = saved
    mine = rc.load_classifier(path, "cifar_resnet", "cifar10", arch_kwargs=SIZES, layers=["stem"])
    x = torch.rand(5, 3, 32, 32)
    with torch.no_grad():
        assert torch.equal(mine.model(x), net(x))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert mine.sha256 == digest and digest in capsys.readouterr().out
    assert (mine.file, mine.architecture, mine.kind) == ("mine.pt", "cifar_resnet", "state dict")
    assert (mine.n_classes, mine.dataset, mine.input_size) == (10, "cifar10", 32)
    assert mine.mean == pytest.approx((0.5,) * 3) and mine.std == pytest.approx((0.25,) * 3)
    assert mine.module("stem") is mine.model.stem and not mine.model.training


def test_a_torchvision_state_dict_with_its_normalisation(tmp_path):
    """A training framework's checkpoint (nested, DataParallel's prefix) of a torchvision
    network: the model is the network behind the reader's normalisation."""
    import torchvision

    torch.manual_seed(0)
    net = torchvision.models.get_model("squeezenet1_1", num_classes=10).eval()
    path = tmp_path / "squeeze.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in net.state_dict().items()}}, path)
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    mine = rc.load_classifier(
        path, "squeezenet1_1", "cifar10", mean=mean, std=std, layers=["features.10", "input"]
    )
    x = torch.rand(3, 3, 32, 32)
    scaled = (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)
    with torch.no_grad():
        assert torch.equal(mine.model(x), net(scaled))
    assert mine.module("features.10") is mine.network.features[10]
    assert len(mine.notes) == 2
    with pytest.raises(rc.NormalisationError, match="say the input normalisation"):
        rc.load_classifier(path, "squeezenet1_1", "cifar10", verbose=False)


def test_a_wrong_class_count_is_refused(saved, tmp_path):
    _, path = saved
    with pytest.raises(rc.ClassCountError, match=r"100 classes.*10 outputs") as e:
        rc.load_classifier(path, "cifar_resnet", "cifar100", arch_kwargs=SIZES, verbose=False)
    assert isinstance(e.value, ReaderError)
    folder = tmp_path / "images"
    for name in ("cat", "dog", "fox"):
        (folder / name).mkdir(parents=True)
        (folder / name / "0.png").write_bytes(b"")
    (folder / ".hidden").mkdir()
    assert rc.dataset_classes(folder) == (str(folder), 3)
    with pytest.raises(rc.ClassCountError, match=r"3 classes"):
        rc.load_classifier(path, "cifar_resnet", folder, arch_kwargs=SIZES, verbose=False)


def test_a_missing_layer_is_refused(saved):
    _, path = saved
    with pytest.raises(rc.MissingLayerError, match=r"no layer 'stage2'.*stem, stage1"):
        rc.load_classifier(
            path, "cifar_resnet", arch_kwargs=SIZES, layers=["stage1", "stage2"], verbose=False
        )


def test_a_non_finite_output_is_refused(tmp_path):
    state = _tiny().state_dict()
    state["fc.bias"][3] = float("nan")
    path = tmp_path / "nan.pt"
    torch.save(state, path)
    with pytest.raises(rc.NonFiniteOutputError, match=r"4 of 40 outputs are not finite"):
        rc.load_classifier(path, "cifar_resnet", arch_kwargs=SIZES, verbose=False)


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path):
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(rc.NotACheckpointError, match="not a checkpoint that torch.load"):
        rc.load_classifier(text, "cifar_resnet", verbose=False)
    listed = tmp_path / "list.pt"
    torch.save([torch.zeros(2)], listed)
    with pytest.raises(rc.NotACheckpointError, match="holds a list, not a state dict"):
        rc.load_classifier(listed, "cifar_resnet", verbose=False)
    with pytest.raises(rc.CheckpointNotFoundError):
        rc.load_classifier(tmp_path / "absent.pt", "cifar_resnet", verbose=False)


class _Opens:
    """A pickled object whose loading would create a file (code run by the unpickler)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickled_objects_are_refused_without_running_them(tmp_path):
    whole = tmp_path / "whole_model.pt"
    torch.save(_tiny(), whole)
    with pytest.raises(rc.UnsafeCheckpointError, match=r"Unsupported global.*Sequential"):
        rc.load_classifier(whole, "cifar_resnet", arch_kwargs=SIZES, verbose=False)
    marker = tmp_path / "ran"
    evil = tmp_path / "evil.pt"
    torch.save({"fc.weight": torch.zeros(1), "x": _Opens(marker)}, evil)
    with pytest.raises(
        rc.UnsafeCheckpointError, match=r"Unsupported global: GLOBAL (io|builtins)\.open"
    ):
        rc.load_classifier(evil, "cifar_resnet", verbose=False)
    assert not marker.exists(), "the file's code ran"


def test_a_state_dict_of_another_architecture_is_refused(saved):
    _, path = saved
    with pytest.raises(rc.ArchitectureError, match=r"does not fit.*book's input layer"):
        rc.load_classifier(path, "resnet18", mean=(0,) * 3, std=(1,) * 3, verbose=False)
    with pytest.raises(rc.ArchitectureError, match=r"missing \(stage2"):
        rc.load_classifier(path, "cifar_resnet", arch_kwargs={"blocks": [1, 1]}, verbose=False)
    with pytest.raises(rc.ArchitectureError, match="close: resnet18"):
        rc.load_classifier(path, "resnet81", verbose=False)
    with pytest.raises(rc.NormalisationError, match=r"input layer normalises with mean \(0.5"):
        rc.load_classifier(
            path, "cifar_resnet", arch_kwargs=SIZES, mean=(0,) * 3, std=(1,) * 3, verbose=False
        )


def test_an_opaque_program_is_accepted_only_where_no_layer_is_named(saved, tmp_path):
    net, _ = saved
    path = tmp_path / "program.pt"
    with warnings.catch_warnings():  # torch.jit's deprecation notices
        warnings.simplefilter("ignore", FutureWarning)
        torch.jit.save(torch.jit.trace(net, torch.rand(2, 3, 32, 32)), path)
    plain = {"mean": (0,) * 3, "std": (1,) * 3, "verbose": False}
    mine = rc.load_classifier(path, "ignored", "cifar10", layers=["input"], **plain)
    assert (mine.kind, mine.opaque) == ("TorchScript", True)
    x = torch.rand(4, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(mine.model(x), net(x), atol=1e-6)
    with pytest.raises(rc.OpaqueProgramError, match=r"TorchScript.*found stage1"):
        rc.load_classifier(path, "ignored", layers=["input", "stage1"], **plain)
    with pytest.raises(rc.ClassCountError, match=r"100 classes, the network gives 10"):
        rc.load_classifier(path, "ignored", "cifar100", **plain)


def test_an_exported_program_needs_a_dynamic_batch(saved, tmp_path):
    net, _ = saved
    x = torch.rand(2, 3, 32, 32)
    plain = {"mean": (0,) * 3, "std": (1,) * 3, "verbose": False}
    dynamic = tmp_path / "dynamic.pt2"
    batch = torch.export.Dim("batch")
    torch.export.save(torch.export.export(net, (x,), dynamic_shapes=({0: batch},)), dynamic)
    mine = rc.load_classifier(dynamic, "ignored", **plain)
    assert mine.kind == "torch.export"
    with torch.no_grad():
        assert torch.allclose(mine.model(x), net(x), atol=1e-6)
    fixed = tmp_path / "fixed.pt2"
    torch.export.save(torch.export.export(net, (x,)), fixed)
    with pytest.raises(rc.ProbeError, match="dynamic batch dimension"):
        rc.load_classifier(fixed, "ignored", **plain)
