"""Vrabel et al. (2024) §4.2: barriers between real images, and between a real image and
an adversarial example of its class (Figs. 4–6) — settings, the study and its records.

The protocol of the paper and of the official ``sec4_2_adversarial_attacks.py``: for every
class, ``pairs_per_class`` pairs of images of the class (consecutive images of a seeded
shuffle of the class's validation/test images; no filter on their loss or prediction)
form the **real–real** branch. In the **real–adversarial** branch the first image of each
pair is kept and paired with an adversarial made from the image at the same position of a
random other class: the targeted attack of :func:`connectivity.attacks.targeted_attack`
(in the model's normalised coordinates) towards the pair's class, stopped once its loss is
below the real image's. Each pair's straight path is evaluated at ``path_steps`` points;
per class, the ``drop_per_class`` pairs with the largest difference between their two
endpoint losses are dropped. A few pairs of each branch are then taken through repeated
bypass rounds (Fig. 5).

Example::

    settings = AdversarialSettings.resolve("smoke")
    study = run(settings)                # BarrierStudy
    study.kept("real_adversarial")       # pandas table of the pairs kept
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
import torch
from torch import nn

from connectivity.attacks import TargetedAttackConfig, targeted_attack
from connectivity.bypass import BypassConfig
from connectivity.models import model_device
from connectivity.settings import ParameterError, Settings, param

from . import networks
from .networks import Images
from .values_adversarial import BARRIER_STATS, BRANCH_NAMES, PAPER_PAIRS_KEPT

BRANCHES = ("real_real", "real_adversarial")
COLUMN = {"max": "max_loss", "gap": "gap"}  # the paper's quantity -> barrier_heights field
SECTION_STATS = "Barriers on the straight paths (Fig. 6)"
SECTION_BYPASS = "Bypassing a real–adversarial barrier (Fig. 5)"


@dataclass(frozen=True)
class AdversarialSettings(Settings):
    """Settings of the §4.2 page; defaults are the paper's (ImageNet, GoogLeNet)."""

    model: Literal["imagenet_googlenet", "cifar10_resnet"] = param(
        "imagenet_googlenet", doc="the network: the paper's GoogLeNet or the book's CIFAR ResNet"
    )
    pretrained: bool = param(True, doc="ImageNet weights for GoogLeNet (the paper's model)")
    classes: int = param(1000, lo=2, hi=1000, doc="classes used (the first ones)")
    pairs_per_class: int = param(7, lo=2, hi=500, doc="pairs per class and branch")
    drop_per_class: int = param(
        2, lo=0, hi=499, doc="pairs per class dropped: largest endpoint-loss difference"
    )
    path_steps: int = param(250, lo=3, hi=100_000, doc="points on each straight path")
    seed: int = param(0, lo=0, doc="seed of the image shuffle and the source classes")
    attack: TargetedAttackConfig = param(
        TargetedAttackConfig(), doc="the targeted attack (lr, iterations, λ_mse, λ_hf)"
    )
    bypass: BypassConfig = param(
        BypassConfig(max_rounds=5), doc="bypass settings of the Fig. 5 rounds (§4.1's)"
    )
    bypass_pairs: int = param(
        50, lo=1, hi=10_000, doc="pairs per branch taken through bypass rounds"
    )
    n_boot: int = param(2000, lo=100, hi=100_000, doc="bootstrap resamples")

    OVERRIDES = {
        "ci": {
            "model": "cifar10_resnet",
            "pretrained": False,
            "classes": 10,
            "pairs_per_class": 21,
            "drop_per_class": 6,
            "bypass": {"max_rounds": 3, "n_linear": 250, "per_segment": 100},
            "bypass_pairs": 12,
        },
        "smoke": {
            "pairs_per_class": 3,
            "drop_per_class": 1,
            "path_steps": 20,
            "attack": {"iterations": 40},
            "bypass": {"iterations": 8, "max_rounds": 2, "n_linear": 20, "per_segment": 10},
            "bypass_pairs": 3,
            "n_boot": 200,
        },
        "smoke-paper": {
            "pretrained": False,
            "classes": 3,
            "pairs_per_class": 2,
            "drop_per_class": 0,
            "path_steps": 5,
            "attack": {"iterations": 3, "min_iterations": 1},
            "bypass": {"iterations": 2, "max_rounds": 1, "n_linear": 5, "per_segment": 4},
            "bypass_pairs": 2,
            "n_boot": 100,
        },
    }

    def validate(self) -> None:
        if self.drop_per_class >= self.pairs_per_class - 1:
            raise ParameterError("drop_per_class must leave at least two pairs per class")
        if self.model == "cifar10_resnet" and self.classes > 10:
            raise ParameterError("CIFAR-10 has 10 classes")


# ---------------------------------------------------------------- data and model


def load_model_and_images(settings: AdversarialSettings) -> tuple[nn.Module, Images, str]:
    """The network, the images of the study and the model's description
    (:func:`.networks.load_model_and_images`; ImageNet: two images per pair)."""
    return networks.load_model_and_images(
        settings.model,
        settings.profile,
        settings.pretrained,
        settings.classes,
        2 * settings.pairs_per_class,
        settings.seed,
    )


# ---------------------------------------------------------------- pairs


@dataclass
class Pairs:
    """Indices into :class:`Images` of both branches: ``first`` (n,) (the real image, of
    class ``label`` (n,)), ``second`` (n,) (the second real image) and ``source`` (n,)
    (the image of another class the adversarial is made from)."""

    first: torch.Tensor
    second: torch.Tensor
    source: torch.Tensor
    label: torch.Tensor


def draw_pairs(y: torch.Tensor, classes: int, pairs_per_class: int, seed: int) -> Pairs:
    """The paper's pairs: for each class c < ``classes``, a seeded shuffle of its images;
    pair p is (images 2p, 2p + 1); its adversarial source is image 2p of a random other
    class (as the official ``compute_adversarial_barriers``)."""
    g = torch.Generator().manual_seed(seed)
    shuffled = {}
    for c in range(classes):
        members = torch.nonzero(y == c).flatten()
        if len(members) < 2 * pairs_per_class:
            raise ValueError(
                f"class {c} has {len(members)} images; {2 * pairs_per_class} needed for "
                f"{pairs_per_class} pairs"
            )
        shuffled[c] = members[torch.randperm(len(members), generator=g)]
    first, second, source, label = [], [], [], []
    for c in range(classes):
        for p in range(pairs_per_class):
            other = int(torch.randint(classes - 1, (1,), generator=g))
            other += other >= c  # a random class other than c
            first.append(shuffled[c][2 * p])
            second.append(shuffled[c][2 * p + 1])
            source.append(shuffled[other][2 * p])
            label.append(c)
    return Pairs(torch.stack(first), torch.stack(second), torch.stack(source), torch.tensor(label))


# ---------------------------------------------------------------- barrier statistics


@torch.no_grad()
def straight_path_statistics(
    model: nn.Module,
    a: torch.Tensor,
    c: torch.Tensor,
    label: torch.Tensor,
    steps: int,
    batch_size: int = 2048,
) -> pd.DataFrame:
    """Per pair (one row each): its class and the barrier statistics
    (:func:`connectivity.barriers.barrier_heights`: endpoint losses ``start``/``end``,
    barrier height ``max_loss``, ``gap``, ``end_difference``, ``position``) of the
    cross-entropy of ``label`` on the straight path at ``steps`` points."""
    from connectivity.barriers import barrier_heights
    from connectivity.input_paths import evaluate_linear

    device = model_device(model)
    per = max(1, batch_size // steps)
    curves = [
        evaluate_linear(
            model,
            a[s : s + per].to(device),
            c[s : s + per].to(device),
            steps,
            label[s : s + per].to(device),
        )["loss"].cpu()
        for s in range(0, len(a), per)
    ]
    frame = barrier_heights(torch.cat(curves)).frame()
    frame.insert(0, "class", label.numpy())
    return frame


def drop_unbalanced(stats: pd.DataFrame, drop_per_class: int) -> pd.Series:
    """``kept`` flags: per class, all pairs but the ``drop_per_class`` with the largest
    endpoint-loss difference (the official ``postprocess_barriers``)."""
    kept = pd.Series(False, index=stats.index)
    for _, group in stats["end_difference"].groupby(stats["class"]):
        kept[group.nsmallest(max(len(group) - drop_per_class, 0)).index] = True
    return kept


# ---------------------------------------------------------------- the study


@dataclass
class BypassRun:
    """Bypass rounds of a few pairs of each branch: rounds until the path is below the
    threshold per pair (-1: not within ``max_rounds``), and, for Fig. 5, the loss along
    one pair of each branch after every round (``curves[r]`` (segments, points) with the
    segments' ``lengths[r]``)."""

    rounds_to_threshold: dict[str, np.ndarray]  # branch -> (bypass_pairs,)
    shown: dict[str, int]  # branch -> index into that branch's bypass pairs
    curves: dict[str, list]  # branch -> per round (segments, points)
    lengths: dict[str, list]  # branch -> per round (segments,)
    threshold: float
    max_rounds: int

    def needs_more_than_one(self, branch: str) -> np.ndarray:
        """Whether a path still exceeds the threshold after one round (secondary barriers)."""
        r = self.rounds_to_threshold[branch]
        return (r > 1) | (r < 0)


@dataclass
class BarrierStudy:
    settings: AdversarialSettings
    model_name: str
    source: str
    class_names: list[str]
    stats: dict[str, pd.DataFrame]  # branch -> every pair, with a "kept" column
    attack_success: float  # share of adversarials classified as their target
    attack_stopped: float  # share that got below the real image's loss
    attack_iterations: float  # median iterations
    example: dict[str, torch.Tensor] = field(repr=False)  # A, K, K' of Fig. 4
    example_labels: dict[str, str] = field(default_factory=dict)
    bypass: BypassRun | None = None
    seconds: float = 0.0

    def kept(self, branch: str) -> pd.DataFrame:
        frame = self.stats[branch]
        return frame[frame["kept"]]

    def summary(self) -> pd.DataFrame:
        """Mean and median barrier height and gap per branch (pairs kept), beside the
        paper's: one row per statistic, columns (branch, this book / paper)."""
        words = {"max": "barrier height", "gap": "barrier gap"}
        rows = {}
        for branch in BRANCHES:
            k = self.kept(branch)
            rows[(BRANCH_NAMES[branch], "this book")] = {"pairs kept": len(k)}
            rows[(BRANCH_NAMES[branch], "paper")] = {"pairs kept": PAPER_PAIRS_KEPT}
            for key, paper in BARRIER_STATS[branch].items():
                quantity, statistic = key.split("_")
                label = f"{words[quantity]}, {statistic}"
                value = float(getattr(k[COLUMN[quantity]], statistic)())
                rows[(BRANCH_NAMES[branch], "this book")][label] = round(value, 3)
                rows[(BRANCH_NAMES[branch], "paper")][label] = paper
        frame = pd.DataFrame(rows)
        frame.index.name = "statistic"
        return frame


def run(settings: AdversarialSettings) -> BarrierStudy:
    """The §4.2 study (see the module docstring)."""
    import torch.nn.functional as F

    from connectivity.caching import cached

    t0 = time.perf_counter()
    model, images, model_name = load_model_and_images(settings)
    device = model_device(model)
    pairs = draw_pairs(images.y, settings.classes, settings.pairs_per_class, settings.seed)
    a, c, k = images.x[pairs.first], images.x[pairs.second], images.x[pairs.source]
    label = pairs.label
    with torch.no_grad():
        loss_a = torch.cat(
            [
                F.cross_entropy(
                    model(a[s : s + 256].to(device)),
                    label[s : s + 256].to(device),
                    reduction="none",
                ).cpu()
                for s in range(0, len(a), 256)
            ]
        )

    def attack():
        return targeted_attack(model, k, label, loss_a, settings.attack)

    params = {
        "model": model_name,
        "state": _state_hash(model),
        "pairs": [pairs.first.tolist(), pairs.source.tolist(), label.tolist()],
        "attack": settings.attack,
        "algorithm": 1,
    }
    adv = cached("vrabel-targeted-attack", params, attack)
    stats = {
        "real_real": straight_path_statistics(model, a, c, label, settings.path_steps),
        "real_adversarial": straight_path_statistics(model, a, adv.x, label, settings.path_steps),
    }
    for frame in stats.values():
        frame["kept"] = drop_unbalanced(frame, settings.drop_per_class)
    j = 0
    example = {"A": a[j], "K": k[j], "K'": adv.x[j]}
    names = images.classes
    with torch.no_grad():
        pred = int(model(adv.x[j : j + 1].to(device)).argmax(1))
    labels = {
        "A": f"A: {names[int(label[j])]}",
        "K": f"K: {names[int(images.y[pairs.source[j]])]}",
        "K'": f"K': classified {names[pred] if pred < len(names) else pred}",
    }
    study = BarrierStudy(
        settings,
        model_name,
        images.source,
        names,
        stats,
        float(adv.success.float().mean()),
        float(adv.stopped.float().mean()),
        float(adv.iterations.float().median()),
        example,
        labels,
    )
    study.bypass = _bypass_rounds(settings, model, a, c, adv.x, label, stats)
    study.seconds = time.perf_counter() - t0
    return study


def _state_hash(model: nn.Module) -> str:
    import hashlib

    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _bypass_rounds(settings, model, a, c, adv, label, stats) -> BypassRun:
    """Bypass rounds for the first ``bypass_pairs`` kept pairs of each branch, in one batch.
    Fig. 5 shows the first real–adversarial pair that needed more than one round (else the
    one with the highest straight-path barrier) and the first real–real pair."""
    from connectivity import bypass as bp

    chosen = {
        b: np.flatnonzero(stats[b]["kept"].to_numpy())[: settings.bypass_pairs] for b in BRANCHES
    }
    ends = {"real_real": c, "real_adversarial": adv}
    first = torch.cat([a[chosen[b]] for b in BRANCHES])
    second = torch.cat([ends[b][chosen[b]] for b in BRANCHES])
    target = torch.cat([label[chosen[b]] for b in BRANCHES])
    res = bp.connect_modes(model, first, second, target, settings.bypass)
    rounds = res.rounds_to_threshold.cpu().numpy()
    n = len(chosen["real_real"])
    by_branch = {"real_real": rounds[:n], "real_adversarial": rounds[n:]}
    offset = {"real_real": 0, "real_adversarial": n}
    by = BypassRun(by_branch, {}, {}, {}, settings.bypass.threshold, settings.bypass.max_rounds)
    secondary = np.flatnonzero(by.needs_more_than_one("real_adversarial"))
    if len(secondary):
        shown = int(secondary[0])
    else:  # none needed more than one round: show the highest real-adversarial barrier
        heights = stats["real_adversarial"]["max_loss"].to_numpy()[chosen["real_adversarial"]]
        shown = int(np.argmax(heights))
    by.shown = {"real_real": 0, "real_adversarial": shown}
    for branch, i in by.shown.items():
        pair = offset[branch] + i
        by.curves[branch] = [rnd.curves[pair] for rnd in res.rounds]
        by.lengths[branch] = [rnd.lengths[pair] for rnd in res.rounds]
    return by


# ---------------------------------------------------------------- records


def _bootstrap_se(values: np.ndarray, statistic: str, n_boot: int, seed: int = 0) -> float:
    rng = np.random.default_rng(seed)
    draws = rng.choice(values, (n_boot, len(values)))
    stat = draws.mean(1) if statistic == "mean" else np.median(draws, 1)
    return float(stat.std(ddof=1))


@dataclass
class BarrierRecords:
    stats: dict[str, object]  # "<branch>.<key>" -> Record
    higher: dict[str, object]  # "max" / "gap" -> Record
    secondary: object


def comparable_scale(settings: AdversarialSettings) -> bool:
    """Whether the barrier statistics are on the paper's scale: cross-entropies of the
    paper's network (GoogLeNet on ImageNet), not of another model."""
    return settings.model == "imagenet_googlenet"


def record(study: BarrierStudy) -> BarrierRecords:
    """Scorecard records: the eight barrier statistics of Fig. 6 (with the paper's
    network compared within two bootstrap standard errors over the pairs kept; with
    another network shown beside the paper's, ``not comparable``), the one-sided
    Mann–Whitney tests of "higher barriers for real–adversarial pairs", and the
    secondary-barrier comparison of the bypass rounds (one-sided bootstrap of the
    difference of shares)."""
    from connectivity import scorecard
    from connectivity.stats import Tolerance, bootstrap_mean_greater, mann_whitney_greater

    s = study.settings
    note = f"{study.model_name} on {study.source}; the paper: GoogLeNet on ImageNet"
    stats = {}
    for branch in BRANCHES:
        kept = study.kept(branch)
        for key in BARRIER_STATS[branch]:
            quantity, statistic = key.split("_")
            values = kept[COLUMN[quantity]].to_numpy()
            value = float(getattr(np, statistic)(values))
            se = _bootstrap_se(values, statistic, s.n_boot)
            what = f"bootstrap SE of the {statistic} over {len(values)} pairs"
            id = f"vrabel2024.barriers.{branch}.{key}"
            if comparable_scale(s):
                stats[f"{branch}.{key}"] = scorecard.compare(
                    id,
                    round(value, 4),
                    Tolerance.standard_error(se, what=what),
                    n=len(values),
                    note=note,
                    section=SECTION_STATS,
                )
            else:  # another network's cross-entropy scale: shown, not judged
                stats[f"{branch}.{key}"] = scorecard.beside(
                    id,
                    round(value, 4),
                    f"the paper's value is a cross-entropy of a 1,000-class ImageNet "
                    f"GoogLeNet, this one of the {study.model_name}",
                    n=len(values),
                    note=f"{what}: {se:.3g}",
                    section=SECTION_STATS,
                )
    higher = {}
    for quantity in ("max", "gap"):
        result = mann_whitney_greater(
            study.kept("real_adversarial")[COLUMN[quantity]],
            study.kept("real_real")[COLUMN[quantity]],
        )
        higher[quantity] = scorecard.test(
            f"vrabel2024.barriers.adversarial_higher_{quantity}",
            result,
            reproduced=round(result.effect, 3),
            note=note,
            section=SECTION_STATS,
        )
    by = study.bypass
    adv_more = by.needs_more_than_one("real_adversarial").astype(float)
    real_more = by.needs_more_than_one("real_real").astype(float)
    if len(adv_more) < 2 or len(real_more) < 2:
        secondary = scorecard.fail(
            "vrabel2024.barriers.secondary_barriers",
            "fewer than two pairs per branch went through the bypass rounds",
            section=SECTION_BYPASS,
        )
    else:
        result = bootstrap_mean_greater(adv_more, real_more, n_boot=s.n_boot)
        secondary = scorecard.test(
            "vrabel2024.barriers.secondary_barriers",
            result,
            reproduced=f"{int(adv_more.sum())}/{len(adv_more)} vs {int(real_more.sum())}/"
            f"{len(real_more)}",
            note=f"threshold {by.threshold:g}, at most {by.max_rounds} rounds; {note}",
            section=SECTION_BYPASS,
        )
    scorecard.measure(
        "vrabel2024.barriers.attack_stopped",
        "Targeted attack: share of adversarials whose loss got below the real image's",
        round(study.attack_stopped, 4),
        unit="fraction",
        section=SECTION_STATS,
        note=f"success (classified as the target) {study.attack_success:.3f}; median "
        f"{study.attack_iterations:.0f} iterations",
    )
    return BarrierRecords(stats, higher, secondary)


def glue_page(study: BarrierStudy, recs: BarrierRecords) -> None:
    """Glue every outcome sentence of the §4.2 page (names ``adv_*``)."""
    from connectivity.prose import glue, glue_say

    s = study.settings
    glue("adv_model", study.model_name)
    glue(
        "adv_attack",
        f"The attack made {100 * study.attack_success:.0f} % of the source images classified "
        f"as their target class and brought {100 * study.attack_stopped:.0f} % below the "
        f"loss of the real image they are paired with (median {study.attack_iterations:.0f} "
        "iterations); the others stop after the last iteration and are kept, as in the "
        "official code.",
    )
    n = {b: len(study.kept(b)) for b in BRANCHES}
    glue(
        "adv_pairs",
        f"{s.classes} classes × {s.pairs_per_class} pairs per branch, "
        f"{s.drop_per_class} dropped per class: {n['real_real']} real–real and "
        f"{n['real_adversarial']} real–adversarial pairs are kept.",
    )
    med = {b: float(study.kept(b)["max_loss"].median()) for b in BRANCHES}
    sentences = [
        glue_say(
            rec,
            reproduced=f"Real–adversarial barrier {q}s are higher than real–real ones, as in "
            "the paper ({test}: p = {p:.2g}, P(X>Y) − ½ = {value:+.2f}).",
            differs=f"Real–adversarial barrier {q}s are *lower* than real–real ones here, "
            "unlike the paper ({test}: p = {p_opposite:.2g}, P(X>Y) − ½ = {value:+.2f}).",
            not_significant=f"The difference in barrier {q}s between the branches is not "
            "significant here ({test}: p = {p:.2g}, P(X>Y) − ½ = {value:+.2f}).",
            failed="The comparison failed: {note}.",
        )
        for q, rec in (("height", recs.higher["max"]), ("gap", recs.higher["gap"]))
    ]
    glue(
        "adv_compare",
        f"Median barrier height: {med['real_real']:.3g} between real images, "
        f"{med['real_adversarial']:.3g} between a real and an adversarial image. "
        + " ".join(sentences),
    )
    within = sum(r.verdict == "reproduced" for r in recs.stats.values())
    glue(
        "adv_scale",
        f"With the paper's network, {within} of the {len(recs.stats)} statistics lie "
        "within two bootstrap standard errors of the paper's."
        if comparable_scale(s)
        else "They are shown beside the paper's, not compared with them: the paper's are "
        "cross-entropies of a 1,000-class ImageNet GoogLeNet on 224×224 images, whose "
        f"scale differs from that of the {study.model_name}. The paper's claim is the "
        "contrast between the branches, tested above.",
    )
    by = study.bypass
    more = by.needs_more_than_one("real_adversarial")
    rounds = by.rounds_to_threshold["real_adversarial"][by.shown["real_adversarial"]]

    def n_rounds(k: int) -> str:
        return f"{k} round" + ("" if k == 1 else "s")

    took = (
        f"reached the threshold after {n_rounds(rounds)}"
        if rounds >= 0
        else f"was still above the threshold after {n_rounds(by.max_rounds)}"
    )
    glue(
        "adv_fig5",
        (
            f"{int(more.sum())} of the {len(more)} real–adversarial pairs taken through the "
            f"rounds still had a barrier above {by.threshold:g} after one round; the pair shown "
            f"is one of them: it {took}."
        )
        if more.any()
        else (
            f"None of the {len(more)} real–adversarial pairs taken through the rounds needed "
            "more than one round here; the pair shown is the one with the highest straight-"
            f"path barrier: it {took}."
        ),
    )
    glue_say(
        recs.secondary,
        name="adv_secondary",
        reproduced="Secondary barriers remain after one round more often on real–adversarial "
        "paths than on real–real ones ({value}; {test}: p = {p:.2g}), as the paper describes.",
        differs="Secondary barriers remain after one round more often on real–real paths than "
        "on real–adversarial ones here ({value}; p = {p_opposite:.2g}), unlike the paper.",
        not_significant="Whether the two branches differ in how often a secondary barrier "
        "remains after one round cannot be told at this number of pairs ({value}; {test}: "
        "p = {p:.2g}).",
        failed="Not compared: {note}.",
    )


# ---------------------------------------------------------------- figures


def plot_example(study: BarrierStudy):
    """Fig. 4: a real mode A, the source K of another class, its adversarial K' and the
    perturbation K' − K (scaled to the grey range)."""
    from connectivity import plotting

    ex = study.example
    d = ex["K'"] - ex["K"]
    scale = 0.5 / max(float(d.abs().max()), 1e-12)
    images = torch.stack([ex["A"], ex["K"], ex["K'"].clamp(0, 1), 0.5 + scale * d])
    titles = [study.example_labels[k] for k in ("A", "K", "K'")] + [f"K' − K (×{scale:.0f})"]
    return plotting.image_grid(images, titles, ncols=4, size=2.2)


def plot_statistics(study: BarrierStudy):
    """Fig. 6: barrier height and gap of the pairs kept, real–real vs real–adversarial."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(8, 3.4))
    for ax, quantity, title in zip(axes, ("max", "gap"), ("barrier height", "barrier gap")):
        data = [study.kept(b)[COLUMN[quantity]].to_numpy() for b in BRANCHES]
        box = ax.boxplot(data, patch_artist=True, widths=0.5)
        for patch, colour in zip(box["boxes"], ("royalblue", "firebrick")):
            patch.set(facecolor=colour, alpha=0.6)
        ax.set_xticks([1, 2], [BRANCH_NAMES[b] for b in BRANCHES])
        ax.set_title(title)
    axes[0].set_ylabel("cross-entropy")
    fig.tight_layout()
    return fig


def plot_bypass(study: BarrierStudy):
    """Fig. 5: the loss along a real–adversarial path (left) and a real–real path (right)
    after each bypass round (:func:`connectivity.plotting.bypass_rounds_grid`)."""
    from connectivity import plotting

    by = study.bypass
    panels = [
        {"curves": by.curves[b], "lengths": by.lengths[b], "title": f"{BRANCH_NAMES[b]} pair"}
        for b in ("real_adversarial", "real_real")
    ]
    return plotting.bypass_rounds_grid(panels, threshold=by.threshold, ncols=2)
