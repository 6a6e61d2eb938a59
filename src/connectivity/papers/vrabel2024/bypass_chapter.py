"""Vrabel et al. (2024) §4.1 (Figs. 1–3): barriers on the straight path between two real
modes of a class, and how the bypass removes them — settings, the study, its records,
sentences and figures.

The protocol of the paper and the official ``sec4_1_input_space_connectivity.py``: modes
are validation (here: test) images of a class with a very low cross-entropy (the paper:
"in the order of 1e-4 or lower"; the official ``prepare_imagenet_tensors.py`` keeps the
lowest-loss images of a class). Two modes of a class are joined by the straight path
(1,000 points); its point of largest loss B is optimised in the hyperplane orthogonal to
AC (:func:`connectivity.bypass.connect_modes`, in the model's normalised coordinates) and
the path A → B' → C (500 points per segment) replaces it; segments still above the
threshold are bypassed again, round after round.

Example::

    settings = BypassSettings.resolve("smoke")
    study = run(settings)              # BypassStudy
    records = record(study)            # scorecard records and the page's sentences
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from connectivity.barriers import BarrierHeights, barrier_heights
from connectivity.bypass import BypassConfig, BypassResult, connect_modes
from connectivity.models import model_device
from connectivity.neb import NEBConfig
from connectivity.settings import ParameterError, Settings, param

from .networks import load_model_and_images
from .values_modes import BYPASS_LOWERS, BYPASS_ONE_ROUND

SECTION_MODES = "Modes"
SECTION_PATHS = "Loss along the paths (Figs. 1–2)"
SECTION_FIG3 = "What the bypass changes in the image (Fig. 3)"
SECTION_LENSES = "Beyond the paper: one model, three lenses"


@dataclass(frozen=True)
class BypassSettings(Settings):
    """Settings of the §4.1 page; defaults are the paper's (GoogLeNet on ImageNet)."""

    model: Literal["imagenet_googlenet", "cifar10_resnet"] = param(
        "imagenet_googlenet", doc="the network: the paper's GoogLeNet or the book's CIFAR ResNet"
    )
    pretrained: bool = param(True, doc="ImageNet weights for GoogLeNet (the paper's model)")
    classes: int = param(50, lo=1, hi=1000, doc="classes the pairs come from (the first ones)")
    images_per_class: int = param(
        50, lo=2, hi=50, doc="ImageNet validation images read per class (candidate modes)"
    )
    n_pairs: int = param(50, lo=2, hi=10_000, doc="pairs of modes, classes taken in turn")
    mode_max_loss: float = param(
        1e-4, lo=0.0, hi=100.0, doc="a mode's largest cross-entropy (paper: ~1e-4 or lower)"
    )
    seed: int = param(0, lo=0, doc="seed of the pair draw")
    bypass: BypassConfig = param(
        BypassConfig(max_rounds=5),
        doc="bypass: lr, iterations, λ_mse, λ_hf, points, threshold, rounds, coordinates",
    )
    lens_pairs: int = param(25, lo=0, hi=10_000, doc="pairs compared by the three lenses")
    neb: NEBConfig = param(
        NEBConfig(n_pivots=20, steps=500, lr=0.01, spring=1.0, optimizer="adam", climbing=False),
        doc="NEB settings of the three-lens comparison (the Gu & Borovykh chapter's)",
    )

    OVERRIDES = {
        "ci": {
            "model": "cifar10_resnet",
            "pretrained": False,
            "classes": 10,
            "n_pairs": 20,
            "mode_max_loss": 0.01,
            "bypass": {"max_rounds": 3},
            "lens_pairs": 10,
            "neb": {"n_pivots": 12, "steps": 100},
        },
        "smoke": {
            "n_pairs": 4,
            "mode_max_loss": 1.0,
            "bypass": {"iterations": 8, "n_linear": 30, "per_segment": 12, "max_rounds": 2},
            "lens_pairs": 2,
            "neb": {"n_pivots": 4, "steps": 4},
        },
        "smoke-paper": {
            "pretrained": False,
            "classes": 3,
            "images_per_class": 4,
            "n_pairs": 2,
            "bypass": {"iterations": 2, "n_linear": 5, "per_segment": 4, "max_rounds": 1},
            "lens_pairs": 1,
            "neb": {"n_pivots": 2, "steps": 2},
        },
    }

    def validate(self) -> None:
        if self.model == "cifar10_resnet" and self.classes > 10:
            raise ParameterError("CIFAR-10 has 10 classes")
        if self.lens_pairs > self.n_pairs:
            raise ParameterError("lens_pairs cannot exceed n_pairs")


# ---------------------------------------------------------------- model and images


@torch.no_grad()
def cross_entropy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 256):
    """Per-image cross-entropy of the true class (N,) and the prediction (N,), on the CPU."""
    device = model_device(model)
    loss, pred = [], []
    for s in range(0, len(x), batch):
        logits = model(x[s : s + batch].to(device))
        loss.append(F.cross_entropy(logits, y[s : s + batch].to(device), reduction="none").cpu())
        pred.append(logits.argmax(1).cpu())
    return torch.cat(loss), torch.cat(pred)


@dataclass
class ModePairs:
    """Pairs of images (indices ``first``, ``second`` (P,) into :class:`Images`) of class
    ``label`` (P,), their cross-entropies ``loss`` (P, 2), and whether every endpoint is a
    mode (CE at most the threshold, classified correctly)."""

    first: torch.Tensor
    second: torch.Tensor
    label: torch.Tensor
    loss: torch.Tensor
    all_modes: bool
    candidates: int  # images that qualify as modes


def draw_mode_pairs(
    loss: torch.Tensor,
    pred: torch.Tensor,
    y: torch.Tensor,
    n_pairs: int,
    max_loss: float,
    seed: int,
) -> ModePairs:
    """``n_pairs`` pairs of distinct images of one class, classes taken in turn, both
    classified correctly with cross-entropy at most ``max_loss`` (drawn with ``seed``
    from each class's qualifying images). When fewer pairs qualify, the remaining pairs
    are the lowest-loss images left in each class (as the official script keeps a class's
    lowest-loss images) and ``all_modes`` is False."""
    g = torch.Generator().manual_seed(seed)
    classes = sorted(set(y.tolist()))
    qualifies = (loss <= max_loss) & (pred == y)
    pools = {}
    for c in classes:
        good = torch.nonzero(qualifies & (y == c)).flatten()
        good = good[torch.randperm(len(good), generator=g)]
        rest = torch.nonzero(~qualifies & (y == c)).flatten()
        rest = rest[loss[rest].argsort()]
        pools[c] = torch.cat([good, rest]).tolist()
    first, second, label = [], [], []
    k, misses = 0, 0
    while len(first) < n_pairs and misses < len(classes):
        c = classes[k % len(classes)]
        k += 1
        if len(pools[c]) < 2:
            misses += 1
            continue
        misses = 0
        first.append(pools[c].pop(0))
        second.append(pools[c].pop(0))
        label.append(c)
    if len(first) < 2:
        raise ValueError("fewer than two same-class pairs of images")
    first_t, second_t = torch.tensor(first), torch.tensor(second)
    ends = torch.stack([loss[first_t], loss[second_t]], 1)
    ok = qualifies[first_t] & qualifies[second_t]
    return ModePairs(
        first_t, second_t, torch.tensor(label), ends, bool(ok.all()), int(qualifies.sum())
    )


# ---------------------------------------------------------------- the study


@dataclass
class Lenses:
    """The three-lens comparison on the first pairs: per pair the straight path's verdict,
    NEB's category and iterations, and the bypass's final path."""

    table: object  # pandas DataFrame, one row per pair
    neb_ran: int  # pairs NEB ran on (the others' straight path is all of the class)
    neb_success: int  # of those, bands all of the class
    neb_median_iterations: float  # over the successes (nan when none)
    neb_seconds: float


@dataclass
class BypassStudy:
    settings: BypassSettings
    model_name: str
    source: str
    class_names: list[str]
    pairs: ModePairs
    a: torch.Tensor = field(repr=False)  # (P, C, H, W) first modes
    c: torch.Tensor = field(repr=False)  # (P, C, H, W) second modes
    result: BypassResult = field(repr=False)
    straight: BarrierHeights  # the straight paths
    after_one: BarrierHeights | None  # the paths after one round (None: no round ran)
    final: BarrierHeights  # the last paths
    lenses: Lenses | None = None
    seconds: float = 0.0

    @property
    def bypassed(self) -> np.ndarray:
        """Indices of the pairs whose straight path exceeded the threshold."""
        return self.result.first_pairs.numpy()

    def shown(self, n: int = 4) -> list[int]:
        """The pairs of Figs. 1–2: the bypassed pairs with the highest straight barriers
        (the straight paths themselves when no pair needed a bypass)."""
        pool = self.bypassed if len(self.bypassed) else np.arange(len(self.straight))
        order = np.argsort(-self.straight.max_loss[pool], kind="stable")
        return [int(pool[i]) for i in order[:n]]


def run(settings: BypassSettings) -> BypassStudy:
    """The §4.1 study (see the module docstring)."""
    t0 = time.perf_counter()
    s = settings
    model, images, model_name = load_model_and_images(
        s.model, s.profile, s.pretrained, s.classes, s.images_per_class, s.seed
    )
    loss, pred = cross_entropy(model, images.x, images.y)
    pairs = draw_mode_pairs(loss, pred, images.y, s.n_pairs, s.mode_max_loss, s.seed)
    a, c = images.x[pairs.first], images.x[pairs.second]
    result = connect_modes(model, a, c, pairs.label, s.bypass)
    rounds = result.rounds
    study = BypassStudy(
        s,
        model_name,
        images.source,
        list(images.classes),
        pairs,
        a,
        c,
        result,
        barrier_heights([r.flatten() for r in rounds[0].curves]),
        barrier_heights([r.flatten() for r in rounds[1].curves]) if len(rounds) > 1 else None,
        barrier_heights([r.flatten() for r in rounds[-1].curves]),
    )
    if s.lens_pairs:
        study.lenses = three_lenses(model, study)
    study.seconds = time.perf_counter() - t0
    return study


def three_lenses(model: nn.Module, study: BypassStudy) -> Lenses:
    """Straight line, NEB (Gu & Borovykh's test: stops at the first band all of the
    class) and the bypass on the first ``lens_pairs`` pairs."""
    import pandas as pd

    from connectivity.neb import connect_pairs

    s = study.settings
    n = s.lens_pairs
    device = model_device(model)
    t0 = time.perf_counter()
    gu = connect_pairs(
        model,
        study.a[:n].to(device),
        study.c[:n].to(device),
        study.pairs.label[:n].to(device),
        s.bypass.n_linear,
        s.neb,
        desc="NEB (three lenses)",
    )
    neb_seconds = time.perf_counter() - t0
    res = study.result
    rows = []
    for p in range(n):
        straight = float((study.c[p] - study.a[p]).norm())
        length = float(res.final.lengths[p].sum())
        rows.append(
            {
                "pair": p,
                "straight: all class": bool(res.rounds[0].all_target[p]),
                "straight: max loss": float(study.straight.max_loss[p]),
                "NEB": gu.category[p],
                # -1 marks "no band found" (straight path, or none within the budget)
                "NEB iterations": int(gu.iterations[p]) if gu.iterations[p] >= 0 else "—",
                "bypass: all class": bool(res.final.all_target[p]),
                "bypass: max loss": float(study.final.max_loss[p]),
                "bypass: length / straight": length / max(straight, 1e-12),
            }
        )
    ran = len(gu.neb_index)
    success = gu.count("nonlinear")
    its = gu.iterations[gu.iterations >= 0].float()
    return Lenses(
        pd.DataFrame(rows).set_index("pair"),
        ran,
        success,
        float(its.median()) if len(its) else float("nan"),
        neb_seconds,
    )


# ---------------------------------------------------------------- records and sentences


@dataclass
class BypassRecords:
    lowers: object
    one_round: object
    orthogonality: object
    pattern: object


def fig3_pattern(study: BypassStudy, pair: int, points: int = 7) -> dict:
    """Fig. 3 for one bypassed pair: images along the straight path and along A → B' → C
    at the same ``points`` positions t, their differences, and the smallest cosine
    similarity of a difference with B' − B (1 by construction: before B the difference
    is (t / t_B)(B' − B), after it ((1 − t)/(1 − t_B))(B' − B))."""
    res = study.result
    j = int(np.flatnonzero(res.first_pairs.numpy() == pair)[0])
    a, c = study.a[pair], study.c[pair]
    b, bp = res.b[j], res.b_prime[j]
    t_b = float(study.straight.position[pair])
    ts = np.linspace(0, 1, points)
    straight = torch.stack([(1 - t) * a + t * c for t in ts])
    bent = torch.stack(
        [
            # t_B = 0 (a barrier at the first image, seen with random weights): t = 0 is A
            a + (t / t_b if t_b > 0 else 0.0) * (bp - a)
            if t <= t_b
            else bp + ((t - t_b) / (1 - t_b)) * (c - bp)
            for t in ts
        ]
    )
    diff = bent - straight
    pattern = (bp - b).flatten()
    cos = [float(F.cosine_similarity(d.flatten(), pattern, dim=0)) for d in diff[1:-1]]
    return {
        "ts": ts,
        "straight": straight,
        "bent": bent,
        "diff": diff,
        "min_cos": min(cos) if cos else 1.0,
        "deviation": float(pattern.norm()),
        "largest_change": float(pattern.abs().max()),
        "ab": float((c - a).norm()),
        "pair": pair,
    }


def record(study: BypassStudy) -> BypassRecords:
    """Scorecard records of the page (see the module docstring for the claims)."""
    from connectivity import scorecard
    from connectivity.stats import binomial_greater, wilcoxon_greater

    s = study.settings
    res = study.result
    note = f"{study.model_name} on {study.source}; the paper: GoogLeNet on ImageNet"
    bypassed = study.bypassed
    why = None
    if not study.pairs.all_modes:
        why = (
            f"the pairs are not all modes: only {study.pairs.candidates} images have "
            f"cross-entropy ≤ {s.mode_max_loss:g}; the endpoints reach "
            f"{float(study.pairs.loss.max()):.3g}"
        )
    elif len(bypassed) < 2 or study.after_one is None:
        why = f"fewer than two straight paths exceed the threshold {s.bypass.threshold:g}"
    if why:
        lowers = scorecard.fail(BYPASS_LOWERS, why, section=SECTION_PATHS)
        one_round = scorecard.fail(BYPASS_ONE_ROUND, why, section=SECTION_PATHS)
    else:
        before = study.straight.max_loss[bypassed]
        after = study.after_one.max_loss[bypassed]
        result = wilcoxon_greater(before - after)
        lowers = scorecard.test(
            BYPASS_LOWERS,
            result,
            reproduced=f"median {np.median(before):.3g} → {np.median(after):.3g}",
            note=note,
            section=SECTION_PATHS,
        )
        below = int((after <= s.bypass.threshold).sum())
        one_round = scorecard.test(
            BYPASS_ONE_ROUND,
            binomial_greater(below, len(after), 0.5),
            reproduced=f"{below}/{len(after)}",
            note=f"threshold {s.bypass.threshold:g}; {note}",
            section=SECTION_PATHS,
        )
    cosine = float(f"{res.max_abs_cos:.3g}")
    cos_note = f"largest |cos| in the {s.bypass.coordinates} coordinates"
    if s.bypass.project_iterate:
        orthogonality = scorecard.check(
            "vrabel2024.bypass.orthogonality",
            "B' − B is orthogonal to C − A (the optimisation stays in its hyperplane)",
            cosine,
            holds=res.max_abs_cos < 1e-4,
            reason="the iterate is projected onto the hyperplane after every step",
            section=SECTION_FIG3,
            note=cos_note,
        )
    else:  # nothing forces orthogonality: a measurement, not a check
        orthogonality = scorecard.measure(
            "vrabel2024.bypass.orthogonality",
            "How far B' − B leaves the hyperplane orthogonal to C − A (the official loop "
            "projects the gradient only, and Adam rescales it per coordinate)",
            cosine,
            unit="|cos|",
            section=SECTION_FIG3,
            note=cos_note,
        )
    if len(bypassed):
        fig = fig3_pattern(study, int(bypassed[0]))
        pattern = scorecard.check(
            "vrabel2024.bypass.fig3_pattern",
            "Fig. 3: the images along A → B' → C differ from those along AC by one pattern, "
            "B' − B, scaled",
            round(fig["min_cos"], 6),
            holds=fig["min_cos"] > 1 - 1e-4,
            reason="both paths are piecewise linear through A and C, so their difference "
            "at t is a multiple of B' − B",
            section=SECTION_FIG3,
        )
    else:
        pattern = scorecard.fail(
            "vrabel2024.bypass.fig3_pattern", "no pair was bypassed", section=SECTION_FIG3
        )
    scorecard.measure(
        "vrabel2024.bypass.connected_within_rounds",
        f"Share of pairs whose path is below the threshold within {s.bypass.max_rounds} rounds",
        round(float((res.rounds_to_threshold >= 0).float().mean()), 4),
        unit="fraction",
        section=SECTION_PATHS,
        note=f"{len(res.rounds_to_threshold)} pairs; threshold {s.bypass.threshold:g}",
    )
    return BypassRecords(lowers, one_round, orthogonality, pattern)


def glue_page(study: BypassStudy, recs: BypassRecords) -> None:
    """Glue every outcome sentence of the §4.1 page (names ``bypass_*``)."""
    from connectivity.prose import glue, glue_say

    s = study.settings
    res = study.result
    pairs = study.pairs
    n = len(pairs.first)
    thr = s.bypass.threshold
    glue("bypass_model", study.model_name)
    modes = (
        f"{n} pairs of images of the {study.source}, each pair of one class, classes taken "
        f"in turn; every endpoint is classified correctly with cross-entropy at most "
        f"{s.mode_max_loss:g} (the largest is {float(pairs.loss.max()):.2g})."
        if pairs.all_modes
        else f"{n} pairs of images of the {study.source}, each pair of one class; only "
        f"{pairs.candidates} images have cross-entropy at most {s.mode_max_loss:g}, so some "
        f"endpoints are **not modes** (cross-entropy up to {float(pairs.loss.max()):.2g}) and "
        "the claims below are marked failed."
    )
    glue("bypass_modes", modes)
    k = len(study.bypassed)
    straight = (
        f"{k} of the {n} straight paths rise above the threshold {thr:g} (median barrier "
        f"height {np.median(study.straight.max_loss):.3g}, largest "
        f"{study.straight.max_loss.max():.3g})"
        + ("." if k == n else "; the others are below it on the straight line already.")
    )
    glue("bypass_straight", straight)
    glue_say(
        recs.lowers,
        reproduced="One round lowers the barrier of the bypassed pairs ({value}; {test}: "
        "p = {p:.2g}), as in the paper.",
        differs="The bypass *raises* the barrier here ({value}; p = {p_opposite:.2g}), unlike "
        "the paper.",
        not_significant="The change of the barrier after one round is not significant "
        "({value}; {test}: p = {p:.2g}).",
        failed="Not tested: {note}.",
    )
    glue_say(
        recs.one_round,
        reproduced="After one round {value} of these paths are below the threshold — most, "
        "as the paper's one round suggests ({test}: p = {p:.2g}).",
        differs="After one round only {value} of these paths are below the threshold: most "
        "keep a secondary barrier above it, unlike the paper's example ({test}: "
        "p = {p_opposite:.2g}).",
        not_significant="After one round {value} of these paths are below the threshold; "
        "whether most are cannot be told at this number of pairs ({test}: p = {p:.2g}).",
        failed="Not tested: {note}.",
    )
    within = int((res.rounds_to_threshold >= 0).sum())
    glue(
        "bypass_rounds",
        f"Within {s.bypass.max_rounds} rounds {within} of the {n} paths are below the "
        f"threshold; {int(res.final.all_target.sum())} of the final paths are classified as "
        f"the class at every evaluated point. The bypass took {res.seconds:.0f} s.",
    )
    if k:
        fig = fig3_pattern(study, int(study.bypassed[0]))
        glue(
            "bypass_fig3",
            f"Every difference image is that one pattern: its cosine similarity with B' − B "
            f"is at least {fig['min_cos']:.6f}. Its size: ‖B' − B‖ = {fig['deviation']:.2f} "
            f"against ‖C − A‖ = {fig['ab']:.2f} ({fig['deviation'] / fig['ab']:.1%} of it), "
            f"and its largest pixel change is {fig['largest_change']:.3f} on the [0, 1] scale "
            "of the pixels.",
        )
    else:
        glue("bypass_fig3", "No pair needed a bypass, so there is no B' to show.")
    glue_say(
        recs.orthogonality,
        check="The optimised points stay in their hyperplanes: the largest "
        "|cos(B' − B, C − A)| is {value:.1e}.",
        failed="The optimised points left their hyperplanes (|cos| up to {value}).",
        no_paper_value="Without the projection of the iterate the optimised points drift "
        "from their hyperplanes: the largest |cos(B' − B, C − A)| is {value:.1e}.",
    )
    lens = study.lenses
    if lens is not None:
        others = lens.neb_ran < s.lens_pairs
        ran = (
            f"NEB ran on {lens.neb_ran} of the {s.lens_pairs} pairs"
            + (
                " (the straight path of the others is classified as the class everywhere, "
                "which is Gu & Borovykh's linear connection)"
                if others
                else ""
            )
            + f" and found a band classified as the class everywhere for {lens.neb_success} "
            "of them"
            + (
                f", after a median of {lens.neb_median_iterations:.0f} iterations"
                if lens.neb_success
                else ""
            )
            + f" ({lens.neb_seconds:.1f} s)."
            if lens.neb_ran
            else f"NEB did not run: the straight path of every one of the {s.lens_pairs} pairs "
            "is classified as the class everywhere, Gu & Borovykh's linear connection, even "
            "where its loss rises above the bypass threshold."
        )
        glue("bypass_lenses", ran)


# ---------------------------------------------------------------- figures


def plot_paths(study: BypassStudy):
    """Figs. 1–2: loss along the straight path and after each round, for the shown pairs."""
    from connectivity import plotting

    res = study.result
    panels = []
    for p in study.shown():
        panels.append(
            {
                "curves": [r.curves[p] for r in res.rounds],
                "lengths": [r.lengths[p] for r in res.rounds],
                "title": f"pair {p} ({study.class_names[int(study.pairs.label[p])]})",
            }
        )
    return plotting.bypass_rounds_grid(panels, study.settings.bypass.threshold, ncols=2)


def plot_fig3(study: BypassStudy):
    """Fig. 3: images along AC (top), along A → B' → C (middle), their difference
    (bottom, amplified to the grey range), for the first bypassed pair."""
    from connectivity import plotting

    if not len(study.bypassed):
        return None
    fig = fig3_pattern(study, int(study.bypassed[0]))
    amp = 0.5 / max(float(fig["diff"].abs().max()), 1e-8)
    images = torch.cat([fig["straight"], fig["bent"], 0.5 + amp * fig["diff"]])
    titles = [f"t = {t:.2f}" for t in fig["ts"]] * 3
    return plotting.image_grid(images, titles, ncols=len(fig["ts"]), size=1.3)


def lens_table(study: BypassStudy):
    """The three-lens comparison, one row per pair (empty without it)."""
    import pandas as pd

    return study.lenses.table if study.lenses is not None else pd.DataFrame()


def pairs_table(study: BypassStudy):
    """One row per pair: class, endpoint losses, barrier height before and after, rounds."""
    import pandas as pd

    res = study.result
    after = study.after_one.max_loss if study.after_one is not None else study.straight.max_loss
    return pd.DataFrame(
        {
            "class": [study.class_names[int(c)] for c in study.pairs.label],
            "CE of A": study.pairs.loss[:, 0].numpy(),
            "CE of C": study.pairs.loss[:, 1].numpy(),
            "straight barrier": study.straight.max_loss,
            "after round 1": after,
            "final": study.final.max_loss,
            "rounds to threshold": res.rounds_to_threshold.numpy(),
        }
    ).rename_axis("pair")
