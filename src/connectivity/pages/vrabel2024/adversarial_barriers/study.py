"""What the §4.2 page computes: the pairs of both branches, the targeted attack, the
barrier statistics of every straight path, and the bypass rounds of Fig. 5.

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
bypass rounds (Fig. 5). For §4.2.1's claim on the detector's barrier, correctly classified
second images are attacked by the benchmark's five untargeted attacks and the barrier gap
of each adversarial's path to its predicted class's reference is taken
(:func:`untargeted_barrier_gaps`).

:func:`run` is these steps: the network and images (:func:`load_model_and_images`),
:func:`draw_pairs`, the cached targeted attack, :func:`straight_path_statistics` of both
branches with :func:`drop_unbalanced`, Fig. 4's example, the bypass rounds and the
untargeted attacks' barrier gaps. No records, sentences or figures here (``report``,
``figures``).

Example::

    settings = AdversarialBarriersSettings.resolve("smoke")
    study = run(settings)                # AdversarialBarriersStudy
    study.kept("real_adversarial")       # pandas table of the pairs kept
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from connectivity.attacks import (
    UNTARGETED,
    TargetedAttackResult,
    UntargetedConfig,
    targeted_attack,
    untargeted_attack,
)
from connectivity.barriers import barrier_heights
from connectivity.bypass import connect_modes
from connectivity.caching import cached, tensor_fingerprint
from connectivity.input_paths import evaluate_linear
from connectivity.models import model_device
from connectivity.training import predict

from .. import networks
from ..networks import Images
from .settings import AdversarialBarriersSettings

BRANCHES = ("real_real", "real_adversarial")
# §4.2.1: the barrier is "less pronounced in simpler attacks but more defined in advanced
# ones like deepfool and C&W"
ADVANCED = ("deepfool", "cw")
SIMPLE = ("fgsm", "bim", "pgd")
COLUMN = {"max": "max_loss", "gap": "gap"}  # the paper's quantity -> barrier_heights field


# ---------------------------------------------------------------- data and model


def load_model_and_images(
    settings: AdversarialBarriersSettings,
) -> tuple[nn.Module, Images, str, dict | None]:
    """The network, the images of the study, the model's description and whose it is
    (None for the book's): :func:`..networks.load_model_and_images` (ImageNet: two images
    per pair), or a reader's ``checkpoint`` (:func:`..networks.reader_model_and_images`)."""
    if settings.checkpoint is not None:
        return networks.reader_model_and_images(settings.checkpoint, settings.classes)
    model, images, name = networks.load_model_and_images(
        settings.model,
        settings.profile,
        settings.pretrained,
        settings.classes,
        2 * settings.pairs_per_class,
        settings.seed,
    )
    return model, images, name, None


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
class AdversarialBarriersStudy:
    """Everything the page shows: per branch the barrier statistics of every pair (with a
    ``kept`` column), the attack's outcome, Fig. 4's example and the bypass rounds."""

    settings: AdversarialBarriersSettings
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
    attack_gaps: pd.DataFrame | None = None  # image x untargeted attack: barrier gap
    attacked_images: int = 0  # correctly classified images the five attacks were run on
    seconds: float = 0.0
    # whose classifier, where a reader's checkpoint ran (file, sha256, architecture, data
    # set, test accuracy measured here); None for the book's own
    reader: dict | None = None

    def kept(self, branch: str) -> pd.DataFrame:
        frame = self.stats[branch]
        return frame[frame["kept"]]


def run(settings: AdversarialBarriersSettings) -> AdversarialBarriersStudy:
    """The §4.2 study (see the module docstring)."""
    t0 = time.perf_counter()
    model, images, model_name, reader = load_model_and_images(settings)
    pairs = draw_pairs(images.y, settings.classes, settings.pairs_per_class, settings.seed)
    a, c, k = images.x[pairs.first], images.x[pairs.second], images.x[pairs.source]
    label = pairs.label
    adv = targeted_adversarials(settings, model, model_name, pairs, a, k)
    stats = {
        "real_real": straight_path_statistics(model, a, c, label, settings.path_steps),
        "real_adversarial": straight_path_statistics(model, a, adv.x, label, settings.path_steps),
    }
    for frame in stats.values():
        frame["kept"] = drop_unbalanced(frame, settings.drop_per_class)
    example, labels = fig4_example(model, images, pairs, a, k, adv.x)
    study = AdversarialBarriersStudy(
        settings,
        model_name,
        images.source,
        images.classes,
        stats,
        float(adv.success.float().mean()),
        float(adv.stopped.float().mean()),
        float(adv.iterations.float().median()),
        example,
        labels,
        reader=reader,
    )
    study.bypass = _bypass_rounds(settings, model, a, c, adv.x, label, stats)
    study.attack_gaps, study.attacked_images = untargeted_barrier_gaps(
        settings, model, model_name, a, c, label, stats
    )
    study.seconds = time.perf_counter() - t0
    return study


def targeted_adversarials(
    settings: AdversarialBarriersSettings,
    model: nn.Module,
    model_name: str,
    pairs: Pairs,
    a: torch.Tensor,
    k: torch.Tensor,
) -> TargetedAttackResult:
    """The adversarials K' (:func:`connectivity.attacks.targeted_attack`, cached as
    ``vrabel-targeted-attack``): each source image ``k`` (n, C, H, W) attacked towards
    its pair's class until its loss is below that of the real image ``a`` (n, C, H, W)."""
    device = model_device(model)
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
        # the images themselves: indices alone would reuse an attack made from another
        # ImageNet folder (or data set version) with the same settings
        "images": tensor_fingerprint([a, k]),
        "attack": settings.attack,
        "algorithm": 1,
    }
    return cached("vrabel-targeted-attack", params, attack)


def fig4_example(
    model: nn.Module,
    images: Images,
    pairs: Pairs,
    a: torch.Tensor,
    k: torch.Tensor,
    adv: torch.Tensor,
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Fig. 4: the first pair's real image A, source K and adversarial K' (C, H, W), and
    their titles (K' with the class the network gives it)."""
    device = model_device(model)
    label = pairs.label
    j = 0
    example = {"A": a[j], "K": k[j], "K'": adv[j]}
    names = images.classes
    with torch.no_grad():
        pred = int(model(adv[j : j + 1].to(device)).argmax(1))
    labels = {
        "A": f"A: {names[int(label[j])]}",
        "K": f"K: {names[int(images.y[pairs.source[j]])]}",
        "K'": f"K': classified {names[pred] if pred < len(names) else pred}",
    }
    return example, labels


def _state_hash(model: nn.Module) -> str:
    h = hashlib.sha256()
    for name, t in model.state_dict().items():
        h.update(name.encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def _bypass_rounds(settings, model, a, c, adv, label, stats) -> BypassRun:
    """Bypass rounds for the first ``bypass_pairs`` kept pairs of each branch, in one batch.
    Fig. 5 shows the first real–adversarial pair that needed more than one round (else the
    one with the highest straight-path barrier) and the first real–real pair."""
    chosen = {
        b: np.flatnonzero(stats[b]["kept"].to_numpy())[: settings.bypass_pairs] for b in BRANCHES
    }
    ends = {"real_real": c, "real_adversarial": adv}
    first = torch.cat([a[chosen[b]] for b in BRANCHES])
    second = torch.cat([ends[b][chosen[b]] for b in BRANCHES])
    target = torch.cat([label[chosen[b]] for b in BRANCHES])
    res = connect_modes(model, first, second, target, settings.bypass)
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


# ---------------------------------------------------------------- §4.2.1's attacks


def class_references(a: torch.Tensor, label: torch.Tensor, loss_a: torch.Tensor) -> dict:
    """Per class: the index (into ``a``) of its lowest-loss first image, the class's
    reference mode (the detector's "low-loss reference image from the same class")."""
    refs = {}
    for c in label.unique().tolist():
        members = torch.nonzero(label == c).flatten()
        refs[int(c)] = int(members[torch.argmin(loss_a[members])])
    return refs


def barrier_gap_table(
    model: nn.Module,
    adversarials: dict[str, torch.Tensor],
    references: torch.Tensor,
    ref_index: dict[int, int],
    steps: int,
) -> pd.DataFrame:
    """Per image (rows) and attack (columns): the gap (height above the higher endpoint)
    of the cross-entropy of the adversarial's predicted class on the straight path from
    the adversarial to that class's reference (``references[ref_index[class]]``); NaN
    where the prediction has no reference."""
    device = model_device(model)
    out = {}
    for name, x in adversarials.items():
        with torch.no_grad():
            pred = model(x.to(device)).argmax(1).cpu()
        has = torch.tensor([int(p) in ref_index for p in pred], dtype=torch.bool)
        gaps = np.full(len(x), np.nan)
        if has.any():
            idx = torch.tensor([ref_index[int(p)] for p in pred[has]])
            frame = straight_path_statistics(model, x[has], references[idx], pred[has], steps)
            gaps[has.numpy()] = frame["gap"].to_numpy()
        out[name] = gaps
    return pd.DataFrame(out)


def untargeted_barrier_gaps(
    settings, model, model_name, a, c, label, stats
) -> tuple[pd.DataFrame, int]:
    """§4.2.1's barriers, per attack: the first ``barrier_attack_images`` second images
    ``c`` of the pairs that the network classifies correctly are attacked by each of the
    benchmark's five untargeted attacks (cached as ``vrabel-barrier-untargeted``); each
    adversarial is joined by a straight path to the reference of its predicted class (the
    lowest-loss first image ``a`` of that class) and the path's barrier gap is taken
    (:func:`barrier_gap_table`). Returns the table (rows: images every attack turned;
    columns: ``index``, the pair, and the attacks; empty when no image is classified
    correctly) and the number of images attacked."""
    loss_a = torch.tensor(stats["real_real"]["start"].to_numpy(), dtype=torch.float32)
    pred_c = predict(model, c, batch_size=256).argmax(1)
    chosen = torch.nonzero(pred_c == label).flatten()[: settings.barrier_attack_images]
    if len(chosen) == 0:
        return pd.DataFrame(columns=["index", *UNTARGETED]), 0
    x, y = c[chosen], label[chosen]
    cfg: UntargetedConfig = settings.barrier_attacks
    params = {
        "model": model_name,
        "state": _state_hash(model),
        "images": tensor_fingerprint([x]),
        "labels": y.tolist(),
        "attacks": cfg,
        "algorithm": 1,
    }

    def attack():
        return {name: untargeted_attack(model, x, y, name, cfg) for name in UNTARGETED}

    results = cached("vrabel-barrier-untargeted", params, attack)
    turned = torch.stack([results[n].success for n in UNTARGETED]).all(0)
    gaps = barrier_gap_table(
        model,
        {n: results[n].x[turned] for n in UNTARGETED},
        a,
        class_references(a, label, loss_a),
        settings.path_steps,
    )
    gaps.insert(0, "index", chosen[turned].numpy())
    return gaps.dropna().reset_index(drop=True), len(chosen)
