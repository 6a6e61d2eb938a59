"""Training classifiers from a config, cached by a hash of that config.

``train_classifier(cfg)`` loads the checkpoint of ``cfg`` if it exists, else trains
(with a progress bar), evaluates on the test split and saves. The same config and
seed on the same machine give the same weights: batches are drawn with an explicit
``torch.Generator`` and augmentation is done on tensors.

The recipe follows the fast public CIFAR-10 recipes (Page 2018, "How to train your
ResNet"; Jordan 2024, "94 % on CIFAR-10 in 3.29 seconds on a single GPU", airbench)
as far as it applies to an unchanged ResNet or VGG-16-BN; each ingredient is a
:class:`TrainConfig` field, so it is part of the cache key and can be switched off:

* ``precision="bf16"`` - forward pass under bfloat16 autocast (fp32 master weights,
  loss and optimiser in fp32); on CPUs with AMX/AVX512-BF16 the convolutions run
  several times faster. Falls back to fp32 with a warning where bfloat16 is not fast.
* ``whiten_init`` - the first convolution starts as a whitening of the training
  images' patches (PCA filters scaled by 1/sqrt(eigenvalue), in +/- pairs).
* ``dirac_init`` - the other 3x3 convolutions start as partial identities.
* ``schedule="triangle"`` - linear warm-up then linear decay, Nesterov SGD.
* ``label_smoothing`` (optionally only for the first ``label_smoothing_epochs``).
* ``flip="alternating"`` - every image is flipped in every other epoch, not at random.
* ``bn_momentum``, ``bn_scale`` (train the BatchNorm scales or keep them at 1),
  ``bias_lr_scale`` (larger learning rate for BatchNorm biases).
* ``lookahead`` - an exponential moving average of the weights, copied back into
  the network every few steps (hlb-CIFAR10 / airbench).

Evaluation is always in float32 (``predict``), as every later chapter uses the
model; the per-epoch test accuracy while training (the learning curve, optionally on
``curve_subset`` test images) is computed in the training precision, the
final one (``TrainedModel.test_accuracy``) in float32.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .. import fastconv, model_store
from ..caching import atomic_save, cache_path, load_entry
from ..data import MEAN, STD, SUBSET_RULE, Dataset, image_subset, load_dataset
from ..models import build_model, model_device, to_channels_last, to_contiguous_format
from ..progress import progress as progress_bar

NUM_CLASSES = {"mnist": 10, "cifar10": 10, "cifar100": 100}
SCHEDULES = ("onecycle", "triangle", "cosine", "step", "constant")
FLIPS = ("random", "alternating", "none")
PRECISIONS = ("fp32", "bf16")
# cross-entropy below which a correctly classified image counts as a confident "mode"
CONFIDENT_CE = 0.01


def default_device() -> torch.device:
    """The device the book computes on: the first CUDA GPU when there is one, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a trained classifier (the cache key)."""

    dataset: str = "cifar10"
    arch: str = "cifar_resnet"
    arch_kwargs: dict = field(default_factory=dict)
    epochs: int = 5
    batch_size: int = 256
    optimizer: str = "sgd"  # "sgd" (Nesterov) or "adam"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"  # see SCHEDULES
    warmup: float = 0.2  # fraction of the steps spent warming up ("triangle")
    final_lr: float = 0.0  # learning rate at the end, as a fraction of lr ("triangle")
    label_smoothing: float = 0.0
    label_smoothing_epochs: int | None = None  # smooth only the first n epochs (None: all)
    augment: bool = True  # random translation (zero padding) + horizontal flip
    translate: int = 4  # pixels of random translation
    flip: str = "random"  # see FLIPS
    precision: str = "fp32"  # "fp32" or "bf16" (autocast forward pass, fp32 master weights)
    whiten_init: bool = False  # first conv starts as a patch-whitening filter bank
    dirac_init: bool = False  # other 3x3 convs start as partial identities
    bn_momentum: float = 0.1  # PyTorch convention: weight of the new batch statistics
    bn_scale: bool = True  # train BatchNorm scales (False: fixed at 1)
    bias_lr_scale: float = 1.0  # learning-rate factor of BatchNorm biases (weight decay / factor)
    lookahead: bool = False  # EMA of the weights copied back every 5 steps after 30 % of training
    train_subset: int | None = None  # first n training images (after a seeded shuffle)
    test_subset: int | None = None  # evaluate on n test images (smoke runs; see image_subset)
    # the learning curve (test accuracy after each epoch) on n of the evaluation images
    # (None: all of them); the curve only watches the training, the weights do not depend on it
    curve_subset: int | None = None
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        from ..data import check_name
        from ..models import ARCHITECTURES

        check_name(self.dataset)
        if self.arch not in ARCHITECTURES:
            raise ValueError(
                f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}"
            )
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"epochs, batch_size and lr must be positive: {self}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose sgd or adam")
        for name, value, choices in (
            ("schedule", self.schedule, SCHEDULES),
            ("flip", self.flip, FLIPS),
            ("precision", self.precision, PRECISIONS),
        ):
            if value not in choices:
                raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
        if not (0 <= self.warmup < 1 and 0 <= self.final_lr <= 1 and 0 <= self.label_smoothing < 1):
            raise ValueError("warmup in [0, 1), final_lr in [0, 1], label_smoothing in [0, 1)")
        if not (0 < self.bn_momentum <= 1 and self.bias_lr_scale > 0 and self.translate >= 0):
            raise ValueError("bn_momentum in (0, 1], bias_lr_scale > 0, translate >= 0")
        for name in ("train_subset", "test_subset", "curve_subset"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be None (all images) or positive")

    def cache_key(self) -> dict:
        """The fields that name this config's results in the cache: all of them, except
        fields added later while at their default (results cached before they existed
        were computed that way and keep their keys); with a subset, how it is drawn."""
        key = dataclasses.asdict(self)
        for name, default in _KEY_NEUTRAL_DEFAULTS.items():
            if key[name] == default:
                del key[name]
        if self.test_subset is not None or self.curve_subset is not None:
            key["subset_rule"] = SUBSET_RULE
        return key


# fields of TrainConfig added after results were cached, with their defaults
_KEY_NEUTRAL_DEFAULTS = {"test_subset": None, "curve_subset": None}


def evaluation_split(cfg: TrainConfig, test: Dataset | None = None) -> Dataset:
    """The test split ``cfg`` evaluates on: the whole one, or ``test_subset`` of its
    images (:func:`image_subset`); from ``test`` when the caller has loaded it already,
    else loaded here."""
    if test is None:
        test = load_dataset(cfg.dataset, "test")
    elif (test.name, test.split) != (cfg.dataset, "test"):
        raise ValueError(f"{test.name}/{test.split} is not the test split of {cfg.dataset}")
    return image_subset(test, cfg.test_subset)


@dataclass
class History:
    """Per-epoch record of a training run. ``seconds`` is the training time of each
    epoch (evaluation excluded, in ``eval_seconds``); ``test_acc`` is measured in the
    training precision after each epoch, on the config's ``curve_subset`` test images."""

    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    eval_seconds: list[float] = field(default_factory=list)
    flops_per_image: float = 0.0  # forward + backward FLOPs of one training image
    precision: str = "fp32"  # the precision actually used
    device: str = "cpu"

    @property
    def train_seconds(self) -> float:
        return float(sum(self.seconds))

    @property
    def cumulative_seconds(self) -> list[float]:
        out, total = [], 0.0
        for s in self.seconds:
            total += s
            out.append(total)
        return out

    def achieved_flops(self, images_per_epoch: int) -> float:
        """Training FLOP/s: FLOPs of all steps over the training time."""
        return (
            self.flops_per_image
            * images_per_epoch
            * len(self.seconds)
            / max(self.train_seconds, 1e-9)
        )

    def __getitem__(self, key: str):  # the older dict interface (plotting.training_curves)
        return getattr(self, key)


@dataclass
class TrainedModel:
    """A trained classifier; ``model`` is in eval mode, on its device, in float32.

    ``test_accuracy`` is the plain network's (float32, no test-time augmentation);
    ``tta_accuracy`` averages the logits of the image and its mirror image (shown
    apart: later chapters use the plain network). ``confident_fraction`` is the
    fraction of test images classified correctly with cross-entropy < 0.01 (the
    "modes" of Vrabel et al.)."""

    model: nn.Sequential
    config: TrainConfig
    history: History
    test_accuracy: float
    path: str
    tta_accuracy: float = float("nan")
    confident_fraction: float = float("nan")
    images_per_epoch: int = 0


# ---------------------------------------------------------------- precision


# CONNECTIVITY_PRECISION: "fp32" trains in float32 everywhere; unset or "auto" lets
# a config's "bf16" run in bfloat16 where that is fast (AMX, AVX512-BF16, a GPU)
PRECISION_ENV = "CONNECTIVITY_PRECISION"
_PRECISION_CHOICES = ("auto", "fp32")
# oneDNN ISA caps (ONEDNN_MAX_CPU_ISA) under which bfloat16 has a fast kernel
_BF16_ISAS = ("AVX512_CORE_BF16", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX")


def precision_override() -> str:
    """``$CONNECTIVITY_PRECISION`` checked: "auto" (unset) or "fp32"."""
    value = os.environ.get(PRECISION_ENV, "").strip().lower() or "auto"
    if value not in _PRECISION_CHOICES:
        raise ValueError(
            f"{PRECISION_ENV}={value!r}: choose one of {', '.join(_PRECISION_CHOICES)}"
        )
    return value


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bfloat16 autocast runs convolutions fast here: a CUDA GPU with bf16, or
    a CPU with AMX tiles or AVX512-BF16 that torch and oneDNN may use. False under
    ``CONNECTIVITY_PRECISION=fp32`` and under an instruction-set cap below those
    (``ATEN_CPU_CAPABILITY=avx2``, ``ONEDNN_MAX_CPU_ISA=AVX2``): there bfloat16 runs
    ~165x slower than float32."""
    if precision_override() == "fp32":
        return False
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu" or not torch.backends.mkldnn.is_available():
        return False
    if torch.backends.cpu.get_cpu_capability() not in ("AVX512",):
        return False
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
    if cap and cap not in ("ALL", *_BF16_ISAS):
        return False
    cpu = getattr(torch, "cpu", None)
    checks = [
        getattr(cpu, n, None) for n in ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    ]
    return any(bool(c()) for c in checks if c is not None)


def effective_precision(requested: str, device: torch.device) -> str:
    """``requested``, or "fp32" with a warning when bfloat16 would not be fast here."""
    if requested == "bf16" and not bf16_is_fast(device):
        warnings.warn(
            f"precision 'bf16' requested but {device} has no fast bfloat16 path "
            "(AMX / AVX512-BF16 on CPU, bf16 on GPU): training in float32 instead",
            RuntimeWarning,
            stacklevel=3,
        )
        return "fp32"
    return requested


def autocast(device: torch.device, precision: str):
    """The context that runs a block in ``precision``: bfloat16 autocast for ``bf16``,
    nothing (float32) otherwise."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return nullcontext()


# ---------------------------------------------------------------- inference


@torch.no_grad()
def predict(
    model: nn.Module, x: torch.Tensor, batch_size: int = 1000, precision: str = "fp32"
) -> torch.Tensor:
    """Logits (N, classes) of x (N, C, H, W) in eval mode, in batches on the model's
    device, returned in float32 on the CPU."""
    model.eval()
    device = model_device(model)
    with autocast(device, precision):
        return torch.cat(
            [
                model(x[i : i + batch_size].to(device)).float().cpu()
                for i in range(0, len(x), batch_size)
            ]
        )


def accuracy(
    model: nn.Module, ds: Dataset, batch_size: int = 1000, precision: str = "fp32"
) -> float:
    return (predict(model, ds.x, batch_size, precision).argmax(1) == ds.y).float().mean().item()


@dataclass
class Evaluation:
    """The float32 evaluation of a classifier on a test set."""

    accuracy: float
    tta_accuracy: float  # logits averaged with those of the mirrored image
    confident_fraction: float  # correct with cross-entropy < CONFIDENT_CE


def evaluate(model: nn.Module, ds: Dataset, batch_size: int = 1000) -> Evaluation:
    logits = predict(model, ds.x, batch_size)
    mirrored = predict(model, ds.x.flip(3), batch_size)
    ce = F.cross_entropy(logits, ds.y, reduction="none")
    correct = logits.argmax(1) == ds.y
    return Evaluation(
        accuracy=correct.float().mean().item(),
        tta_accuracy=((logits + mirrored).argmax(1) == ds.y).float().mean().item(),
        confident_fraction=(correct & (ce < CONFIDENT_CE)).float().mean().item(),
    )


# ---------------------------------------------------------------- data


def augment_batch(
    x: torch.Tensor, gen: torch.Generator, pad: int = 4, flip: torch.Tensor | None = None
) -> torch.Tensor:
    """Random translation by up to ``pad`` pixels (zero padding, then a random crop)
    and a horizontal flip (random, or where the boolean ``flip`` (B,) says); x: (B, C, H, W)."""
    b, _, h, w = x.shape
    if flip is None:
        flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip.view(b, 1, 1, 1), x.flip(3), x)
    if pad == 0:
        return x
    xp = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = dy.view(b, 1) + torch.arange(h).view(1, h)  # (B, H)
    cols = dx.view(b, 1) + torch.arange(w).view(1, w)  # (B, W)
    idx_b = torch.arange(b).view(b, 1, 1)
    out = xp.permute(0, 2, 3, 1)[idx_b, rows.view(b, h, 1), cols.view(b, 1, w)]
    return out.permute(0, 3, 1, 2).contiguous()


# ---------------------------------------------------------------- initialisation


def patch_whitening(
    images: torch.Tensor, kernel: int = 3, eps: float = 5e-4
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenvalues (K,) and whitening filters (K, C, k, k), K = C*k*k, of the k x k
    patches of ``images`` (N, C, H, W), largest eigenvalue first: filter i is the i-th
    eigenvector of the (uncentred) patch second-moment matrix over sqrt(eigenvalue + eps),
    so that the filters' responses have second moments ~1 and are uncorrelated."""
    c = images.shape[1]
    patches = F.unfold(images.double(), kernel).transpose(1, 2).reshape(-1, c * kernel * kernel)
    second = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = torch.linalg.eigh(second)
    eigenvalues, eigenvectors = eigenvalues.flip(0), eigenvectors.flip(1)
    filters = (eigenvectors / torch.sqrt(eigenvalues.clamp_min(0) + eps)).T
    return eigenvalues.float(), filters.reshape(-1, c, kernel, kernel).float()


def first_conv(model: nn.Module) -> nn.Conv2d:
    return next(m for m in model.modules() if isinstance(m, nn.Conv2d))


@torch.no_grad()
def whiten_first_conv(model: nn.Sequential, images: torch.Tensor, eps: float = 5e-4) -> int:
    """Initialise the first convolution of ``model`` with +/- pairs of the whitening
    filters of its (normalised) input patches, largest eigenvalues first (Jordan 2024);
    filters beyond 2 * C*k*k keep their random start. Returns how many were set."""
    conv = first_conv(model)
    x = model.normalize(images) if hasattr(model, "normalize") else images
    _, filters = patch_whitening(x, conv.kernel_size[0], eps)
    n = min(conv.out_channels // 2, len(filters))
    w = filters[:n].to(conv.weight.dtype)
    conv.weight[: 2 * n] = torch.cat([w, -w]).to(conv.weight.device)
    if conv.bias is not None:
        conv.bias.zero_()
    return 2 * n


@torch.no_grad()
def dirac_init(model: nn.Module, skip_first: bool = True) -> int:
    """Start every 3x3 convolution (but the first) as a partial identity: output
    channel i < min(C_in, C_out) copies input channel i (airbench). Returns the count."""
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    for conv in convs[1 if skip_first else 0 :]:
        torch.nn.init.dirac_(conv.weight[: conv.in_channels])
    return len(convs) - (1 if skip_first else 0)


# ---------------------------------------------------------------- optimisation


def _param_groups(cfg: TrainConfig, model: nn.Module) -> list[dict]:
    bn_bias, bn_weight, other = [], [], []
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            if mod.affine:
                bn_bias.append(mod.bias)
                bn_weight.append(mod.weight)
        else:
            other += [p for p in mod.parameters(recurse=False)]
    if not cfg.bn_scale:
        for p in bn_weight:
            p.requires_grad_(False)
        bn_weight = []
    groups = [{"params": other + bn_weight}]
    if bn_bias:
        # the bias's weight decay shrinks per step by lr * wd: keep that product unchanged
        groups.append(
            {
                "params": bn_bias,
                "lr": cfg.lr * cfg.bias_lr_scale,
                "weight_decay": cfg.weight_decay / cfg.bias_lr_scale,
            }
        )
    return groups


def _triangle(step: int, steps: int, warmup: float, final: float, start: float = 0.1) -> float:
    """Learning-rate factor: linear from ``start`` to 1 over the warm-up, then to ``final``."""
    peak = max(1, round(warmup * steps))
    if step < peak:
        return start + (1 - start) * step / peak
    return 1 + (final - 1) * (step - peak) / max(1, steps - peak)


def _optimizer_and_schedule(cfg: TrainConfig, model: nn.Module, steps: int):
    groups = _param_groups(cfg, model)
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(
            groups,
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.momentum > 0,
            weight_decay=cfg.weight_decay,
        )
    else:
        opt = torch.optim.Adam(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
    lr_sched = torch.optim.lr_scheduler
    max_lrs = [g["lr"] for g in opt.param_groups]
    if cfg.schedule == "onecycle" and steps >= 4:
        # warm-up of at least 2 steps: OneCycleLR divides by the length of each phase
        sched = lr_sched.OneCycleLR(
            opt,
            max_lr=max_lrs,
            total_steps=steps,
            pct_start=min(0.5, max(0.25, 2.5 / steps)),
            anneal_strategy="linear",
            div_factor=10,
            final_div_factor=100,
        )
    elif cfg.schedule == "triangle":
        sched = lr_sched.LambdaLR(opt, lambda s: _triangle(s, steps, cfg.warmup, cfg.final_lr))
    elif cfg.schedule == "cosine":
        sched = lr_sched.CosineAnnealingLR(opt, T_max=steps)
    elif cfg.schedule == "step":  # x0.1 at 50 % and 75 % of training
        sched = lr_sched.MultiStepLR(opt, milestones=[steps // 2, 3 * steps // 4], gamma=0.1)
    else:  # "constant", or too few steps for a cycle
        sched = lr_sched.LambdaLR(opt, lambda _: 1.0)
    return opt, sched


class Lookahead:
    """Exponential moving average of the weights and BatchNorm statistics, copied
    back into the network at every update (Zhang et al. 2019's lookahead as used by
    hlb-CIFAR10 and airbench): from ``start`` of the steps on, every ``every`` steps,
    with a decay that grows as (progress)**3 towards 0.95**every."""

    def __init__(self, model: nn.Module, total_steps: int, every: int = 5, start: float = 0.3):
        self.model, self.total, self.every, self.start = model, total_steps, every, start
        self.ema: dict[str, torch.Tensor] | None = None

    def _floats(self):
        return [(k, v) for k, v in self.model.state_dict().items() if v.is_floating_point()]

    @torch.no_grad()
    def step(self, step: int) -> None:
        if step < self.start * self.total or step % self.every:
            return
        if self.ema is None:
            self.ema = {k: v.clone() for k, v in self._floats()}
            return
        decay = 0.95**self.every * (step / self.total) ** 3
        for k, v in self._floats():
            self.ema[k].lerp_(v, 1 - decay)
            v.copy_(self.ema[k])

    @torch.no_grad()
    def copy_back(self) -> None:
        if self.ema is not None:
            for k, v in self._floats():
                v.copy_(self.ema[k])


# ---------------------------------------------------------------- the small-model loop


def minibatch_epochs(
    opt: torch.optim.Optimizer,
    batch_loss,
    n: int,
    *,
    batch_size: int,
    epochs: int,
    gen: torch.Generator,
    drop_last: bool = False,
    desc: str | None = None,
) -> list[float]:
    """The loop of the book's small trainers (VAE, digit judge, decoders): each epoch
    draws a permutation of ``n`` items from ``gen`` and, batch by batch, calls
    ``batch_loss(idx)`` (idx: (B,) int64 item indices; returns a scalar loss tensor),
    then ``opt`` steps. ``drop_last`` drops a partial last batch (unless it is the only
    one); ``desc`` names a progress bar (none without it). Returns the mean batch loss
    of every epoch. Classifiers use :func:`fit`,
    which adds augmentation, schedules and precision to the same shape of loop.

    Example::

        opt = torch.optim.Adam(net.parameters())
        losses = minibatch_epochs(opt, lambda i: F.mse_loss(net(x[i]), y[i]), len(x),
                                  batch_size=64, epochs=3, gen=torch.Generator().manual_seed(0))
    """
    steps = max(1, n // batch_size) if drop_last else -(-n // batch_size)
    bar = progress_bar(total=epochs * steps, desc=desc, disable=desc is None)
    losses = []
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        total = 0.0
        for s in range(steps):
            loss = batch_loss(perm[s * batch_size : (s + 1) * batch_size])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total = total + loss.detach()  # stays on the device: no host sync per step
            bar.update(1)
        losses.append(float(total) / steps)
    bar.close()
    return losses


# ---------------------------------------------------------------- the one training loop


def build_classifier(cfg: TrainConfig) -> nn.Sequential:
    """The untrained model of ``cfg``, normalising with its data set's statistics."""
    return build_model(
        cfg.arch,
        NUM_CLASSES[cfg.dataset],
        mean=MEAN[cfg.dataset],
        std=STD[cfg.dataset],
        **cfg.arch_kwargs,
    )


def training_flops_per_image(model: nn.Module, shape: tuple[int, ...], n_classes: int) -> float:
    """Forward + backward FLOPs of one image (counted by torch on a copy, batch of 2)."""
    from torch.utils.flop_counter import FlopCounterMode

    clone = copy.deepcopy(model).train()
    device = model_device(clone)
    x = torch.rand(2, *shape, device=device)
    with FlopCounterMode(display=False) as counter:
        F.cross_entropy(clone(x), torch.arange(2, device=device) % n_classes).backward()
    return counter.get_total_flops() / 2


def fit(
    model: nn.Sequential,
    cfg: TrainConfig,
    train: Dataset,
    test: Dataset | None = None,
    *,
    on_step=None,
    on_epoch=None,
    progress: bool = True,
    desc: str = "training",
) -> History:
    """Train ``model`` (already on its device) in place by ``cfg`` on ``train``; the
    single training loop of the book. ``test`` (``cfg.curve_subset`` of its images) is
    evaluated after each epoch (in the training precision); ``on_step(step, model)`` runs
    after every optimiser step and ``on_epoch(epoch, model)`` after every epoch (1-based
    both)."""
    device = model_device(model)
    precision = effective_precision(cfg.precision, device)
    gen = torch.Generator().manual_seed(cfg.seed)
    x, y = train.x, train.y
    if cfg.train_subset:
        keep = torch.randperm(len(y), generator=gen)[: cfg.train_subset]
        x, y = x[keep], y[keep]
    n = len(y)
    steps_per_epoch = max(
        1, n // cfg.batch_size
    )  # drop the last partial batch (BN needs > 1 sample)
    total = cfg.epochs * steps_per_epoch
    if cfg.whiten_init:
        whiten_first_conv(model, x[torch.randperm(n, generator=gen)[:5000]].to(device))
    if cfg.dirac_init:
        dirac_init(model)
    for mod in model.modules():
        if isinstance(mod, nn.modules.batchnorm._BatchNorm):
            mod.momentum = cfg.bn_momentum
    history = History(precision=precision, device=str(device))
    history.flops_per_image = training_flops_per_image(model, tuple(x.shape[1:]), int(y.max()) + 1)
    opt, sched = _optimizer_and_schedule(cfg, model, total)
    lookahead = Lookahead(model, total) if cfg.lookahead else None
    channels_last = x.dim() == 4
    if channels_last:  # lets oneDNN (CPU) and cuDNN pick faster kernels; values unchanged
        to_channels_last(model)  # but small strided 1x1 convs (oneDNN#6035: hang, wrong grad)
    routed = fastconv.install(model) if precision == "bf16" and device.type == "cpu" else 0
    curve = None if test is None else image_subset(test, cfg.curve_subset)
    base_flip = torch.rand(n, generator=gen) < 0.5  # "alternating": flipped in odd epochs
    bar = progress_bar(total=total, desc=desc, disable=not progress)
    step = 0
    try:
        for epoch in range(1, cfg.epochs + 1):
            t0 = time.perf_counter()
            model.train()
            perm = torch.randperm(n, generator=gen)
            smoothing = cfg.label_smoothing
            if cfg.label_smoothing_epochs is not None and epoch > cfg.label_smoothing_epochs:
                smoothing = 0.0
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device)
            for s in range(steps_per_epoch):
                idx = perm[s * cfg.batch_size : (s + 1) * cfg.batch_size]
                xb = x[idx]
                if cfg.augment:
                    flip = None
                    if cfg.flip == "alternating":
                        flip = base_flip[idx] ^ bool(epoch % 2 == 0)
                    elif cfg.flip == "none":
                        flip = torch.zeros(len(idx), dtype=torch.bool)
                    xb = augment_batch(xb, gen, cfg.translate, flip)
                mf = torch.channels_last if channels_last else torch.contiguous_format
                xb, yb = xb.to(device, memory_format=mf), y[idx].to(device)
                with autocast(device, precision):
                    out = model(xb)
                loss = F.cross_entropy(out.float(), yb, label_smoothing=smoothing)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                step += 1
                if lookahead is not None:
                    lookahead.step(step)
                # accumulate on the device: no host sync per step
                loss_sum += loss.detach() * len(yb)
                correct += (out.argmax(1) == yb).sum()
                bar.update(1)
                if on_step is not None:
                    on_step(step, model)
            if lookahead is not None:
                lookahead.copy_back()
            seen = steps_per_epoch * cfg.batch_size
            history.train_loss.append(loss_sum.item() / seen)
            history.train_acc.append(correct.item() / seen)
            history.seconds.append(time.perf_counter() - t0)
            t1 = time.perf_counter()
            if curve is not None:
                history.test_acc.append(accuracy(model, curve, precision=precision))
                bar.set_postfix(test_acc=f"{history.test_acc[-1]:.3f}")
            if on_epoch is not None:
                on_epoch(epoch, model)
            history.eval_seconds.append(time.perf_counter() - t1)
    finally:
        bar.close()
        if routed:
            fastconv.uninstall(model)
        to_contiguous_format(model).eval()
    return history


def train_classifier(
    cfg: TrainConfig,
    *,
    use_cache: bool = True,
    progress: bool = True,
    device: str | torch.device | None = None,
) -> TrainedModel:
    """Train (or load) the classifier described by ``cfg``, on ``device`` (default:
    :func:`default_device`).

    With ``use_cache``, a model committed with the book for this config
    (:mod:`connectivity.model_store`, sha256 verified: a damaged file raises
    :class:`~connectivity.model_store.ModelIntegrityError`) comes first, then the cache
    (checksum verified: a damaged entry is trained again); otherwise it is trained here
    and cached. The evaluation of a loaded model is the one stored with it."""
    cfg.validate()
    device = torch.device(device) if device is not None else default_device()
    if use_cache:
        committed = model_store.lookup(cfg.cache_key())
        if committed is not None:
            _, entry = committed
            state = model_store.load_state_dict(entry)
            path = str(model_store.store_dir() / entry["file"])
            return _trained_from(cfg, state, entry, path, device)
    path = cache_path("models", cfg.cache_key())
    if use_cache and path.exists():  # a hit needs neither the data nor a second model
        ckpt = load_entry(path, map_location="cpu")
        if ckpt is not None:
            return _trained_from(cfg, ckpt["state_dict"], ckpt, str(path), device)

    train = load_dataset(cfg.dataset, "train")
    test = evaluation_split(cfg)
    torch.manual_seed(cfg.seed)
    model = build_classifier(cfg).to(device)
    history = fit(model, cfg, train, test, progress=progress, desc=f"{cfg.arch} on {cfg.dataset}")
    ev = evaluate(model, test)
    n = min(cfg.train_subset or len(train), len(train))
    images = max(1, n // cfg.batch_size) * cfg.batch_size
    atomic_save(
        {
            "state_dict": model.state_dict(),
            "history": dataclasses.asdict(history),
            "evaluation": dataclasses.asdict(ev),
            "images_per_epoch": images,
            "config": dataclasses.asdict(cfg),
        },
        path,
    )
    return TrainedModel(
        model, cfg, history, ev.accuracy, str(path), ev.tta_accuracy, ev.confident_fraction, images
    )


def _trained_from(
    cfg: TrainConfig, state: dict, record: dict, path: str, device: torch.device
) -> TrainedModel:
    """The :class:`TrainedModel` of a stored ``state`` dict and its ``record`` (a
    checkpoint or a committed model's manifest entry: history, evaluation, images)."""
    model = build_classifier(cfg)
    model.load_state_dict(state)
    model.to(device).eval()
    ev = record["evaluation"]
    return TrainedModel(
        model,
        cfg,
        History(**record["history"]),
        ev["accuracy"],
        path,
        ev["tta_accuracy"],
        ev["confident_fraction"],
        record["images_per_epoch"],
    )


def train_with_snapshots(
    cfg: TrainConfig, snapshot_batches: list[int], snapshot_epochs: list[int], progress: bool = True
) -> dict:
    """Train like :func:`train_classifier` (the same loop, :func:`fit`) and keep copies
    of the weights after the given numbers of batches and epochs (Vrabel et al. App.
    D.1). Cached by the config and the snapshot lists. The weights are on the CPU.

    Returns {"batches": {k: state_dict}, "epochs": {e: state_dict}, "test_acc": {e: float}}
    (test accuracy in float32).
    """
    from ..caching import cached

    cfg.validate()
    batches, epochs = set(snapshot_batches), set(snapshot_epochs)

    def compute():
        train = load_dataset(cfg.dataset, "train")
        test = evaluation_split(cfg)
        torch.manual_seed(cfg.seed)
        model = build_classifier(cfg).to(default_device())
        out = {"batches": {}, "epochs": {}, "test_acc": {}}

        def state(m):
            return {k: v.detach().to("cpu", copy=True) for k, v in m.state_dict().items()}

        def on_step(step, m):
            if step in batches:
                out["batches"][step] = state(m)

        def on_epoch(epoch, m):
            if epoch in epochs:
                out["epochs"][epoch] = state(m)
                out["test_acc"][epoch] = accuracy(m, test)

        fit(
            model,
            cfg,
            train,
            on_step=on_step,
            on_epoch=on_epoch,
            progress=progress,
            desc="training with snapshots",
        )
        return out

    params = {"cfg": cfg.cache_key(), "batches": sorted(batches), "epochs": sorted(epochs)}
    return cached("training-snapshots", params, compute)
