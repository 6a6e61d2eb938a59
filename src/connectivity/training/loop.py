"""The training loops: :func:`fit`, the one loop every classifier of the book is
trained by, and :func:`minibatch_epochs`, the loop of the small trainers.

The same config and seed on the same machine give the same weights: batches are drawn
with an explicit ``torch.Generator`` and augmentation is done on tensors.
"""

from __future__ import annotations

import copy
import time

import torch
import torch.nn.functional as F
from torch import nn

from .. import fastconv
from ..data import MEAN, STD, Dataset, image_subset
from ..models import build_model, model_device, to_channels_last, to_contiguous_format
from ..progress import progress as progress_bar
from .augmentation import augment_batch
from .config import NUM_CLASSES, TrainConfig
from .evaluation import accuracy
from .initialisation import dirac_init, whiten_first_conv
from .optimisers import Lookahead, _optimizer_and_schedule
from .precision import autocast, effective_precision
from .results import History

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
