"""What the Performance page (and ``make bench``) measures: every benchmark row.

:func:`run` times, on the shared CIFAR-10 ResNet and a set of same-class test pairs:
the batched barrier bypass against the per-pair loop (:func:`bench_bypass`), an NEB
iteration against the forward and backward pass of its batch (:func:`bench_neb`), the
straight loss curves against raw inference (:func:`bench_loss_curves`), a training step
of the ResNet and of the CIFAR-10 VGG against a matmul (:func:`bench_training`), the
book's notebook times (:func:`book_rows`) and the detectors' feature costs on the VGG
(:func:`bench_detectors`). No sentences or tables here (``report``, ``figures``).
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from connectivity import detection, fastconv
from connectivity.bypass import BypassConfig, ce_loss, optimise_barriers, tv1
from connectivity.data import image_subset, load_dataset
from connectivity.input_paths import dataset_logits, evaluate_linear, linear_path, same_class_pairs
from connectivity.locations import build_dir
from connectivity.models import fold_batchnorm, model_device, to_channels_last
from connectivity.neb import NEBConfig, classifier_energy, run_neb
from connectivity.shared_classifiers import shared_classifier
from connectivity.timings import load_timings
from connectivity.training import NUM_CLASSES, autocast, effective_precision

from .settings import PerformanceSettings
from .timing import Row, interleaved_median_times, machine, matmul_flops, median_time


@dataclass
class PerformanceStudy:
    """One run of every benchmark: its settings, the machine (:func:`.timing.machine`),
    when it ended, whether GPU rows were measured, and the rows in the page's order."""

    settings: PerformanceSettings
    machine: dict
    when: str
    gpu_rows: str
    rows: list[Row]

    def as_dict(self) -> dict:
        """What ``make bench`` writes to ``_build/bench.json``: ``{"machine", "when",
        "profile", "gpu_rows", "rows": [Row.as_dict(), ...]}``."""
        return {
            "machine": self.machine,
            "when": self.when,
            "profile": self.settings.profile,
            "gpu_rows": self.gpu_rows,
            "rows": [r.as_dict() for r in self.rows],
        }


def run(settings: PerformanceSettings | None = None) -> PerformanceStudy:
    """Every benchmark row, in the page's order, with the machine it ran on (default
    settings: ``make bench``'s, the ``ci`` profile)."""
    s = settings or PerformanceSettings.resolve("ci")
    torch.manual_seed(0)
    trained = shared_classifier(s.profile, "cifar10_resnet", s.classifier or None)
    model = trained.model.eval()
    device = next(model.parameters()).device
    test = load_dataset("cifar10", "test")
    candidates = image_subset(test, s.pair_candidates)
    # a whole split's logits are cached per model (the Gu chapter has computed these)
    logits = dataset_logits(model, trained.path, test) if candidates is test else None
    idx, target, _ = same_class_pairs(model, candidates, s.pairs, seed=0, logits=logits)
    a, c = candidates.x[idx[:, 0]].to(device), candidates.x[idx[:, 1]].to(device)
    target = target.to(device)
    rows = [
        bench_bypass(model, a, c, target, s.iterations, s.repeats),
        bench_neb(model, a, c, target, s.n_pivots, s.neb_steps, s.repeats),
        bench_loss_curves(model, a, c, target, s.points, s.repeats),
    ]
    vgg = shared_classifier(s.profile, "cifar10_vgg", s.vgg_classifier or None)
    rows += [
        bench_training(t, tuple(test.x.shape[1:]), s.train_batch, s.repeats) for t in (trained, vgg)
    ]
    rows += book_rows(build_dir() / "timings.json")
    rows += bench_detectors(
        vgg, load_dataset("cifar10", "train"), test, s.detector_images, s.detector_pool
    )
    return PerformanceStudy(
        s,
        machine(),
        time.strftime("%Y-%m-%d %H:%M"),
        "not measured: no GPU in this run" if not torch.cuda.is_available() else "see rows",
        rows,
    )


# ---------------------------------------------------------------- 1. bypass


def _per_pair_bypass(model, a, c, b, target, cfg, iterations):
    """The study's way: one Adam optimisation per pair, a Python float read every step."""
    out = []
    for p in range(len(b)):
        u = (c[p] - a[p]).flatten()
        u = u / u.norm()
        x = b[p : p + 1].clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=cfg.lr)
        losses = []
        for _ in range(iterations):
            ce = F.cross_entropy(model(x), target[p : p + 1])
            d = x - b[p : p + 1]
            total = ce + cfg.lambda_mse * d.pow(2).mean() + cfg.lambda_hf * tv1(d).sum()
            opt.zero_grad()
            total.backward()
            with torch.no_grad():
                g = x.grad.flatten()
                x.grad.copy_((g - (g @ u) * u).view_as(x))
            opt.step()
            losses.append(ce.item())
        out.append(x.detach())
    return torch.cat(out)


def bench_bypass(model, a, c, target, iterations: int, repeats: int) -> Row:
    cfg = BypassConfig(iterations=iterations)
    b = 0.5 * (a + c)
    model.eval()
    folded = fold_batchnorm(model)  # what connect_modes optimises through
    fast = median_time(
        lambda: optimise_barriers(ce_loss(folded, target), a, c, b, cfg, desc="bench bypass"),
        repeats,
    )
    slow = median_time(
        lambda: _per_pair_bypass(model, a, c, b, target, cfg, iterations), max(1, repeats // 2)
    )
    pairs_it = len(a) * iterations
    return Row(
        "barrier bypass: batched vs per-pair loop",
        slow / fast,
        10.0,
        "x",
        True,
        f"{len(a)} pairs x {iterations} iterations: batched {pairs_it / fast:.0f} pair-it/s, "
        f"per-pair {pairs_it / slow:.0f} pair-it/s",
        {"batched_s": fast, "per_pair_s": slow},
    )


# ---------------------------------------------------------------- 2. NEB


def bench_neb(model, a, c, target, n_pivots: int, steps: int, repeats: int) -> Row:
    energy = classifier_energy(model, target)

    # a difference of two timings: single runs vary by ~10 % here, a median of three by ~3 %
    neb_repeats = max(3, repeats)

    def relax(n_steps: int) -> float:
        cfg = NEBConfig(n_pivots=n_pivots, steps=n_steps)
        return median_time(lambda: run_neb(energy, a, c, cfg, desc="bench NEB"), neb_repeats)

    # one iteration's cost is the difference of two run lengths: a run also pays once for
    # the endpoints' and the final band's energies, which a few timed steps would smear
    # over each (the chapters run 100s of iterations)
    t_short, t_long = relax(steps), relax(2 * steps)
    t_neb = (t_long - t_short) / steps
    once = t_short - steps * t_neb
    batch = (
        (0.5 * (a + c))
        .unsqueeze(1)
        .expand(-1, n_pivots, *a.shape[1:])
        .reshape(-1, *a.shape[1:])
        .contiguous()
    )
    tgt = target.repeat_interleave(n_pivots)

    def fwd_bwd():
        x = batch.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), tgt, reduction="none").sum(), x)
        return g

    t_raw = median_time(fwd_bwd, repeats * 3)
    return Row(
        "NEB iteration vs forward+backward of its batch",
        100 * (t_neb / t_raw - 1),
        15.0,
        "% overhead",
        False,
        f"{len(a)} pairs x {n_pivots} pivots: {1000 * t_neb:.0f} ms per iteration "
        f"(runs of {steps} and {2 * steps} iterations; {1000 * once:.0f} ms once per run), "
        f"{1000 * t_raw:.0f} ms forward+backward",
        {"neb_iteration_s": t_neb, "neb_once_per_run_s": once, "forward_backward_s": t_raw},
    )


# ---------------------------------------------------------------- 3. loss curves


def bench_loss_curves(
    model, a, c, target, points: int, repeats: int, batch_size: int = 2048
) -> Row:
    folded = fold_batchnorm(model)  # as the chapters evaluate paths

    def curves():
        with torch.no_grad():
            return evaluate_linear(folded, a, c, points, target, batch_size)["loss"]

    flat = linear_path(a, c, points).flatten(0, 1).contiguous()

    def raw():
        with torch.no_grad():
            return [folded(flat[i : i + batch_size]) for i in range(0, len(flat), batch_size)]

    # a ratio of two ~10 % effects: single timings moved it by 3-25 % between builds
    t_curves, t_raw = interleaved_median_times([curves, raw], max(3, repeats))
    return Row(
        "loss curves vs raw inference",
        100 * (t_curves / t_raw - 1),
        10.0,
        "% overhead",
        False,
        f"{len(a)} paths x {points} points: {t_curves:.2f} s, "
        f"raw inference of {len(flat)} images {t_raw:.2f} s",
        {"curves_s": t_curves, "raw_s": t_raw},
    )


# ---------------------------------------------------------------- 4. training


def bench_training(trained, input_shape: tuple[int, ...], batch_size: int, repeats: int) -> Row:
    """One training step of a copy of ``trained``'s model as :func:`training.fit` runs
    it (channels-last, the config's precision, the fast small-map convolutions), its
    FLOP/s against a matmul of the same precision."""
    cfg = trained.config
    model = copy.deepcopy(trained.model).train()
    device = model_device(model)
    precision = effective_precision(cfg.precision, device)
    n_classes = NUM_CLASSES[cfg.dataset]
    x = torch.rand(batch_size, *input_shape, device=device).contiguous(
        memory_format=torch.channels_last
    )
    y = torch.randint(0, n_classes, (batch_size,), device=device)
    to_channels_last(model)  # as fit: small strided 1x1 convs stay standard (oneDNN#6035)
    if precision == "bf16" and device.type == "cpu":
        fastconv.install(model)
    opt = torch.optim.SGD(
        model.parameters(), lr=0.0, momentum=0.9
    )  # lr 0: the cost, not the change

    def step():
        with autocast(device, precision):
            out = model(x)
        loss = F.cross_entropy(out.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:
        step()
    flops = counter.get_total_flops()
    t = median_time(step, repeats)
    peak = matmul_flops(precision=precision)
    achieved = flops / t
    name = (
        f"training step ({cfg.dataset} {cfg.arch}, {precision}): "
        f"achieved / {precision} matmul FLOP/s"
    )
    return Row(
        name,
        100 * achieved / peak,
        60.0,
        "% of peak",
        True,
        f"batch {batch_size}: {achieved / 1e9:.0f} GFLOP/s achieved, 2048² {precision} matmul "
        f"{peak / 1e9:.0f} GFLOP/s",
        {"achieved_flops": achieved, "matmul_flops": peak, "step_s": t},
    )


# ---------------------------------------------------------------- 5. the book


def book_rows(timings_path) -> list[Row]:
    """From the runner's timing table (``_build/timings.json``): the notebooks of the last
    full run (the one in progress when this runs inside the book), never ``--only``
    reruns, which would mix warm and cold times."""
    entries = [r for r in load_timings(timings_path)["full"]["rows"] if r.get("status") == "ok"]
    if not entries:
        return []
    total = sum(r["seconds"] for r in entries)
    slowest = max(entries, key=lambda r: r["seconds"])
    return [
        Row(
            "book: every notebook",
            total / 60,
            60.0,
            "min",
            False,
            f"{len(entries)} notebooks, profile {entries[0]['profile']}",
        ),
        Row(
            "book: slowest notebook",
            slowest["seconds"] / 60,
            20.0,
            "min",
            False,
            slowest["notebook"],
        ),
    ]


# ---------------------------------------------------------------- 6. detectors


def bench_detectors(trained, train, test, n: int, pool_size: int = 2000) -> list[Row]:
    model = trained.model
    x = image_subset(test, n).x  # every class (the CIFAR test sets are sorted by class)
    adv = (x + 0.03 * torch.sign(torch.randn_like(x))).clamp(
        0, 1
    )  # stand-in adversarials: cost only
    pool = image_subset(train, pool_size)
    refs = detection.reference_images(model, pool.x, pool.y, train.num_classes)
    g = detection.fit_class_gaussians(model, pool.x, pool.y, train.num_classes)
    costs = {
        "mode_connectivity": median_time(
            lambda: detection.path_loss_features(model, x, refs, 16), 1
        )
        / n,
        "lid": median_time(lambda: detection.lid_features(model, x, adv), 1) / (2 * n),
        "mahalanobis": median_time(lambda: detection.mahalanobis_features(model, x, g, 5e-5), 1)
        / n,
        "inputmfs": median_time(lambda: detection.input_spectrum_features(x), 1) / n,
        "layermfs": median_time(lambda: detection.layer_spectrum_features(model, x, "MFS"), 1) / n,
    }
    return [
        Row(
            f"detector cost: mode connectivity / {k}",
            costs["mode_connectivity"] / v,
            None,
            "x",
            True,
            f"mode connectivity {1000 * costs['mode_connectivity']:.2f} ms per image, "
            f"{k} {1000 * v:.3f} ms per image (no target: reported)",
            {"ms_per_image": {k2: 1000 * v2 for k2, v2 in costs.items()}},
        )
        for k, v in costs.items()
        if k != "mode_connectivity"
    ]
