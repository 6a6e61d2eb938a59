"""Models: head/tail split equals the whole model for every architecture and cut."""

from __future__ import annotations

import urllib.error

import pytest
import torch

from connectivity import models

CASES = {
    "cifar_resnet": (dict(arch="cifar_resnet", blocks=(1, 2, 1), width=4), (3, 32, 32)),
    "cifar_resnet4": (dict(arch="cifar_resnet", blocks=(1, 1, 1, 1), width=4), (3, 32, 32)),
    "cifar_vgg16_bn": (dict(arch="cifar_vgg16_bn", width=0.125), (3, 32, 32)),
    "resnet18": (dict(arch="resnet18"), (3, 32, 32)),
    "resnet50": (dict(arch="resnet50", resize=64), (3, 32, 32)),
    "googlenet": (dict(arch="googlenet"), (3, 64, 64)),
}


def _model(case):
    kw, shape = CASES[case]
    kw = dict(kw)
    arch = kw.pop("arch")
    torch.manual_seed(0)
    m = models.build_model(arch, num_classes=10, **kw)
    # non-trivial batch-norm statistics, so that eval mode is really tested
    m.train()
    with torch.no_grad():
        m(torch.rand(4, *shape))
    return m.eval(), shape


@pytest.mark.parametrize("case", list(CASES))
def test_tail_of_head_equals_model_at_every_split(case):
    model, shape = _model(case)
    x = torch.rand(3, *shape)
    with torch.no_grad():
        full = model(x)
        assert full.shape == (3, 10)
        for name in models.layer_names(model):
            head, tail = models.split_model(model, name)
            z = head(x)
            torch.testing.assert_close(tail(z), full, rtol=1e-5, atol=1e-5, msg=f"split at {name}")


def test_split_at_input_is_identity_head_and_at_last_layer_is_identity_tail():
    model, shape = _model("cifar_resnet")
    x = torch.rand(2, *shape)
    head, tail = models.split_model(model, "input")
    assert torch.equal(head(x), x)
    head, tail = models.split_model(model, "fc")
    with torch.no_grad():
        torch.testing.assert_close(tail(head(x)), head(x))


def test_named_latents_have_the_documented_shapes():
    model = models.cifar_resnet((1, 1, 1), width=8)
    x = torch.rand(2, 3, 32, 32)
    shapes = {
        n: tuple(models.split_model(model, n)[0](x).shape)
        for n in ("stem", "stage1", "stage3", "pool")
    }
    assert shapes == {
        "stem": (2, 8, 32, 32),
        "stage1": (2, 8, 32, 32),
        "stage3": (2, 32, 8, 8),
        "pool": (2, 32),
    }


def test_normalisation_lives_inside_the_model_and_comes_from_the_caller():
    mean, std = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
    model = models.build_model("cifar_resnet", 10, mean=mean, std=std, blocks=(1,), width=4)
    x = torch.tensor(mean).view(1, 3, 1, 1) + torch.tensor(std).view(1, 3, 1, 1) * torch.ones(
        1, 3, 2, 2
    )
    torch.testing.assert_close(model.normalize(x), torch.ones(1, 3, 2, 2))  # one std above the mean
    grey = models.build_model("cifar_vgg16_bn", 10, mean=(0.1307,), std=(0.3081,), width=0.0625)
    assert grey.block1[0].in_channels == 1
    with pytest.raises(TypeError, match="mean= and std="):
        models.build_model("cifar_resnet", 10, dataset="cifar10")
    with pytest.raises(ValueError, match="one value per channel"):
        models.build_model("cifar_resnet", 10, mean=(0.5, 0.5), std=(0.2,))


def test_models_module_knows_no_data_set():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(models))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m and m.endswith("data") for m in imported)


def test_resnet_with_explicit_stage_widths():
    model = models.cifar_resnet((1, 1, 1), widths=(8, 24, 40))
    x = torch.rand(2, 3, 32, 32)
    shapes = {
        n: tuple(models.split_model(model, n)[0](x).shape) for n in ("stem", "stage2", "pool")
    }
    assert shapes == {"stem": (2, 8, 32, 32), "stage2": (2, 24, 16, 16), "pool": (2, 40)}
    with pytest.raises(ValueError, match="one width"):
        models.cifar_resnet((1, 1), widths=(8,))
    early = models.cifar_resnet((1, 1), widths=(16, 32), stem_width=8, first_stride=2)
    shapes = {
        n: tuple(models.split_model(early, n)[0](x).shape) for n in ("stem", "stage1", "stage2")
    }
    assert shapes == {"stem": (2, 8, 32, 32), "stage1": (2, 16, 16, 16), "stage2": (2, 32, 8, 8)}


def test_bad_names_are_rejected():
    model = models.cifar_resnet((1,), width=4)
    with pytest.raises(ValueError, match="no layer 'layer9'"):
        models.split_model(model, "layer9")
    with pytest.raises(ValueError, match="unknown architecture"):
        models.build_model("alexnet", 10)
    with pytest.raises(ValueError):
        models.cifar_resnet((1, 1, 1, 1, 1))


def test_missing_pretrained_weights_give_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(models.WeightsUnavailableError, match="resnet50") as err:
        models.torchvision_model("resnet50", pretrained=True)
    import torchvision

    file = torchvision.models.ResNet50_Weights.DEFAULT.url.rsplit("/", 1)[1]
    message = str(err.value)
    assert file in message and str(tmp_path / "hub" / "checkpoints") in message
    assert "pretrained: false" in message


@pytest.mark.parametrize(
    "build",
    [lambda: models.cifar_resnet((1, 2), width=4), lambda: models.cifar_vgg16_bn(width=0.0625)],
)
def test_folded_batchnorm_gives_the_same_outputs_and_input_gradients(build):
    torch.manual_seed(0)
    model = build()
    model.train()
    model(torch.rand(16, 3, 32, 32))  # non-trivial running statistics
    model.eval()
    folded = models.fold_batchnorm(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    x = torch.rand(4, 3, 32, 32, requires_grad=True)
    x2 = x.detach().clone().requires_grad_(True)
    torch.testing.assert_close(folded(x2), model(x), rtol=1e-4, atol=1e-5)
    model(x).sum().backward()
    folded(x2).sum().backward()
    torch.testing.assert_close(x2.grad, x.grad, rtol=1e-3, atol=1e-6)
    assert model.training is False and any(
        p.requires_grad for p in model.parameters()
    )  # original untouched
