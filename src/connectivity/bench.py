"""Benchmarks of the book's hot paths: ``python -m connectivity.bench`` (``make bench``).

Each row is a ratio measured in one run (both sides on the same machine, minutes
apart), from the median of ``repeats`` timings, with its target and whether it holds.
The table is printed and written to ``_build/bench.json``; the book's Performance
page runs the same code.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .locations import build_dir
from .settings import Settings, param


@dataclass
class Row:
    name: str
    measured: float
    target: float | None  # None: reported, no target
    unit: str  # "x" (ratio, higher is better), "% overhead" (lower is better), "% of peak", "min"
    higher_is_better: bool
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool | None:
        """Whether the target holds (None for a row without a target)."""
        if self.target is None:
            return None
        return (
            self.measured >= self.target if self.higher_is_better else self.measured <= self.target
        )

    @property
    def gap(self) -> str:
        """How far from the target, in the row's unit ("" when it holds)."""
        if self.holds is not False:
            return ""
        if self.higher_is_better:
            return (
                f"{self.target / self.measured:.2f}x short"
                if self.measured > 0
                else "nothing measured"
            )
        return f"{self.measured - self.target:+.1f} {self.unit} over"

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "measured": self.measured,
            "target": self.target,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "holds": self.holds,
            "gap": self.gap,
            "detail": self.detail,
            **self.extra,
        }


def median_time(fn, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    return interleaved_median_times([fn], repeats, warmup)[0]


def interleaved_median_times(fns, repeats: int, warmup: int = 1) -> list[float]:
    """Median wall time of each of ``fns`` over ``repeats`` rounds, the functions taking
    turns within a round: a ratio of two such medians is not moved by a drift of the
    machine's speed between two separate series of timings."""
    for _ in range(warmup):
        for fn in fns:
            fn()
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeats):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [statistics.median(ts) for ts in times]


def machine() -> dict:
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


# ---------------------------------------------------------------- 1. bypass


def _per_pair_bypass(model, a, c, b, target, cfg, iterations):
    """The study's way: one Adam optimisation per pair, a Python float read every step."""
    from .bypass import tv1

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
    from .bypass import BypassConfig, ce_loss, optimise_barriers
    from .models import fold_batchnorm

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
    from .neb import NEBConfig, classifier_energy, run_neb

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
    from .input_paths import evaluate_linear, linear_path
    from .models import fold_batchnorm

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


def matmul_flops(n: int = 2048, repeats: int = 5, precision: str = "fp32") -> float:
    """Measured matmul FLOP/s of this machine (n x n times n x n) in ``precision``
    ("fp32" or "bf16"): the reference a training step in that precision is held to."""
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    x, y = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    return 2 * n**3 / median_time(lambda: x @ y, repeats)


def bench_training(trained, input_shape: tuple[int, ...], batch_size: int, repeats: int) -> Row:
    """One training step of a copy of ``trained``'s model as :func:`training.fit` runs
    it (channels-last, the config's precision, the fast small-map convolutions), its
    FLOP/s against a matmul of the same precision."""
    from torch.utils.flop_counter import FlopCounterMode

    from . import fastconv
    from .models import model_device, to_channels_last
    from .training import NUM_CLASSES, autocast, effective_precision

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
    from .runner import load_timings  # the runner's own reader of its timing file

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
    from . import detection
    from .data import image_subset

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


# ---------------------------------------------------------------- all


@dataclass(frozen=True)
class PerformanceSettings(Settings):
    """What the Performance page and ``make bench`` measure (no paper values: the
    defaults are ``make bench``'s; ``paper`` measures the paper profile's models)."""

    repeats: int = param(3, lo=1, hi=50, doc="timings per measurement (the median is used)")
    pairs: int = param(
        25, lo=2, hi=1000, doc="same-class test pairs in the bypass, NEB and curve rows"
    )
    iterations: int = param(20, lo=1, hi=1000, doc="bypass iterations per timing")
    points: int = param(1000, lo=2, hi=100_000, doc="points per straight loss curve")
    n_pivots: int = param(16, lo=2, hi=256, doc="NEB pivots per pair")
    neb_steps: int = param(
        5, lo=1, hi=1000, doc="NEB iterations of the shorter timed run (the longer: twice)"
    )
    train_batch: int = param(128, lo=2, hi=4096, doc="images per measured training step")
    detector_images: int = param(
        100, lo=10, hi=10_000, doc="images whose detector features are timed"
    )
    detector_pool: int = param(
        2000, lo=100, hi=50_000, doc="training images for the detectors' references and Gaussians"
    )
    pair_candidates: int | None = param(
        None, lo=100, hi=10_000, doc="test images the pairs are drawn from (None: all)"
    )
    classifier: dict = param({}, doc="changes to the shared CIFAR-10 ResNet's training settings")
    vgg_classifier: dict = param({}, doc="changes to the shared CIFAR-10 VGG's training settings")

    OVERRIDES = {
        # 400 points: the loss-curve row's three interleaved timings cost what one of 1,000 did
        "ci": {"repeats": 1, "iterations": 10, "points": 400, "detector_images": 50},
        "smoke": {
            "pairs": 4,
            "iterations": 2,
            "points": 20,
            "n_pivots": 4,
            "neb_steps": 1,
            "train_batch": 8,
            "detector_images": 10,
        },
        "smoke-paper": {
            "repeats": 1,
            "pairs": 2,
            "iterations": 1,
            "points": 8,
            "n_pivots": 3,
            "neb_steps": 1,
            "train_batch": 4,
            "detector_images": 10,
            # forward passes of the papers' networks over 10,000 test / 2,000 training
            # images cost ~20 s here; the rows' code paths need far fewer
            "detector_pool": 300,
            "pair_candidates": 1000,
        },
    }


def run(settings: PerformanceSettings | None = None) -> dict:
    """Every benchmark row; returns ``{"machine": ..., "rows": [...]}``."""
    from .classifiers import shared_classifier
    from .data import image_subset, load_dataset
    from .input_paths import same_class_pairs
    from .neb import dataset_logits

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
    return {
        "machine": machine(),
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "profile": s.profile,
        "gpu_rows": "not measured: no GPU in this run"
        if not torch.cuda.is_available()
        else "see rows",
        "rows": [r.as_dict() for r in rows],
    }


def summary(result: dict) -> dict[str, str]:
    """Short texts for the Performance page's prose, from a :func:`run` result."""
    rows = result["rows"]

    def first(prefix: str) -> dict | None:
        return next((r for r in rows if r["name"].startswith(prefix)), None)

    def value(prefix: str, fmt: str) -> str:
        r = first(prefix)
        return format(r["measured"], fmt) if r else "not measured"

    training = [r for r in rows if r["name"].startswith("training step")]
    m = result["machine"]
    return {
        "machine": f"{m['platform']} ({m['processor']}, {m['cpus']} CPUs, "
        f"{m['torch_threads']} torch threads, torch {m['torch']}, GPU: {m['cuda'] or 'none'}), "
        f"{result['when']}",
        "bypass": value("barrier bypass", ".1f"),
        "neb": value("NEB iteration", ".0f"),
        "curves": value("loss curves", ".0f"),
        "training": "; ".join(f"{r['name'].split(':')[0]}: {r['measured']:.0f} %" for r in training)
        or "none",
        "missed": ", ".join(r["name"] for r in rows if r["holds"] is False) or "none",
    }


def format_table(result: dict) -> str:
    lines = [f"{'benchmark':48s} {'measured':>10s} {'target':>10s}  holds  detail"]
    for r in result["rows"]:
        op = ">=" if r["higher_is_better"] else "<="
        target = "-" if r["target"] is None else f"{op}{r['target']:8.1f}"
        holds = {True: "yes", False: "NO", None: "-"}[r["holds"]]
        lines.append(
            f"{r['name']:48s} {r['measured']:10.2f} {target:>10s}  "
            f"{holds:5s}"
            f"  {r['unit']}; {r['detail']}{'; ' + r['gap'] if r['gap'] else ''}"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", default="ci")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    result = run(PerformanceSettings.resolve(args.profile, repeats=args.repeats))
    print(f"machine: {result['machine']}")
    print(format_table(result))
    print(f"paper profile on a GPU: {result['gpu_rows']}")
    out = build_dir() / "bench.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
