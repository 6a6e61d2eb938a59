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
    m = models.build_model(arch, num_classes=10, dataset="cifar10" if arch.startswith("cifar") else None, **kw)
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
    shapes = {n: tuple(models.split_model(model, n)[0](x).shape) for n in ("stem", "stage1", "stage3", "pool")}
    assert shapes == {"stem": (2, 8, 32, 32), "stage1": (2, 8, 32, 32), "stage3": (2, 32, 8, 8), "pool": (2, 32)}


def test_normalisation_lives_inside_the_model():
    model = models.build_model("cifar_resnet", 10, dataset="cifar10", blocks=(1,), width=4)
    norm = model.normalize
    x = torch.full((1, 3, 2, 2), 0.4914)
    assert abs(norm(x)[0, 0].mean().item()) < 1e-5


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
    with pytest.raises(models.WeightsUnavailableError, match="resnet50"):
        models.torchvision_model("resnet50", pretrained=True)


@pytest.mark.parametrize("build", [lambda: models.cifar_resnet((1, 2), width=4),
                                   lambda: models.cifar_vgg16_bn(width=0.0625)])
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
    assert model.training is False and any(p.requires_grad for p in model.parameters())  # original untouched
