"""What the §4.1 page computes: mode pairs of a class, the bypass of their straight-path
barriers, and the three-lens comparison.

The protocol of the paper and the official ``sec4_1_input_space_connectivity.py``: modes
are validation (here: test) images of a class with a very low cross-entropy (the paper:
"in the order of 1e-4 or lower"; the official ``prepare_imagenet_tensors.py`` keeps the
lowest-loss images of a class). Two modes of a class are joined by the straight path
(1,000 points); its point of largest loss B is optimised in the hyperplane orthogonal to
AC (:func:`connectivity.bypass.connect_modes`, in the model's normalised coordinates) and
the path A → B' → C (500 points per segment) replaces it; segments still above the
threshold are bypassed again, round after round.

:func:`run` is these steps: the network and images
(:func:`..networks.load_model_and_images`), :func:`cross_entropy` of every image,
:func:`draw_mode_pairs`, the bypass rounds (:func:`connectivity.bypass.connect_modes`),
the barrier heights of the straight, first-round and final paths, and
:func:`three_lenses`; :func:`fig3_pattern` gives Fig. 3's images for one bypassed pair.
No records, sentences or figures here (``report``, ``figures``).

Example::

    settings = BypassSettings.resolve("smoke")
    study = run(settings)              # BypassStudy
    study.shown()                      # the pairs of Figs. 1–2
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from connectivity.barriers import BarrierHeights, barrier_heights
from connectivity.bypass import BypassResult, connect_modes
from connectivity.models import model_device
from connectivity.neb import connect_pairs

from ..networks import load_model_and_images, reader_model_and_images
from .settings import BypassSettings

# ---------------------------------------------------------------- modes


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
    """Everything the page shows: the pairs of modes ``a``, ``c`` (P, C, H, W) and their
    :class:`ModePairs`, the bypass rounds (``result``), the barrier heights of the
    straight paths, the paths after one round and the final paths, and the three-lens
    comparison (None when ``lens_pairs`` is 0)."""

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
    # whose classifier, where a reader's checkpoint ran (file, sha256, architecture, data
    # set, test accuracy measured here); None for the book's own
    reader: dict | None = None

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
    reader = None
    if s.checkpoint is None:
        model, images, model_name = load_model_and_images(
            s.model, s.profile, s.pretrained, s.classes, s.images_per_class, s.seed
        )
    else:
        model, images, model_name, reader = reader_model_and_images(s.checkpoint, s.classes)
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
        reader=reader,
    )
    if s.lens_pairs:
        study.lenses = three_lenses(model, study)
    study.seconds = time.perf_counter() - t0
    return study


def three_lenses(model: nn.Module, study: BypassStudy) -> Lenses:
    """Straight line, NEB (Gu & Borovykh's test: stops at the first band all of the
    class) and the bypass on the first ``lens_pairs`` pairs."""
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


# ---------------------------------------------------------------- Fig. 3


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
