"""Cached training: hit, miss on a changed parameter, determinism."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from conftest import needs_data

from connectivity import caching, training
from connectivity.data import SUBSET_RULE, image_subset, load_dataset
from connectivity.training import TrainConfig, augment_batch, train_classifier

TINY = TrainConfig(
    dataset="cifar10",
    arch="cifar_resnet",
    arch_kwargs={"blocks": [1], "width": 4},
    epochs=1,
    batch_size=64,
    lr=0.05,
    train_subset=256,
    seed=0,
)


def _equal_weights(a, b):
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@needs_data
def test_cache_hit_then_miss_when_a_parameter_changes(tmp_model_cache, monkeypatch):
    first = train_classifier(TINY, progress=False)
    assert first.path.startswith(str(tmp_model_cache))
    assert 0.0 <= first.test_accuracy <= 1.0 and len(first.history.test_acc) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("trained although the checkpoint exists")

    monkeypatch.setattr(training.loop, "_optimizer_and_schedule", no_training)
    again = train_classifier(TINY, progress=False)  # must be a cache hit
    assert again.path == first.path and _equal_weights(first.model, again.model)
    assert again.history == first.history

    changed = dataclasses.replace(TINY, seed=1)
    assert caching.cache_path("models", dataclasses.asdict(changed)) != caching.cache_path(
        "models", dataclasses.asdict(TINY)
    )
    with pytest.raises(AssertionError, match="trained although"):
        train_classifier(changed, progress=False)  # a miss: it tries to train


@needs_data
def test_same_seed_gives_the_same_weights(tmp_model_cache):
    a = train_classifier(TINY, use_cache=False, progress=False)
    b = train_classifier(TINY, use_cache=False, progress=False)
    assert _equal_weights(a.model, b.model)
    c = train_classifier(dataclasses.replace(TINY, seed=1), use_cache=False, progress=False)
    assert not _equal_weights(a.model, c.model)


def test_bad_configs_are_rejected():
    with pytest.raises(ValueError, match="unknown dataset"):
        TrainConfig(dataset="svhn").validate()
    with pytest.raises(ValueError, match="unknown architecture"):
        TrainConfig(arch="mlp").validate()
    with pytest.raises(ValueError, match="positive"):
        TrainConfig(epochs=0).validate()


def test_size_words_reads_like_prose():
    assert TrainConfig(arch_kwargs={}).size_words() == "default size"
    words = TrainConfig(arch_kwargs={"blocks": [1, 2, 2, 1], "width": 16}).size_words()
    assert words == "blocks 1-2-2-1, width 16"


def test_augmentation_crops_and_flips_within_the_padded_image():
    x = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).view(2, 1, 6, 6)
    out = augment_batch(x, torch.Generator().manual_seed(0), pad=2)
    assert out.shape == x.shape
    for i in range(2):
        padded = torch.nn.functional.pad(x[i], (2, 2, 2, 2))
        windows = [padded[:, r : r + 6, c : c + 6] for r in range(5) for c in range(5)]
        windows += [w.flip(2) for w in windows]
        assert any(torch.equal(out[i], w) for w in windows)


def test_param_hash_is_stable_and_order_free():
    assert caching.param_hash({"a": 1, "b": [1, 2]}) == caching.param_hash({"b": [1, 2], "a": 1})
    assert caching.param_hash({"a": 1}) != caching.param_hash({"a": 2})
    with pytest.raises(TypeError):
        caching.param_hash({"a": object()})


def test_cached_computes_once(tmp_model_cache):
    calls = []

    def compute():
        calls.append(1)
        return {"x": torch.ones(2)}

    r1 = caching.cached("unit", {"k": 1}, compute)
    r2 = caching.cached("unit", {"k": 1}, compute)
    caching.cached("unit", {"k": 2}, compute)
    assert torch.equal(r1["x"], r2["x"]) and len(calls) == 2


# ---------------------------------------------------------------- the recipe's parts


def test_a_recipe_change_changes_the_cache_key():
    base = caching.cache_path("models", dataclasses.asdict(TINY))
    for change in (
        {"precision": "bf16"},
        {"whiten_init": True},
        {"lookahead": True},
        {"flip": "alternating"},
        {"label_smoothing": 0.2},
        {"label_smoothing_epochs": 1},
        {"bn_scale": False},
    ):
        changed = dataclasses.replace(TINY, **change)
        assert caching.cache_path("models", dataclasses.asdict(changed)) != base, change


def test_unknown_recipe_values_are_rejected():
    with pytest.raises(ValueError, match="unknown precision"):
        dataclasses.replace(TINY, precision="fp16")
    with pytest.raises(ValueError, match="unknown flip"):
        dataclasses.replace(TINY, flip="sometimes")
    with pytest.raises(ValueError, match="unknown schedule"):
        dataclasses.replace(TINY, schedule="zigzag")


def test_patch_whitening_whitens_the_patch_second_moments():
    gen = torch.Generator().manual_seed(0)
    # strongly correlated channels and neighbouring pixels
    base = torch.randn(64, 1, 20, 20, generator=gen)
    smooth = torch.nn.functional.avg_pool2d(base, 3, 1, 1)
    images = torch.cat([smooth, 0.9 * smooth + 0.1 * torch.randn(64, 1, 20, 20, generator=gen)], 1)
    eigenvalues, filters = training.patch_whitening(images, kernel=3, eps=0.0)
    assert filters.shape == (18, 2, 3, 3) and torch.all(eigenvalues[:-1] >= eigenvalues[1:])
    responses = torch.nn.functional.conv2d(images.double(), filters.double())  # valid patches
    flat = responses.permute(1, 0, 2, 3).reshape(18, -1)
    torch.testing.assert_close(
        flat @ flat.T / flat.shape[1], torch.eye(18, dtype=torch.float64), atol=2e-3, rtol=0
    )


def test_whitened_first_conv_has_plus_minus_pairs_of_unit_second_moment():
    torch.manual_seed(0)
    model = training.build_model("cifar_resnet", 10, blocks=(1,), width=8)
    images = torch.rand(200, 3, 16, 16)
    assert training.whiten_first_conv(model, images, eps=0.0) == 8
    w = training.first_conv(model).weight
    torch.testing.assert_close(w[:4], -w[4:8])
    z = torch.nn.functional.conv2d(model.normalize(images).double(), w[:4].double())
    flat = z.permute(1, 0, 2, 3).reshape(4, -1)
    torch.testing.assert_close(
        flat @ flat.T / flat.shape[1], torch.eye(4, dtype=torch.float64), atol=1e-3, rtol=0
    )


def test_dirac_init_makes_partial_identities():
    torch.manual_seed(0)
    model = training.build_model("cifar_vgg16_bn", 10, width=0.0625)  # 4, 4, 8, 8, 16, ... channels
    assert training.dirac_init(model) == 12
    conv = model.block2[0]  # 4 -> 8 channels
    x = torch.rand(2, 4, 8, 8)
    with torch.no_grad():
        out = torch.nn.functional.conv2d(x, conv.weight[:4])
        torch.testing.assert_close(
            out, torch.nn.functional.conv2d(x, torch.nn.init.dirac_(torch.empty(4, 4, 3, 3)))
        )


def test_triangle_schedule_warms_up_then_decays_linearly():
    f = [training._triangle(s, 100, 0.2, 0.0, start=0.1) for s in range(101)]
    assert (
        f[0] == pytest.approx(0.1) and f[20] == pytest.approx(1.0) and f[100] == pytest.approx(0.0)
    )
    assert f[10] == pytest.approx(0.55) and f[60] == pytest.approx(0.5)


def test_alternating_flip_flips_each_image_in_every_other_epoch():
    x = torch.rand(6, 1, 4, 4)
    base = torch.tensor([True, False, True, False, False, True])
    gen = torch.Generator().manual_seed(0)
    odd = augment_batch(x, gen, pad=0, flip=base)
    even = augment_batch(x, gen, pad=0, flip=base ^ True)
    for i in range(6):
        assert torch.equal(odd[i] if not base[i] else even[i], x[i])
        assert torch.equal(even[i] if not base[i] else odd[i], x[i].flip(2))


def test_bf16_falls_back_to_fp32_with_a_warning(monkeypatch):
    monkeypatch.setattr(training.precision, "bf16_is_fast", lambda device: False)
    with pytest.warns(RuntimeWarning, match="float32 instead"):
        assert training.effective_precision("bf16", torch.device("cpu")) == "fp32"
    assert training.effective_precision("fp32", torch.device("cpu")) == "fp32"


def test_bf16_training_falls_back_on_a_machine_without_fast_bf16(monkeypatch):
    monkeypatch.setattr(training.precision, "bf16_is_fast", lambda device: False)
    ds = _toy_dataset()
    cfg = dataclasses.replace(TINY, precision="bf16", train_subset=None, batch_size=32)
    model = training.build_classifier(cfg)
    with pytest.warns(RuntimeWarning, match="float32 instead"):
        history = training.fit(model, cfg, ds, progress=False)
    assert history.precision == "fp32"


def test_bf16_training_learns_and_leaves_a_plain_float32_model():
    if not training.bf16_is_fast(torch.device("cpu")):
        pytest.skip("no fast bfloat16 on this CPU")
    ds = _toy_dataset()
    cfg = dataclasses.replace(
        TINY,
        precision="bf16",
        train_subset=None,
        batch_size=32,
        epochs=3,
        arch_kwargs={"blocks": [1, 1, 1], "width": 4},
        lr=0.05,
    )
    torch.manual_seed(0)
    model = training.build_classifier(cfg)
    history = training.fit(model, cfg, ds, ds, progress=False)
    assert history.precision == "bf16" and history.test_acc[-1] > 0.9
    assert all(p.dtype == torch.float32 for p in model.parameters())
    assert not any("_conv_forward" in m.__dict__ for m in model.modules())  # fast conv removed
    assert training.accuracy(model, ds) > 0.9  # float32 evaluation agrees


def test_small_map_conv_gradients_equal_the_plain_convolution():
    from connectivity import fastconv

    torch.manual_seed(0)
    for shape in ((4, 8, 4, 4), (3, 16, 2, 2)):
        x = torch.randn(*shape).contiguous(memory_format=torch.channels_last).requires_grad_(True)
        w = torch.randn(5, shape[1], 3, 3, requires_grad=True)
        b = torch.randn(5, requires_grad=True)
        g = torch.randn(shape[0], 5, *shape[2:])
        ref = torch.autograd.grad(torch.nn.functional.conv2d(x, w, b, padding=1), (x, w, b), g)
        out = fastconv.SmallMapConv3x3.apply(x, w, b)
        torch.testing.assert_close(out, torch.nn.functional.conv2d(x, w, b, padding=1))
        for got, want in zip(torch.autograd.grad(out, (x, w, b), g), ref):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)
    model = training.build_model("cifar_vgg16_bn", 10, width=0.0625)
    assert fastconv.install(model) == 13
    fastconv.uninstall(model)
    assert not any("_conv_forward" in m.__dict__ for m in model.modules())


def test_lookahead_copies_its_average_back():
    model = torch.nn.Linear(2, 1)
    la = training.Lookahead(model, total_steps=10, every=1, start=0.0)
    la.step(1)  # starts the average
    with torch.no_grad():
        model.weight.add_(1.0)
    before = la.ema["weight"].clone()
    la.step(10)  # decay 0.95 at the end of training
    torch.testing.assert_close(model.weight, 0.95 * before + 0.05 * (before + 1.0))
    torch.testing.assert_close(la.ema["weight"], model.weight.detach())


def test_evaluation_counts_confident_correct_images_and_mirror_averaging():
    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.p = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):  # class 0 with a margin set by the left-right asymmetry
            d = x[:, 0, 0, 0] - x[:, 0, 0, -1]
            return torch.stack([20 * d, torch.zeros_like(d)], 1) + self.p

    x = torch.zeros(4, 1, 2, 2)
    x[0, 0, 0, 0] = 1.0  # confident class 0 (CE ~ 2e-9)
    x[1, 0, 0, 0] = 0.01  # barely class 0 (CE ~ 0.6)
    x[2, 0, 0, -1] = 1.0  # confident class 1
    ds = training.Dataset("toy", "test", x, torch.tensor([0, 0, 0, 1]), ["a", "b"], "toy")
    ev = training.evaluate(Fixed(), ds)
    assert ev.accuracy == pytest.approx(
        0.5
    )  # images 0 and 1 right; 2 wrong (class 0), 3 a tie -> 0
    assert ev.confident_fraction == pytest.approx(0.25)
    assert ev.tta_accuracy == pytest.approx(0.75)  # mirrored logits cancel: ties -> class 0


@needs_data
def test_classifier_and_snapshots_share_one_training_loop(tmp_model_cache):
    cfg = dataclasses.replace(TINY, epochs=2)
    trained = train_classifier(cfg, progress=False)
    snaps = training.train_with_snapshots(cfg, [1], [2], progress=False)
    final = snaps["epochs"][2]
    assert all(torch.equal(v, final[k]) for k, v in trained.model.state_dict().items())
    assert snaps["test_acc"][2] == pytest.approx(trained.test_accuracy)


def _toy_dataset(n: int = 256) -> training.Dataset:
    """Two classes told apart by the mean brightness of the left half."""
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(n, 3, 32, 32, generator=gen) * 0.5
    y = torch.arange(n) % 2
    x[y == 1, :, :, :16] += 0.5
    return training.Dataset("toy", "train", x, y, ["dark", "bright"], "toy")


def test_minibatch_epochs_visits_every_item_once_per_epoch_and_drops_partial_batches():
    seen = []

    w = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.0)

    def batch_loss(idx):
        seen.append(idx.clone())
        return (w * len(idx)).sum()

    gen = torch.Generator().manual_seed(0)
    losses = training.minibatch_epochs(opt, batch_loss, 10, batch_size=4, epochs=2, gen=gen)
    assert [len(i) for i in seen] == [4, 4, 2, 4, 4, 2]
    assert sorted(torch.cat(seen[:3]).tolist()) == list(range(10))
    assert len(losses) == 2
    seen.clear()
    training.minibatch_epochs(opt, batch_loss, 10, batch_size=4, epochs=1, gen=gen, drop_last=True)
    assert [len(i) for i in seen] == [4, 4]
    seen.clear()  # fewer items than a batch: the one partial batch is kept
    training.minibatch_epochs(opt, batch_loss, 3, batch_size=4, epochs=1, gen=gen, drop_last=True)
    assert [len(i) for i in seen] == [3]


def test_minibatch_epochs_fits_least_squares():
    # known answer: minibatch SGD on a consistent linear system reaches its exact solution
    torch.manual_seed(0)
    a, w_true = torch.randn(64, 3), torch.tensor([1.0, -2.0, 0.5])
    b = a @ w_true
    w = torch.zeros(3, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1)
    losses = training.minibatch_epochs(
        opt,
        lambda i: ((a[i] @ w - b[i]) ** 2).mean(),
        64,
        batch_size=16,
        epochs=60,
        gen=torch.Generator().manual_seed(1),
    )
    assert losses[-1] < 1e-8 < losses[0]
    torch.testing.assert_close(w.detach(), w_true, atol=1e-4, rtol=0)


@pytest.mark.parametrize("field", ["test_subset", "curve_subset"])
def test_a_subset_changes_the_cache_key_only_when_set(field):
    cfg = TrainConfig()
    # fields added after results were cached (fine_tune: out of the key without a stage)
    later = ("test_subset", "curve_subset", "fine_tune")
    before = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in later}
    assert cfg.cache_key() == before  # results cached before the field existed keep their key
    assert caching.param_hash(TrainConfig(**{field: 500}).cache_key()) != caching.param_hash(
        cfg.cache_key()
    )
    with pytest.raises(ValueError, match=field):
        TrainConfig(**{field: 0})


@needs_data
def test_a_learning_curve_on_fewer_images_leaves_the_weights_unchanged(tmp_model_cache):
    cfg = dataclasses.replace(TINY, epochs=2)
    full = train_classifier(cfg, use_cache=False, progress=False)
    part = train_classifier(
        dataclasses.replace(cfg, curve_subset=100), use_cache=False, progress=False
    )
    assert _equal_weights(full.model, part.model)
    assert part.test_accuracy == full.test_accuracy  # the final evaluation uses every image
    assert len(part.history.test_acc) == 2
    assert all(abs(a * 100 - round(a * 100)) < 1e-4 for a in part.history.test_acc)  # k / 100


@needs_data
def test_evaluation_split_draws_a_fixed_random_subset_of_every_class():
    full = training.evaluation_split(TrainConfig(dataset="cifar10"))
    part = training.evaluation_split(TrainConfig(dataset="cifar10", test_subset=1000))
    again = training.evaluation_split(TrainConfig(dataset="cifar10", test_subset=1000))
    assert len(full) == 10_000 and len(part) == 1000 and part.source != full.source
    assert torch.equal(part.x, again.x) and torch.equal(part.y, again.y)  # seeded
    # the decoded test set is sorted by class: the first 1,000 images are all airplanes
    assert torch.bincount(full.y[:1000], minlength=10).count_nonzero() == 1
    counts = torch.bincount(part.y, minlength=10)
    assert counts.min() >= 70 and counts.max() <= 130  # ~100 each (binomial SD 9.5)
    rows = {tuple(r) for r in full.x.flatten(1)[:, :8].tolist()}
    assert all(tuple(r) in rows for r in part.x.flatten(1)[:50, :8].tolist())


def test_a_subset_rule_enters_the_cache_key_only_with_a_subset():
    assert "subset_rule" not in TrainConfig().cache_key()
    assert TrainConfig(curve_subset=10).cache_key()["subset_rule"] == SUBSET_RULE


@needs_data
def test_evaluation_split_subsets_a_test_set_already_loaded():
    from connectivity.data import load_dataset

    test = load_dataset("cifar10", "test")
    part = training.evaluation_split(TrainConfig(dataset="cifar10", test_subset=50), test)
    assert torch.equal(part.x, image_subset(test, 50).x)
    assert training.evaluation_split(TrainConfig(dataset="cifar10"), test) is test
    with pytest.raises(ValueError, match="not the test split"):
        training.evaluation_split(TrainConfig(dataset="cifar100"), test)


@needs_data
def test_a_fine_tune_continues_its_first_stage(tmp_model_cache):
    """A second stage starts from the first stage's model (here from the cache) and
    appends its epochs: its weights are the first stage's trained on by the second
    stage's recipe, by hand; its history is the two stages' one after the other."""
    first = dataclasses.replace(TINY, schedule="constant", label_smoothing=0.1)
    tuned = dataclasses.replace(
        first,
        fine_tune=training.FineTune(epochs=1, lr=0.02, schedule="constant", label_smoothing=0.0),
    )
    assert tuned.fine_tuned and not first.fine_tuned
    assert tuned.first_stage() == first
    two = tuned.second_stage()
    assert (two.epochs, two.lr, two.label_smoothing, two.fine_tune.epochs) == (1, 0.02, 0.0, 0)
    assert "fine_tune" not in first.cache_key() and "fine_tune" in tuned.cache_key()
    assert caching.param_hash(tuned.cache_key()) != caching.param_hash(first.cache_key())

    base = train_classifier(first, progress=False)
    result = train_classifier(tuned, progress=False)
    assert len(result.history.train_loss) == 2  # the first stage's epoch, then the tune's
    assert result.history.train_loss[0] == base.history.train_loss[0]
    # by hand: the cached first stage trained one more epoch by the second stage's recipe
    manual = train_classifier(first, progress=False).model
    training.fit(manual, two, load_dataset("cifar10", "train"), progress=False)
    assert _equal_weights(manual, result.model)
    with pytest.raises(ValueError, match="fine_tune"):
        dataclasses.replace(TINY, fine_tune=training.FineTune(epochs=1, schedule="sometimes"))
    with pytest.raises(ValueError, match="fine_tune"):
        dataclasses.replace(TINY, fine_tune=training.FineTune(epochs=-1))


def test_histories_join_and_say_both_precisions():
    a = training.History([1.0], [0.5], [0.4], [10.0], [1.0], 7.0, "bf16", "cpu")
    b = training.History([0.5], [0.6], [0.5], [20.0], [2.0], 9.0, "fp32", "cpu")
    joined = a.then(b)
    assert joined.train_loss == [1.0, 0.5] and joined.seconds == [10.0, 20.0]
    assert joined.precision == "bf16 then fp32" and joined.device == "cpu"
    assert joined.flops_per_image == 7.0 and joined.train_seconds == 30.0
