"""The optimiser of a config: parameter groups (BatchNorm scales and biases apart),
the learning-rate schedules, and :class:`Lookahead` (an average of the weights copied
back into the network).
"""

from __future__ import annotations

import torch
from torch import nn

from .config import TrainConfig


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
