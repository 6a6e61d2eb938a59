"""Training classifiers from a config, cached by a hash of that config.

``train_classifier(cfg)`` loads the checkpoint of ``cfg`` if it exists, else
trains (with a tqdm bar), evaluates on the test split and saves. The same
config and seed on the same CPU give the same weights: batches are drawn with
an explicit ``torch.Generator`` and augmentation is done on tensors.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from .progress import progress as progress_bar

from .caching import atomic_save, cache_path
from .data import Dataset, load_dataset
from .models import build_model

NUM_CLASSES = {"mnist": 10, "cifar10": 10, "cifar100": 100}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a trained classifier."""

    dataset: str = "cifar10"
    arch: str = "cifar_resnet"
    arch_kwargs: dict = field(default_factory=dict)
    epochs: int = 5
    batch_size: int = 256
    optimizer: str = "sgd"  # "sgd" (Nesterov) or "adam"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"  # "onecycle", "cosine", "step" or "constant"
    label_smoothing: float = 0.0
    augment: bool = True  # random crop (pad 4) + horizontal flip
    train_subset: int | None = None  # first n training images (after a seeded shuffle)
    seed: int = 0

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        from .data import check_name
        from .models import ARCHITECTURES

        check_name(self.dataset)
        if self.arch not in ARCHITECTURES:
            raise ValueError(f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"epochs, batch_size and lr must be positive: {self}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose sgd or adam")
        if self.schedule not in ("onecycle", "cosine", "step", "constant"):
            raise ValueError(f"unknown schedule {self.schedule!r}")


@dataclass
class TrainedModel:
    """A trained classifier with its history; ``model`` is in eval mode."""

    model: nn.Sequential
    config: TrainConfig
    history: dict  # lists per epoch: train_loss, train_acc, test_acc, seconds
    test_accuracy: float
    path: str


def augment_batch(x: torch.Tensor, gen: torch.Generator, pad: int = 4) -> torch.Tensor:
    """Random crop with zero padding and random horizontal flip; x: (B, C, H, W)."""
    b, _, h, w = x.shape
    flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip.view(b, 1, 1, 1), x.flip(3), x)
    xp = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = (dy.view(b, 1) + torch.arange(h).view(1, h))  # (B, H)
    cols = (dx.view(b, 1) + torch.arange(w).view(1, w))  # (B, W)
    idx_b = torch.arange(b).view(b, 1, 1)
    return xp.permute(0, 2, 3, 1)[idx_b, rows.view(b, h, 1), cols.view(b, 1, w)].permute(0, 3, 1, 2).contiguous()


@torch.no_grad()
def predict(model: nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Logits (N, classes) of x (N, C, H, W), in batches, eval mode."""
    model.eval()
    device = next(model.parameters()).device
    return torch.cat([model(x[i:i + batch_size].to(device)).cpu() for i in range(0, len(x), batch_size)])


def accuracy(model: nn.Module, ds: Dataset, batch_size: int = 1000) -> float:
    return (predict(model, ds.x, batch_size).argmax(1) == ds.y).float().mean().item()


def _optimizer_and_schedule(cfg: TrainConfig, model: nn.Module, steps: int):
    if cfg.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.momentum > 0,
                              weight_decay=cfg.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.schedule == "onecycle" and steps >= 4:
        # warm-up of at least 2 steps: OneCycleLR divides by the length of each phase
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=steps,
                                                    pct_start=min(0.5, max(0.25, 2.5 / steps)),
                                                    anneal_strategy="linear", div_factor=10, final_div_factor=100)
    elif cfg.schedule == "onecycle":  # too few steps for a cycle: plain constant rate
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    elif cfg.schedule == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    elif cfg.schedule == "step":  # Harder et al.: x0.1 at 50 % and 75 % of training
        sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[steps // 2, 3 * steps // 4], gamma=0.1)
    else:
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda _: 1.0)
    return opt, sched


def train_classifier(cfg: TrainConfig, *, use_cache: bool = True, progress: bool = True,
                     device: str | torch.device | None = None) -> TrainedModel:
    """Train (or load from the cache) the classifier described by ``cfg``."""
    cfg.validate()
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    path = cache_path("models", dataclasses.asdict(cfg))
    n_classes = NUM_CLASSES[cfg.dataset]
    if use_cache and path.exists():  # a hit needs neither the data nor a second model
        ckpt = torch.load(path, weights_only=False)
        model = build_model(cfg.arch, n_classes, dataset=cfg.dataset, **cfg.arch_kwargs)
        model.load_state_dict(ckpt["state_dict"])
        model.to(device).eval()
        return TrainedModel(model, cfg, ckpt["history"], ckpt["test_accuracy"], str(path))

    train = load_dataset(cfg.dataset, "train")
    test = load_dataset(cfg.dataset, "test")
    torch.manual_seed(cfg.seed)
    model = build_model(cfg.arch, n_classes, dataset=cfg.dataset, **cfg.arch_kwargs).to(device)
    # channels-last lets oneDNN (CPU) and cuDNN pick faster convolution kernels; values are unchanged
    model = model.to(memory_format=torch.channels_last)
    gen = torch.Generator().manual_seed(cfg.seed)
    x, y = train.x, train.y
    if cfg.train_subset:
        keep = torch.randperm(len(y), generator=gen)[: cfg.train_subset]
        x, y = x[keep], y[keep]
    n = len(y)
    steps_per_epoch = n // cfg.batch_size  # drop the last partial batch (BN needs > 1 sample)
    opt, sched = _optimizer_and_schedule(cfg, model, cfg.epochs * steps_per_epoch)
    history = {"train_loss": [], "train_acc": [], "test_acc": [], "seconds": []}
    bar = progress_bar(total=cfg.epochs * steps_per_epoch, desc=f"{cfg.arch} on {cfg.dataset}", disable=not progress)
    for _ in range(cfg.epochs):
        t0 = time.perf_counter()
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device)
        for s in range(steps_per_epoch):
            idx = perm[s * cfg.batch_size:(s + 1) * cfg.batch_size]
            xb = augment_batch(x[idx], gen) if cfg.augment else x[idx]
            xb, yb = xb.to(device, memory_format=torch.channels_last), y[idx].to(device)
            out = model(xb)
            loss = F.cross_entropy(out, yb, label_smoothing=cfg.label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            # accumulate on device: no host sync per step
            loss_sum += loss.detach() * len(yb)
            correct += (out.argmax(1) == yb).sum()
            bar.update(1)
        seen = steps_per_epoch * cfg.batch_size
        history["train_loss"].append(loss_sum.item() / seen)
        history["train_acc"].append(correct.item() / seen)
        history["test_acc"].append(accuracy(model, test))
        history["seconds"].append(time.perf_counter() - t0)
        bar.set_postfix(test_acc=f"{history['test_acc'][-1]:.3f}")
    bar.close()
    model = model.to(memory_format=torch.contiguous_format).eval()
    result = TrainedModel(model, cfg, history, history["test_acc"][-1], str(path))
    atomic_save({"state_dict": model.state_dict(), "history": history, "test_accuracy": result.test_accuracy,
                 "config": dataclasses.asdict(cfg)}, path)
    return result


def train_with_snapshots(cfg: TrainConfig, snapshot_batches: list[int], snapshot_epochs: list[int],
                         progress: bool = True) -> dict:
    """Train like :func:`train_classifier` (constant learning rate, no augmentation
    needed) and keep copies of the weights after the given numbers of batches and
    epochs (Vrabel et al. App. D.1). Cached by the config and the snapshot lists.

    Returns {"batches": {k: state_dict}, "epochs": {e: state_dict}, "test_acc": {e: float}}.
    """
    from .caching import cached

    cfg.validate()

    def compute():
        train = load_dataset(cfg.dataset, "train")
        test = load_dataset(cfg.dataset, "test")
        torch.manual_seed(cfg.seed)
        model = build_model(cfg.arch, train.num_classes, dataset=cfg.dataset, **cfg.arch_kwargs)
        gen = torch.Generator().manual_seed(cfg.seed)
        x, y = train.x, train.y
        if cfg.train_subset:
            keep = torch.randperm(len(y), generator=gen)[: cfg.train_subset]
            x, y = x[keep], y[keep]
        steps_per_epoch = len(y) // cfg.batch_size
        opt, sched = _optimizer_and_schedule(cfg, model, cfg.epochs * steps_per_epoch)
        out = {"batches": {}, "epochs": {}, "test_acc": {}}
        step = 0
        bar = progress_bar(total=cfg.epochs * steps_per_epoch, desc="training with snapshots", disable=not progress)
        for ep in range(1, cfg.epochs + 1):
            model.train()
            perm = torch.randperm(len(y), generator=gen)
            for s in range(steps_per_epoch):
                idx = perm[s * cfg.batch_size:(s + 1) * cfg.batch_size]
                xb = augment_batch(x[idx], gen) if cfg.augment else x[idx]
                loss = F.cross_entropy(model(xb), y[idx], label_smoothing=cfg.label_smoothing)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                sched.step()
                step += 1
                bar.update(1)
                if step in snapshot_batches:
                    out["batches"][step] = {k: v.clone() for k, v in model.state_dict().items()}
            if ep in snapshot_epochs:
                out["epochs"][ep] = {k: v.clone() for k, v in model.state_dict().items()}
                out["test_acc"][ep] = accuracy(model, test)
        bar.close()
        return out

    params = {"cfg": dataclasses.asdict(cfg), "batches": sorted(snapshot_batches), "epochs": sorted(snapshot_epochs)}
    return cached("training-snapshots", params, compute)
