"""The five untargeted attacks of the detection benchmark of Harder et al. (2021), by name.

They work in pixel space with bounds (0, 1), as foolbox 3 does for the benchmark
(``PyTorchModel(model, bounds=(0, 1), preprocessing=...)``), with foolbox's defaults:
FGSM (ε = 0.03), BIM (10 steps of 0.2 ε), PGD (``LinfPGD``: 40 steps of ε/30 from a
uniform random start — foolbox 3.0–3.3.4 all use 40) (:mod:`.linf_sign`), L2 DeepFool
(50 steps, 10 candidate classes, overshoot 0.02; :mod:`.deepfool`) and L2
Carlini–Wagner (binary search over the constant c from 1e-3, 9 search steps, Adam steps
of 0.01, abort-early; :mod:`.carlini_wagner`). :class:`UntargetedConfig` holds these
settings and :func:`untargeted_attack` runs one attack in batches.

Everything is batched (examples that are done drop out of the batch), runs on the
model's device and returns CPU tensors.

Example::

    cfg = UntargetedConfig(cw_steps=100)
    res = untargeted_attack(model, x, y, "cw", cfg)      # AttackResult
    res.x[res.success]                                   # the adversarials
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch
from torch import nn

from ..models import fold_batchnorm, model_device
from ..progress import progress
from .carlini_wagner import carlini_wagner_l2
from .deepfool import deepfool
from .linf_sign import linf_sign_attack

UNTARGETED = ("fgsm", "bim", "pgd", "deepfool", "cw")


@dataclass(frozen=True)
class UntargetedConfig:
    """The benchmark's attacks with foolbox 3's defaults (``attack.py`` of Harder et al.
    sets only ε = 0.03 and C&W's 1,000 steps)."""

    eps: float = 0.03  # L-inf budget of FGSM, BIM, PGD
    bim_steps: int = 10
    bim_rel_stepsize: float = 0.2
    pgd_steps: int = 40  # foolbox 3 LinfPGD default (3.0 to 3.3.4)
    pgd_rel_stepsize: float = 0.01 / 0.3
    deepfool_steps: int = 50
    deepfool_overshoot: float = 0.02
    deepfool_candidates: int = 10
    cw_steps: int = 1000  # the benchmark's L2CarliniWagnerAttack(steps=1000)
    cw_binary_search_steps: int = 9
    cw_stepsize: float = 0.01
    cw_confidence: float = 0.0
    cw_initial_const: float = 1e-3
    cw_abort_early: bool = True
    batch_size: int = 500
    seed: int = 0  # PGD's random start

    def __post_init__(self) -> None:
        if not 0 < self.eps <= 1:
            raise ValueError(f"eps must be in (0, 1], got {self.eps}")
        for name in (
            "bim_steps",
            "pgd_steps",
            "deepfool_steps",
            "cw_steps",
            "cw_binary_search_steps",
            "batch_size",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.deepfool_candidates < 2:
            raise ValueError("deepfool_candidates must be at least 2")
        if self.cw_initial_const <= 0 or self.cw_stepsize <= 0:
            raise ValueError("cw_initial_const and cw_stepsize must be positive")


@dataclass
class AttackResult:
    """Adversarials ``x`` (n, C, H, W), ``success`` (n,) (the prediction differs from the
    label), their ``linf`` and ``l2`` distances (n,) to the clean image, the wall time."""

    x: torch.Tensor
    success: torch.Tensor
    linf: torch.Tensor
    l2: torch.Tensor
    seconds: float

    @property
    def success_rate(self) -> float:
        return float(self.success.float().mean()) if len(self.success) else float("nan")


def untargeted_attack(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, name: str, cfg: UntargetedConfig
) -> AttackResult:
    """Attack correctly classified images x (n, C, H, W) with labels y (n,) with ``name``
    in :data:`UNTARGETED`, in batches of ``cfg.batch_size`` on the model's device."""
    if name not in UNTARGETED:
        raise ValueError(f"unknown attack {name!r}; choose from {UNTARGETED}")
    net = fold_batchnorm(model)
    device = model_device(net)
    gen = torch.Generator().manual_seed(cfg.seed)
    t0 = time.perf_counter()
    parts = []
    for s in progress(range(0, len(x), cfg.batch_size), desc=name):
        xb = x[s : s + cfg.batch_size].to(device)
        yb = y[s : s + cfg.batch_size].to(device)
        if name == "fgsm":
            adv = linf_sign_attack(net, xb, yb, cfg.eps, cfg.eps, 1)
        elif name == "bim":
            step = cfg.eps * cfg.bim_rel_stepsize
            adv = linf_sign_attack(net, xb, yb, cfg.eps, step, cfg.bim_steps)
        elif name == "pgd":
            step = cfg.eps * cfg.pgd_rel_stepsize
            adv = linf_sign_attack(net, xb, yb, cfg.eps, step, cfg.pgd_steps, True, gen)
        elif name == "deepfool":
            adv = deepfool(
                net, xb, yb, cfg.deepfool_steps, cfg.deepfool_overshoot, cfg.deepfool_candidates
            )
        else:
            adv, _, _ = carlini_wagner_l2(
                net,
                xb,
                yb,
                cfg.cw_steps,
                cfg.cw_binary_search_steps,
                cfg.cw_stepsize,
                cfg.cw_confidence,
                cfg.cw_initial_const,
                cfg.cw_abort_early,
            )
        parts.append(adv.cpu())
    adv = torch.cat(parts)
    with torch.no_grad():
        pred = torch.cat(
            [net(adv[s : s + 1000].to(device)).argmax(1).cpu() for s in range(0, len(adv), 1000)]
        )
    d = (adv - x).flatten(1)
    return AttackResult(adv, pred != y, d.abs().amax(1), d.norm(dim=1), time.perf_counter() - t0)
