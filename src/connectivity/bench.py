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


@dataclass
class Row:
    name: str
    measured: float
    target: float
    unit: str  # "x" (ratio, higher is better), "% overhead" (lower is better), "% of peak", "min"
    higher_is_better: bool
    detail: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.measured >= self.target if self.higher_is_better else self.measured <= self.target

    @property
    def gap(self) -> str:
        """How far from the target, in the row's unit ("" when it holds)."""
        if self.holds:
            return ""
        if self.higher_is_better:
            return f"{self.target / self.measured:.2f}x short" if self.measured > 0 else "nothing measured"
        return f"{self.measured - self.target:+.1f} {self.unit} over"

    def as_dict(self) -> dict:
        return {"name": self.name, "measured": self.measured, "target": self.target, "unit": self.unit,
                "higher_is_better": self.higher_is_better, "holds": self.holds, "gap": self.gap,
                "detail": self.detail, **self.extra}


def median_time(fn, repeats: int, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def machine() -> dict:
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(), "torch": torch.__version__,
            "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


# ---------------------------------------------------------------- 1. bypass

def _per_pair_bypass(model, a, c, b, target, cfg, iterations):
    """The study's way: one Adam optimisation per pair, a Python float read every step."""
    from .bypass import tv1

    out = []
    for p in range(len(b)):
        u = (c[p] - a[p]).flatten()
        u = u / u.norm()
        x = b[p:p + 1].clone().requires_grad_(True)
        opt = torch.optim.Adam([x], lr=cfg.lr)
        losses = []
        for _ in range(iterations):
            ce = F.cross_entropy(model(x), target[p:p + 1])
            d = x - b[p:p + 1]
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
    fast = median_time(lambda: optimise_barriers(ce_loss(folded, target), a, c, b, cfg, desc="bench bypass"), repeats)
    slow = median_time(lambda: _per_pair_bypass(model, a, c, b, target, cfg, iterations), max(1, repeats // 2))
    pairs_it = len(a) * iterations
    return Row("barrier bypass: batched vs per-pair loop", slow / fast, 10.0, "x", True,
               f"{len(a)} pairs x {iterations} iterations: batched {pairs_it / fast:.0f} pair-it/s, "
               f"per-pair {pairs_it / slow:.0f} pair-it/s",
               {"batched_s": fast, "per_pair_s": slow})


# ---------------------------------------------------------------- 2. NEB

def bench_neb(model, a, c, target, n_pivots: int, steps: int, repeats: int) -> Row:
    from .neb import NEBConfig, classifier_energy, run_neb

    cfg = NEBConfig(n_pivots=n_pivots, steps=steps)
    energy = classifier_energy(model, target)
    t_neb = median_time(lambda: run_neb(energy, a, c, cfg, desc="bench NEB"), repeats) / steps
    batch = (0.5 * (a + c)).unsqueeze(1).expand(-1, n_pivots, *a.shape[1:]).reshape(-1, *a.shape[1:]).contiguous()
    tgt = target.repeat_interleave(n_pivots)

    def fwd_bwd():
        x = batch.detach().requires_grad_(True)
        (g,) = torch.autograd.grad(F.cross_entropy(model(x), tgt, reduction="none").sum(), x)
        return g

    t_raw = median_time(fwd_bwd, repeats * 3)
    return Row("NEB iteration vs forward+backward of its batch", 100 * (t_neb / t_raw - 1), 15.0, "% overhead", False,
               f"{len(a)} pairs x {n_pivots} pivots: {1000 * t_neb:.0f} ms per iteration, "
               f"{1000 * t_raw:.0f} ms forward+backward", {"neb_iteration_s": t_neb, "forward_backward_s": t_raw})


# ---------------------------------------------------------------- 3. loss curves

def bench_loss_curves(model, a, c, target, points: int, repeats: int, batch_size: int = 2048) -> Row:
    from .models import fold_batchnorm
    from .paths import evaluate_linear, linear_path

    folded = fold_batchnorm(model)  # as the chapters evaluate paths

    def curves():
        with torch.no_grad():
            return evaluate_linear(folded, a, c, points, target, batch_size)["loss"]

    flat = linear_path(a, c, points).flatten(0, 1).contiguous()

    def raw():
        with torch.no_grad():
            return [folded(flat[i:i + batch_size]) for i in range(0, len(flat), batch_size)]

    t_curves, t_raw = median_time(curves, repeats), median_time(raw, repeats)
    return Row("loss curves vs raw inference", 100 * (t_curves / t_raw - 1), 10.0, "% overhead", False,
               f"{len(a)} paths x {points} points: {t_curves:.2f} s, raw inference of {len(flat)} images {t_raw:.2f} s",
               {"curves_s": t_curves, "raw_s": t_raw})


# ---------------------------------------------------------------- 4. training

def matmul_flops(n: int = 1024, repeats: int = 5) -> float:
    """Measured fp32 matmul FLOP/s of this machine (n x n times n x n)."""
    x, y = torch.randn(n, n), torch.randn(n, n)
    return 2 * n ** 3 / median_time(lambda: x @ y, repeats)


def bench_training(model, batch_size: int, repeats: int) -> Row:
    from torch.utils.flop_counter import FlopCounterMode

    x = torch.rand(batch_size, 3, 32, 32)
    y = torch.randint(0, 10, (batch_size,))
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the step's cost without changing the model

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    with FlopCounterMode(display=False) as counter:
        step()
    flops = counter.get_total_flops()
    t = median_time(step, repeats)
    model.eval()
    peak = matmul_flops()
    achieved = flops / t
    return Row("training step: achieved / matmul FLOP/s", 100 * achieved / peak, 40.0, "% of peak", True,
               f"batch {batch_size}: {achieved / 1e9:.1f} GFLOP/s achieved, matmul {peak / 1e9:.1f} GFLOP/s",
               {"achieved_flops": achieved, "matmul_flops": peak, "step_s": t})


# ---------------------------------------------------------------- 5. the book

def book_rows(timings_path) -> list[Row]:
    """From the runner's timing table (``_build/timings.json``), if the book was built."""
    if not timings_path.exists():
        return []
    entries = [r for r in json.loads(timings_path.read_text()) if r.get("status") == "ok"]
    if not entries:
        return []
    total = sum(r["seconds"] for r in entries)
    slowest = max(entries, key=lambda r: r["seconds"])
    return [Row("book: every notebook", total / 60, 30.0, "min", False,
                f"{len(entries)} notebooks, profile {entries[0]['profile']}"),
            Row("book: slowest notebook", slowest["seconds"] / 60, 5.0, "min", False, slowest["notebook"])]


# ---------------------------------------------------------------- 6. detectors

def bench_detectors(trained, train, test, n: int) -> list[Row]:
    from . import detection

    model = trained.model
    x = test.x[:n]
    adv = (x + 0.03 * torch.sign(torch.randn_like(x))).clamp(0, 1)  # stand-in adversarials: cost only
    pool = torch.randperm(len(train.x), generator=torch.Generator().manual_seed(0))[:2000]
    refs = detection.reference_images(model, train.x[pool], train.y[pool], int(train.y.max()) + 1)
    g = detection.fit_class_gaussians(model, train.x[pool], train.y[pool], int(train.y.max()) + 1)
    costs = {
        "ours": median_time(lambda: detection.path_loss_features(model, x, refs, 16), 1) / n,
        "lid": median_time(lambda: detection.lid_features(model, x, adv), 1) / (2 * n),
        "mahalanobis": median_time(lambda: detection.mahalanobis_features(model, x, g, 5e-5), 1) / n,
        "inputmfs": median_time(lambda: detection.input_spectrum_features(x), 1) / n,
        "layermfs": median_time(lambda: detection.layer_spectrum_features(model, x, "MFS"), 1) / n,
    }
    return [Row(f"detector cost: ours / {k}", costs["ours"] / v, 0.0, "x", True,
                f"ours {1000 * costs['ours']:.2f} ms per image, {k} {1000 * v:.3f} ms per image (no target: reported)",
                {"ms_per_image": {k2: 1000 * v2 for k2, v2 in costs.items()}})
            for k, v in costs.items() if k != "ours"]


# ---------------------------------------------------------------- all

def run(repeats: int = 3, pairs: int = 25, iterations: int = 20, points: int = 1000, n_pivots: int = 16,
        neb_steps: int = 5, train_batch: int = 128, detector_images: int = 100, profile: str = "ci",
        classifier: dict | None = None, vgg_classifier: dict | None = None) -> dict:
    """Every benchmark row; returns ``{"machine": ..., "rows": [...]}``. ``classifier``
    and ``vgg_classifier`` override the measured models' training settings."""
    from . import profiles
    from .data import load_dataset
    from .paths import same_class_pairs

    torch.manual_seed(0)
    trained = profiles.shared_classifier(profile, override=classifier)
    model = trained.model.eval()
    test = load_dataset("cifar10", "test")
    idx, target, _ = same_class_pairs(model, test, pairs, seed=0)
    a, c = test.x[idx[:, 0]], test.x[idx[:, 1]]
    rows = [bench_bypass(model, a, c, target, iterations, repeats),
            bench_neb(model, a, c, target, n_pivots, neb_steps, repeats),
            bench_loss_curves(model, a, c, target, points, repeats)]
    fresh = copy.deepcopy(model)  # a copy to train on: the model measured above stays untouched
    rows.append(bench_training(fresh, train_batch, repeats))
    rows += book_rows(build_dir() / "timings.json")
    vgg = profiles.shared_classifier(profile, key="cifar10_vgg", override=vgg_classifier)
    rows += bench_detectors(vgg, load_dataset("cifar10", "train"), test, detector_images)
    return {"machine": machine(), "when": time.strftime("%Y-%m-%d %H:%M"),
            "gpu_rows": "not measured: no GPU in this run" if not torch.cuda.is_available() else "see rows",
            "rows": [r.as_dict() for r in rows]}


def format_table(result: dict) -> str:
    lines = [f"{'benchmark':48s} {'measured':>10s} {'target':>10s}  holds  detail"]
    for r in result["rows"]:
        op = ">=" if r["higher_is_better"] else "<="
        lines.append(f"{r['name']:48s} {r['measured']:10.2f} {op}{r['target']:8.1f}  {'yes' if r['holds'] else 'NO ':5s}"
                     f"  {r['unit']}; {r['detail']}{'; ' + r['gap'] if r['gap'] else ''}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--profile", default="ci")
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be at least 1")
    result = run(repeats=args.repeats, profile=args.profile)
    print(f"machine: {result['machine']}")
    print(format_table(result))
    print(f"paper profile on a GPU: {result['gpu_rows']}")
    out = build_dir() / "bench.json"
    out.write_text(json.dumps(result, indent=1))
    print(f"written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
