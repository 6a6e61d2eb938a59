"""Adversarial examples.

:func:`targeted_attack` is the attack of Vrabel et al. §4.2: from a source image K of
another class, Adam minimises CE(target) + λ_mse · mean((x - K)²) + λ_hf · TV₁(x - K),
and each example stops as soon as its target loss is below a given value (the loss
of the real mode it will be paired with). Batched: every example is optimised in one
tensor, independently.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .bypass import tv1
from .models import fold_batchnorm
from .progress import progress


@dataclass(frozen=True)
class TargetedAttackConfig:
    lr: float = 0.005
    iterations: int = 512
    lambda_mse: float = 0.1
    lambda_hf: float = 1e-8
    clamp: bool = True  # keep pixels in [0, 1]


def targeted_attack(model: nn.Module, source: torch.Tensor, target: torch.Tensor, stop_below: torch.Tensor,
                    cfg: TargetedAttackConfig) -> dict:
    """Targeted adversarials from source images (n, C, H, W) towards classes ``target`` (n,).

    An example is frozen at the first iterate whose target cross-entropy is below
    ``stop_below`` (n,). Returns ``x`` (n, C, H, W), ``loss`` (n,) target CE of x,
    ``success`` (n,) bool (predicted class == target) and ``iterations`` (n,).
    """
    model = fold_batchnorm(model)  # frozen copy: no weight gradients, no batch-norm passes
    x = source.clone().requires_grad_(True)
    opt = torch.optim.Adam([x], lr=cfg.lr)
    n = len(source)
    out = source.clone()
    done = torch.zeros(n, dtype=torch.bool)
    used = torch.full((n,), cfg.iterations)
    for i in progress(range(cfg.iterations), desc="targeted attack"):
        ce = F.cross_entropy(model(x), target, reduction="none")
        with torch.no_grad():  # the iterate that was just evaluated may already be good enough
            newly = ~done & (ce < stop_below)
            out[newly] = x[newly]
            used[newly] = i
            done |= newly
        if bool(done.all()):
            break
        d = x - source
        total = ce + cfg.lambda_mse * d.flatten(1).pow(2).mean(1) + cfg.lambda_hf * tv1(d)
        opt.zero_grad(set_to_none=True)
        total.sum().backward()
        opt.step()
        with torch.no_grad():
            if cfg.clamp:
                x.clamp_(0, 1)
    with torch.no_grad():
        out[~done] = x[~done]
        logits = model(out)
        loss = F.cross_entropy(logits, target, reduction="none")
    return {"x": out.detach(), "loss": loss, "success": logits.argmax(1) == target, "iterations": used}


# ---------------------------------------------------------------- untargeted attacks
# The five attacks of Harder et al. 2021's detection benchmark. FGSM, BIM, PGD and
# C&W come from torchattacks (maintained, pure PyTorch, inputs in [0, 1]); DeepFool is
# written here, batched and with foolbox 3's candidate rule (the 10 most likely classes
# of the clean image), because torchattacks' DeepFool runs one backward pass per class
# per image (100 per step on CIFAR-100) and applies the overshoot to each step instead
# of to the accumulated perturbation as the DeepFool paper does.

UNTARGETED = ("fgsm", "bim", "pgd", "deepfool", "cw")


@dataclass(frozen=True)
class UntargetedConfig:
    eps: float = 0.03  # L-inf budget of FGSM, BIM, PGD
    bim_steps: int = 10
    bim_rel_stepsize: float = 0.2  # foolbox 3 LinfBasicIterativeAttack default
    pgd_steps: int = 50
    pgd_rel_stepsize: float = 0.01 / 0.3  # foolbox 3 LinfPGD default
    deepfool_steps: int = 50
    deepfool_overshoot: float = 0.02
    deepfool_candidates: int = 10
    cw_steps: int = 1000
    cw_c: float = 1.0
    cw_lr: float = 0.01
    cw_kappa: float = 0.0

    def validate(self) -> None:
        if not 0 < self.eps <= 1:
            raise ValueError(f"eps must be in (0, 1], got {self.eps}")
        for name in ("bim_steps", "pgd_steps", "deepfool_steps", "cw_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.deepfool_candidates < 2:
            raise ValueError("deepfool_candidates must be at least 2")


def deepfool(model: nn.Module, x: torch.Tensor, y: torch.Tensor, steps: int = 50, overshoot: float = 0.02,
             candidates: int = 10) -> torch.Tensor:
    """Untargeted L2 DeepFool (Moosavi-Dezfooli et al. 2016) on a batch x (n, C, H, W)
    with labels y (n,) -> adversarials (n, C, H, W) in [0, 1].

    Each step linearises the logit differences to the ``candidates - 1`` runner-up
    classes of the clean image, steps to the nearest linearised boundary, and
    accumulates; the image is x + (1 + overshoot) * total perturbation. An image stops
    as soon as it is misclassified.
    """
    model.eval()
    with torch.no_grad():
        logits = model(x)
    cand = logits.argsort(1, descending=True)[:, :min(candidates, logits.shape[1])]
    # the label first, then the most likely other classes
    others = torch.stack([row[row != lab][: cand.shape[1] - 1] for row, lab in zip(cand, y)])
    classes = torch.cat([y[:, None], others], 1)
    r_tot = torch.zeros_like(x)
    adv = x.clone()
    active = logits.argmax(1) == y
    for _ in range(steps):
        if not bool(active.any()):
            break
        ia = torch.nonzero(active).flatten()
        xa = adv[ia].clone().requires_grad_(True)
        out = model(xa)
        cl = classes[ia]
        f = out.gather(1, cl)  # (a, candidates)
        diffs = f[:, 1:] - f[:, :1]  # (a, candidates - 1), negative while correctly classified
        grads = []
        for k in range(diffs.shape[1]):
            (g,) = torch.autograd.grad(diffs[:, k].sum(), xa, retain_graph=k + 1 < diffs.shape[1])
            grads.append(g)
        grads = torch.stack(grads, 1)  # (a, candidates - 1, C, H, W)
        with torch.no_grad():
            norms = grads.flatten(2).norm(dim=2) + 1e-8
            dist = diffs.abs() / norms
            best = dist.argmin(1)
            ar = torch.arange(len(ia))
            step = ((diffs[ar, best].abs() + 1e-4) / norms[ar, best] ** 2).view(-1, 1, 1, 1) * grads[ar, best]
            r_tot[ia] += step
            adv[ia] = (x[ia] + (1 + overshoot) * r_tot[ia]).clamp(0, 1)
            active[ia] = model(adv[ia]).argmax(1) == y[ia]
    return adv.detach()


def untargeted_attack(model: nn.Module, x: torch.Tensor, y: torch.Tensor, name: str, cfg: UntargetedConfig,
                      batch_size: int = 250, seed: int = 0) -> dict:
    """Attack correctly classified images x (n, C, H, W), labels y (n,), with ``name``
    in :data:`UNTARGETED`. Returns ``x`` (n, C, H, W) adversarials, ``success`` (n,)
    bool (prediction differs from y), ``linf`` and ``l2`` (n,) perturbation sizes."""
    import torchattacks  # imported here: only this function needs it

    if name not in UNTARGETED:
        raise ValueError(f"unknown attack {name!r}; choose from {UNTARGETED}")
    cfg.validate()
    model = fold_batchnorm(model)
    torch.manual_seed(seed)  # PGD's random start
    if name == "fgsm":
        atk = torchattacks.FGSM(model, eps=cfg.eps)
    elif name == "bim":
        atk = torchattacks.BIM(model, eps=cfg.eps, alpha=cfg.eps * cfg.bim_rel_stepsize, steps=cfg.bim_steps)
    elif name == "pgd":
        atk = torchattacks.PGD(model, eps=cfg.eps, alpha=cfg.eps * cfg.pgd_rel_stepsize, steps=cfg.pgd_steps,
                               random_start=True)
    elif name == "cw":
        atk = torchattacks.CW(model, c=cfg.cw_c, kappa=cfg.cw_kappa, steps=cfg.cw_steps, lr=cfg.cw_lr)
    else:
        atk = None
    parts = []
    for s in progress(range(0, len(x), batch_size), desc=name):
        xb, yb = x[s:s + batch_size], y[s:s + batch_size]
        if atk is None:
            parts.append(deepfool(model, xb, yb, cfg.deepfool_steps, cfg.deepfool_overshoot, cfg.deepfool_candidates))
        else:
            parts.append(atk(xb, yb).detach())
    adv = torch.cat(parts)
    with torch.no_grad():
        pred = torch.cat([model(adv[s:s + 1000]).argmax(1) for s in range(0, len(adv), 1000)])
    d = (adv - x).flatten(1)
    return {"x": adv, "success": pred != y, "linf": d.abs().amax(1), "l2": d.norm(dim=1)}
