"""The Gu & Borovykh paper path at the paper's input sizes, on a handful of images.

The ``smoke-paper`` profile runs ResNet50 on 32-px inputs (``resize: 32``) to stay fast,
so the ``paper`` profile's 224-px path (CIFAR-10 images resized to 224 inside the model,
the first hidden layer 256 x 56 x 56) and the Table 2 decoder's 56 -> 64 path never run
whole in ``make test``. These tests run them at random weights (ImageNet weights cannot be
downloaded here: ``pretrained: False``): the classifier as the ``paper`` profile
configures it, its split at every space of Table 1 and of the depth sweep, one tiny NEB
relaxation in each space of Table 1, and both decoders of App. A built and trained as the
paper profile builds them.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from connectivity import decoders
from connectivity.data import Dataset
from connectivity.models import Resize, fold_batchnorm, split_model
from connectivity.neb import connect_pairs
from connectivity.pages.gu2023.connect import connect_in_layer
from connectivity.pages.gu2023.decoders_and_paths import DecodersAndPathsSettings
from connectivity.pages.gu2023.decoders_and_paths.study import train_decoders
from connectivity.pages.gu2023.table1 import Table1Settings
from connectivity.pages.gu2023.table1.study import latent_shape
from connectivity.shared_classifiers import classifier_config
from connectivity.training import build_classifier

# one point of each space at 224-px inputs (torchvision ResNet50); "input" is the CIFAR
# image itself: the resize to 224 is the model's second stage, after the normalisation
PAPER_SHAPES = {
    "input": (3, 32, 32),
    "maxpool": (64, 56, 56),
    "layer1": (256, 56, 56),
    "layer2": (512, 28, 28),
    "layer3": (1024, 14, 14),
    "layer4": (2048, 7, 7),
    "flatten": (2048,),
}
# NEB at toy scale (the paper profile's optimiser, step and spring are kept)
TINY = {"n_linear": 5, "neb": {"n_pivots": 2, "steps": 2}}


@pytest.fixture(scope="module")
def paper_model():
    """The ``paper`` profile's CIFAR-10 ResNet (ResNet50, inputs resized to 224), random
    weights, eval mode."""
    paper = classifier_config("paper", "cifar10_resnet")
    assert paper.arch == "resnet50" and paper.arch_kwargs["resize"] == 224
    cfg = classifier_config(
        "paper", "cifar10_resnet", {"arch_kwargs": {"pretrained": False, "resize": 224}}
    )
    assert cfg.arch_kwargs == {**paper.arch_kwargs, "pretrained": False}
    torch.manual_seed(0)
    return build_classifier(cfg).eval()


@pytest.fixture(scope="module")
def images():
    return torch.rand(4, 3, 32, 32, generator=torch.Generator().manual_seed(1))


def test_paper_classifier_resizes_cifar_images_to_224(paper_model, images):
    assert isinstance(paper_model.resize, Resize) and paper_model.resize.size == 224
    head, _ = split_model(paper_model, "resize")
    with torch.no_grad():
        assert head(images[:2]).shape == (2, 3, 224, 224)
        logits = paper_model(images[:2])
    assert logits.shape == (2, 10) and torch.isfinite(logits).all()


def test_paper_split_at_every_space_of_table1_and_the_depth_sweep(paper_model, images):
    s = Table1Settings.resolve("paper")
    layers = sorted(set(s.spaces.as_dict().values()) | set(s.depth_layers))
    assert set(layers) == set(PAPER_SHAPES)
    x = images[:1]  # one image: 7 splits of a 224-px ResNet50 are ~15 forward passes
    with torch.no_grad():
        full = paper_model(x)
        for layer in layers:
            head, tail = split_model(paper_model, layer)
            z = head(x)
            assert tuple(z.shape[1:]) == PAPER_SHAPES[layer], layer
            assert latent_shape(paper_model, layer, x) == PAPER_SHAPES[layer]
            torch.testing.assert_close(tail(z), full, rtol=1e-5, atol=1e-5, msg=layer)
            if layer not in s.spaces.as_dict().values():
                continue
            # connect_pairs classifies with the BN-folded tail: the same function
            torch.testing.assert_close(
                fold_batchnorm(tail)(z), full, rtol=1e-4, atol=1e-3, msg=f"{layer}, folded"
            )


@pytest.mark.parametrize("space", ["original", "intermediate", "last", "last_stage"])
def test_one_tiny_neb_in_each_paper_space_of_table1(paper_model, images, space):
    """A pair whose straight path leaves the class (the target is a class the model
    gives neither endpoint), so NEB runs: two Adam steps of a two-pivot band."""
    s = Table1Settings.resolve("paper", **TINY)
    assert s.neb.optimizer == "adam" and s.neb.lr == 0.01
    layer = s.spaces.as_dict()[space]
    head, tail = split_model(paper_model, layer)
    with torch.no_grad():
        z = head(images[:2])
        pred = tail(z).argmax(1)
    target = torch.tensor([next(c for c in range(10) if c not in pred.tolist())])
    z1, z2 = z[:1], z[1:]
    conn = connect_pairs(tail, z1, z2, target, s.n_linear, s.neb)
    shape = PAPER_SHAPES[layer]
    assert conn.category == ["none"] and conn.neb_index.tolist() == [0]
    assert conn.linear_loss.shape == (1, s.n_linear) and torch.isfinite(conn.linear_loss).all()
    assert conn.bands.shape == (1, s.neb.n_pivots + 2, *shape)
    torch.testing.assert_close(conn.bands[0, 0], z1[0])  # the endpoints stay
    torch.testing.assert_close(conn.bands[0, -1], z2[0])
    assert torch.isfinite(conn.bands).all() and torch.isfinite(conn.band_energies).all()
    assert float(conn.departure_rel_l2[0]) > 0  # the pivots left the segment


def test_connect_in_layer_runs_the_first_hidden_layer_at_224(paper_model, tmp_model_cache):
    """The Table 1 pipeline (model logits, same-class pairs, split, straight path and
    NEB, cached run) in the paper's first hidden layer, on 6 images labelled as the
    random model classifies them."""
    s = Table1Settings.resolve("paper", **TINY)
    x = torch.rand(6, 3, 32, 32, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        y = paper_model(x).argmax(1)
    ds = Dataset("cifar10", "test", x, y, [str(c) for c in range(10)], "random images")
    run = connect_in_layer(
        paper_model,
        "paper-path-test",
        ds,
        s.spaces.intermediate,
        0,
        n_pairs=2,
        n_linear=s.n_linear,
        neb=s.neb,
    )
    assert run.layer == "layer1" and run.pairs.shape == (2, 2)
    assert (y[run.pairs[:, 0]] == run.target).all() and (y[run.pairs[:, 1]] == run.target).all()
    conn = run.connection
    assert len(conn.category) == 2 and set(conn.category) <= {"linear", "nonlinear", "none"}
    assert conn.linear_loss.shape == (2, s.n_linear) and torch.isfinite(conn.linear_loss).all()
    if len(conn.neb_index):
        assert conn.bands.shape[1:] == (s.neb.n_pivots + 2, *PAPER_SHAPES["layer1"])


def test_paper_intermediate_decoder_takes_56_to_64_and_trains(paper_model, images):
    """Table 2's decoder at full width, as the paper profile configures it (56 x 56
    latents of the 224-px ResNet50 to 64 x 64 images): decodes into [0, 1] and one Adam
    step on the MSE to the images resized to 64 has a finite loss."""
    s = DecodersAndPathsSettings.resolve("paper")
    cfg = s.intermediate_decoder
    assert cfg.image_size == 64 and cfg.width == 256 and s.spaces.intermediate == "layer1"
    assert decoders.size_changing_layers(56, 56, 64, 64, cfg.groups) == [((5, 5), (0, 0))] * 2
    head, _ = split_model(paper_model, s.spaces.intermediate)
    x = images[:2]
    with torch.no_grad():
        z = head(x)
    torch.manual_seed(0)
    dec = decoders.intermediate_decoder(
        tuple(z.shape[1:]), (3, cfg.image_size, cfg.image_size), cfg
    )
    with torch.no_grad():
        out = dec.eval()(z)
    assert out.shape == (2, 3, 64, 64) and 0 <= out.min() and out.max() <= 1
    dec.train()
    opt = torch.optim.Adam(dec.parameters(), lr=cfg.lr)
    target = decoders.fit_images(x, (64, 64))
    loss = F.mse_loss(dec(z), target)
    opt.zero_grad()
    loss.backward()
    before = [p.detach().clone() for p in dec.parameters()]
    opt.step()
    assert torch.isfinite(loss) and 0 < loss.item() < 1
    assert any(not torch.equal(a, p) for a, p in zip(before, dec.parameters()))


def test_paper_decoders_train_through_the_library_at_paper_shapes(paper_model, tmp_model_cache):
    """``decoders_and_paths.study.train_decoders`` as the paper profile runs it (224-px
    ResNet50, first hidden layer to 64 x 64, pooled features to 32 x 32), at toy widths, 10
    images and one epoch of two batches."""
    s = DecodersAndPathsSettings.resolve(
        "paper",
        decoder_train_images=10,
        decoder_test_images=10,
        intermediate_decoder={"width": 8, "blocks": 1, "epochs": 1, "batch_size": 5},
        last_decoder={"widths": [8], "blocks": 1, "epochs": 1, "batch_size": 5},
    )
    assert s.intermediate_decoder.image_size == 64 and s.intermediate_decoder.groups == 2
    g = torch.Generator().manual_seed(3)
    classes = [str(c) for c in range(10)]

    def fake(split, n):
        x = torch.rand(n, 3, 32, 32, generator=g)
        return Dataset("cifar10", split, x, torch.arange(n) % 10, classes, "random images")

    parts = {sp: split_model(paper_model, layer) for sp, layer in s.spaces.as_dict().items()}
    trained = train_decoders(s, "paper-path-test", parts, fake("train", 12), fake("test", 12))
    inter, last = trained["intermediate"], trained["last"]
    assert inter.image_size == (64, 64) and last.image_size == (32, 32)
    for d in (inter, last):
        assert len(d.train_mse) == 1 and all(0 < m < 1 for m in d.train_mse + [d.test_mse])
    x = torch.rand(2, 3, 32, 32, generator=g)
    with torch.no_grad():
        out_i = inter(parts["intermediate"][0](x))
        out_l = last(parts["last"][0](x))
    assert out_i.shape == (2, 3, 64, 64) and out_l.shape == (2, 3, 32, 32)
    for out in (out_i, out_l):
        assert 0 <= out.min() and out.max() <= 1
