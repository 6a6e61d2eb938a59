"""Adversarial examples: the targeted attack of Vrabel et al. (2024) §4.2 and the five
untargeted attacks of the detection benchmark of Harder et al. (2021).

Every model of this book takes pixels in [0, 1] and normalises them in its first stage
(:class:`connectivity.models.Normalize`). The attacks work where their originals did:

* :func:`targeted_attack` (Vrabel et al. §4.2) optimises in the model's *normalised*
  coordinates ``z = (x - mean) / std``, as the official code does (it applies Adam with
  lr 0.005, λ_mse 0.1 and λ_hf 1e-8 to ImageNet-normalised tensors), without pixel bounds;
* the untargeted attacks work in pixel space with bounds (0, 1), as foolbox 3 does for the
  benchmark (``PyTorchModel(model, bounds=(0, 1), preprocessing=...)``), with foolbox's
  defaults: FGSM (ε = 0.03), BIM (10 steps of 0.2 ε), PGD (``LinfPGD``: 40 steps of
  ε/30 from a uniform random start — foolbox 3.0–3.3.4 all use 40), L2 DeepFool (50 steps,
  10 candidate classes, overshoot 0.02) and L2 Carlini–Wagner (binary search over the
  constant c from 1e-3, 9 search steps, Adam steps of 0.01, abort-early).

Everything is batched (examples that are done drop out of the batch), runs on the
model's device and returns CPU tensors.

Example::

    cfg = UntargetedConfig(cw_steps=100)
    res = untargeted_attack(model, x, y, "cw", cfg)      # AttackResult
    res.x[res.success]                                   # the adversarials
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..bypass import tv1
from ..models import fold_batchnorm, model_device, split_normalisation
from ..progress import progress

# ---------------------------------------------------------------- helpers


class _Adam:
    """Adam on one tensor whose rows (examples) may drop out: ``step(rows, grad)``
    updates only ``rows``. Same update as ``torch.optim.Adam`` and foolbox's
    ``AdamOptimizer`` (bias-corrected, ε added to the root of the second moment); the
    step count is shared, so rows must start together."""

    def __init__(self, param: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
        self.m = torch.zeros_like(param)
        self.v = torch.zeros_like(param)
        self.t = 0

    def step(self, rows: torch.Tensor, grad: torch.Tensor) -> None:
        self.t += 1
        b1, b2 = self.betas
        m = self.m[rows].mul_(b1).add_(grad, alpha=1 - b1)
        v = self.v[rows].mul_(b2).addcmul_(grad, grad, value=1 - b2)
        self.m[rows], self.v[rows] = m, v
        m_hat = m / (1 - b1**self.t)
        v_hat = v / (1 - b2**self.t)
        self.param[rows] -= self.lr * m_hat / (v_hat.sqrt() + self.eps)


# ---------------------------------------------------------------- targeted (§4.2)


@dataclass(frozen=True)
class TargetedAttackConfig:
    """The targeted attack of Vrabel et al. §4.2 (defaults: the statistics experiment,
    ``compute_adversarial_barriers`` of the official code)."""

    lr: float = 0.005
    iterations: int = 512
    lambda_mse: float = 0.1
    lambda_hf: float = 1e-8
    min_iterations: int = 33  # the official loop may stop only when i > 32
    clamp_pixels: bool = False  # the official code leaves the pixel range unbounded

    def __post_init__(self) -> None:
        if self.lr <= 0 or self.iterations < 1 or self.min_iterations < 0:
            raise ValueError(f"bad targeted attack settings {self}")
        if self.lambda_mse < 0 or self.lambda_hf < 0:
            raise ValueError("penalty weights must be >= 0")


@dataclass
class TargetedAttackResult:
    """Adversarials ``x`` (n, C, H, W) in pixels, their target cross-entropy ``loss``
    (n,), ``success`` (n,) (classified as the target), ``stopped`` (n,) (reached
    ``stop_below``) and ``iterations`` (n,) used."""

    x: torch.Tensor
    loss: torch.Tensor
    success: torch.Tensor
    stopped: torch.Tensor
    iterations: torch.Tensor


def targeted_attack(
    model: nn.Module,
    source: torch.Tensor,
    target: torch.Tensor,
    stop_below: torch.Tensor | None,
    cfg: TargetedAttackConfig,
) -> TargetedAttackResult:
    """Targeted adversarials from source images K (n, C, H, W) in pixels towards classes
    ``target`` (n,) (Vrabel et al. §4.2): Adam in normalised coordinates z on

        CE(target, f(z)) + λ_mse · mean((z - z_K)²) + λ_hf · TV₁(z - z_K),

    each example frozen at the first evaluated iterate (from ``cfg.min_iterations`` on)
    whose cross-entropy is below ``stop_below`` (n,) — the loss of the real mode it is
    paired with — else after ``cfg.iterations``.

    >>> res = targeted_attack(model, k, torch.tensor([3]), torch.tensor([0.05]),
    ...                       TargetedAttackConfig())          # doctest: +SKIP
    """
    net = fold_batchnorm(model)
    device = model_device(net)
    mean, std, tail = split_normalisation(net)
    n = len(source)
    target = target.to(device)
    limit = (
        torch.full((n,), -math.inf, device=device) if stop_below is None else stop_below.to(device)
    )
    z0 = (source.to(device) - mean) / std
    z = z0.clone()
    best = z0.clone()
    used = torch.full((n,), cfg.iterations, dtype=torch.long)
    stopped = torch.zeros(n, dtype=torch.bool)
    adam = _Adam(z, cfg.lr)
    lo, hi = (0 - mean) / std, (1 - mean) / std
    active = torch.arange(n, device=device)
    for i in progress(range(cfg.iterations), desc="targeted attack"):
        zi = z[active].clone().requires_grad_(True)
        ce = F.cross_entropy(tail(zi), target[active], reduction="none")
        with torch.no_grad():
            done = (ce < limit[active]) if i >= cfg.min_iterations else torch.zeros_like(ce) > 0
        if bool(done.any()):
            rows = active[done]
            best[rows] = zi.detach()[done]
            used[rows.cpu()] = i
            stopped[rows.cpu()] = True
        d = zi - z0[active]
        total = ce + cfg.lambda_mse * d.flatten(1).pow(2).mean(1) + cfg.lambda_hf * tv1(d)
        (grad,) = torch.autograd.grad(total.sum(), zi)
        keep = ~done
        active, grad = active[keep], grad[keep]
        if len(active) == 0:
            break
        adam.step(active, grad)
        if cfg.clamp_pixels:
            z[active] = torch.maximum(torch.minimum(z[active], hi), lo)
    with torch.no_grad():
        best[active] = z[active]
        logits = tail(best)
        loss = F.cross_entropy(logits, target, reduction="none")
        x = mean + std * best
    return TargetedAttackResult(
        x.cpu(), loss.cpu(), (logits.argmax(1) == target).cpu(), stopped, used
    )


# ---------------------------------------------------------------- untargeted (benchmark)

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


def linf_sign_attack(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    eps: float,
    stepsize: float,
    steps: int,
    random_start: bool = False,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """FGSM (one step of ε), BIM and PGD (foolbox's ``LinfBaseGradientDescent``): steps of
    ``stepsize · sign(∇ CE)``, each projected onto the ε-ball and the pixel range [0, 1];
    PGD starts from a uniform point of the ball. x (n, C, H, W) -> adversarials."""
    x0 = x
    if random_start:
        noise = torch.rand(x.shape, generator=generator).to(x.device)
        x = (x0 + (2 * noise - 1) * eps).clamp(0, 1)
    else:
        x = x0.clone()
    for _ in range(steps):
        xr = x.requires_grad_(True)
        loss = F.cross_entropy(model(xr), y, reduction="sum")
        (g,) = torch.autograd.grad(loss, xr)
        with torch.no_grad():
            x = x.detach() + stepsize * g.sign()
            x = torch.minimum(torch.maximum(x, x0 - eps), x0 + eps).clamp(0, 1)
    return x.detach()


def deepfool(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 50,
    overshoot: float = 0.02,
    candidates: int = 10,
) -> torch.Tensor:
    """Untargeted L2 DeepFool (Moosavi-Dezfooli et al. 2016) as foolbox 3's
    ``L2DeepFoolAttack`` (logit differences to the ``candidates - 1`` runner-up classes of
    the clean image; step to the nearest linearised boundary, distance + 1e-4; the image is
    x + (1 + overshoot) · total perturbation, clipped to [0, 1]), batched: an image stops
    once it is misclassified. x (n, C, H, W), labels y (n,) -> adversarials."""
    with torch.no_grad():
        logits = model(x)
    order = logits.argsort(1, descending=True)[:, : min(candidates, logits.shape[1])]
    # the label first, then the most likely other classes of the clean image
    others = torch.stack([row[row != lab][: order.shape[1] - 1] for row, lab in zip(order, y)])
    classes = torch.cat([y[:, None], others], 1)
    r_tot = torch.zeros_like(x)
    adv = x.clone()
    active = logits.argmax(1) == y
    for _ in range(steps):
        if not bool(active.any()):
            break
        ia = torch.nonzero(active).flatten()
        xa = adv[ia].clone().requires_grad_(True)
        f = model(xa).gather(1, classes[ia])  # (a, candidates)
        diffs = f[:, 1:] - f[:, :1]  # negative while correctly classified
        grads = torch.stack(
            [
                torch.autograd.grad(diffs[:, k].sum(), xa, retain_graph=k + 1 < diffs.shape[1])[0]
                for k in range(diffs.shape[1])
            ],
            1,
        )  # (a, candidates - 1, C, H, W)
        with torch.no_grad():
            norms = grads.flatten(2).norm(dim=2)
            dist = diffs.abs() / (norms + 1e-8)
            best = dist.argmin(1)
            ar = torch.arange(len(ia), device=x.device)
            d = dist[ar, best] + 1e-4
            step = (d / (norms[ar, best] + 1e-8)).view(-1, *[1] * (x.dim() - 1)) * grads[ar, best]
            r_tot[ia] += step
            adv[ia] = (x[ia] + (1 + overshoot) * r_tot[ia]).clamp(0, 1)
            active[ia] = model(adv[ia]).argmax(1) == y[ia]
    return adv.detach()


def carlini_wagner_l2(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    steps: int = 1000,
    binary_search_steps: int = 9,
    stepsize: float = 0.01,
    confidence: float = 0.0,
    initial_const: float = 1e-3,
    abort_early: bool = True,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Untargeted Carlini–Wagner L2 as foolbox 3's ``L2CarliniWagnerAttack``, batched.

    In tanh space, Adam minimises c · max(0, z_y - max_{j≠y} z_j + confidence) + ‖x' - x‖²
    for ``steps`` steps (stopping an example early when its loss has not fallen by 0.01 %
    over a tenth of the steps); the constant c starts at ``initial_const`` and is
    multiplied by 10 until an adversarial is found, then bisected. Each example keeps its
    smallest-L2 adversarial. The benchmark attacks one image at a time, so foolbox's
    abort-early test (on the batch's summed loss) is per image here.

    Returns (adversarials (n, C, H, W) — the clean image where none was found, found (n,)
    bool, the last constant tried (n,)).
    """
    n = len(x)
    device = x.device
    w0 = torch.atanh((2 * x - 1) * 0.999999)
    recon = (torch.tanh(w0) + 1) / 2
    consts = torch.full((n,), float(initial_const), dtype=torch.float64, device=device)
    lower = torch.zeros(n, dtype=torch.float64, device=device)
    upper = torch.full((n,), math.inf, dtype=torch.float64, device=device)
    best = x.clone()
    best_norm = torch.full((n,), math.inf, device=device)
    check_every = math.ceil(steps / 10)
    for search in range(binary_search_steps):
        if search == binary_search_steps - 1 and binary_search_steps >= 10:
            consts = torch.clamp(upper, max=1e10)
        delta = torch.zeros_like(w0)
        adam = _Adam(delta, stepsize)
        found = torch.zeros(n, dtype=torch.bool, device=device)
        previous = torch.full((n,), math.inf, device=device)
        active = torch.arange(n, device=device)
        c = consts.float()
        for step in range(steps):
            d = delta[active].clone().requires_grad_(True)
            xa = (torch.tanh(w0[active] + d) + 1) / 2
            logits = model(xa)
            ya = y[active]
            true = logits.gather(1, ya[:, None]).squeeze(1)
            other = logits.scatter(1, ya[:, None], -math.inf).amax(1)
            margin = (true - other + confidence).clamp_min(0)
            loss = c[active] * margin + (xa - recon[active]).flatten(1).pow(2).sum(1)
            (grad,) = torch.autograd.grad(loss.sum(), d)
            with torch.no_grad():
                adam.step(active, grad)
                keep = torch.ones(len(active), dtype=torch.bool, device=device)
                if abort_early and step % check_every == 0:
                    keep = loss <= 0.9999 * previous[active]
                    previous[active] = loss
                rows = active[keep]
                is_adv = (logits.argmax(1) != ya)[keep]
                found[rows] |= is_adv
                norms = (xa - x[active]).flatten(1).norm(dim=1)[keep]
                better = is_adv & (norms < best_norm[rows])
                best[rows[better]] = xa[keep][better]
                best_norm[rows[better]] = norms[better]
                active = rows
            if len(active) == 0:
                break
        upper = torch.where(found, consts, upper)
        lower = torch.where(found, lower, consts)
        consts = torch.where(torch.isinf(upper), consts * 10, (lower + upper) / 2)
    return best.detach(), torch.isfinite(best_norm), consts.float()


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
