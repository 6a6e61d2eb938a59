"""Paths between two inputs (or latents) and what a classifier says along them.

Conventions: a batch of P pairs; points of a space have shape ``S`` (e.g. (3, 32, 32)
for images, (128,) for pooled features); a path is a tensor (P, K, *S) of K points
from the first endpoint to the second. A *band* is a piecewise-linear path given by
its pivots (P, N, *S), endpoints included; pivot i sits at parameter t = i / (N - 1).

Every function computes on the device of the tensors it is given (the model's: the
caller moves endpoints there) and returns its results on that device, except
:func:`same_class_pairs`, whose indices are CPU tensors (they index a data set).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .caching import cached
from .data import Dataset
from .models import model_device
from .training import predict

# points per forward batch are capped so that one batch holds at most this many floats
MAX_BATCH_FLOATS = 2**26


def linear_path(z1: torch.Tensor, z2: torch.Tensor, n_points: int) -> torch.Tensor:
    """Straight paths: z1, z2 (P, *S) -> (P, n_points, *S), endpoints included."""
    if n_points < 2:
        raise ValueError(f"a path needs at least 2 points, got {n_points}")
    t = torch.linspace(0, 1, n_points, dtype=z1.dtype, device=z1.device)
    t = t.view(1, -1, *[1] * (z1.dim() - 1))
    return (1 - t) * z1.unsqueeze(1) + t * z2.unsqueeze(1)


def resample(pivots: torch.Tensor, per_segment: int) -> torch.Tensor:
    """Dense points on the piecewise-linear path through pivots (P, N, *S):
    ``per_segment`` points per segment (left end included) plus the last pivot
    -> (P, (N - 1) * per_segment + 1, *S)."""
    a, b = pivots[:, :-1], pivots[:, 1:]  # (P, N-1, *S)
    t = torch.arange(per_segment, dtype=pivots.dtype, device=pivots.device) / per_segment
    t = t.view(1, 1, -1, *[1] * (pivots.dim() - 2))
    pts = a.unsqueeze(2) + t * (b - a).unsqueeze(2)  # (P, N-1, per_segment, *S)
    return torch.cat([pts.flatten(1, 2), pivots[:, -1:]], dim=1)


def band_times(n_pivots: int, n_points: int, device=None) -> torch.Tensor:
    """Where a band of ``n_pivots`` pivots (endpoints included) is checked: the
    ``n_points`` equally spaced parameters of the straight-line check, t = k/(n_points-1),
    and every pivot's own t = i/(n_pivots-1), sorted and without duplicates -> (K,).

    For a band that is still the straight segment the check therefore visits every
    point the straight-line check visits (and the pivots): a band cannot pass where
    the segment failed."""
    if n_pivots < 2 or n_points < 2:
        raise ValueError(f"a band needs >= 2 pivots and >= 2 points, got {n_pivots}, {n_points}")
    grid = torch.arange(n_points, dtype=torch.float64) / (n_points - 1)
    piv = torch.arange(n_pivots, dtype=torch.float64) / (n_pivots - 1)
    ts = torch.cat([grid, piv]).sort().values
    keep = torch.ones_like(ts, dtype=torch.bool)
    keep[1:] = ts[1:] - ts[:-1] > 1e-12
    return ts[keep].to(device=device)


def _batch_size(point: torch.Size, batch_size: int) -> int:
    numel = 1
    for s in point:
        numel *= int(s)
    return max(1, min(batch_size, MAX_BATCH_FLOATS // max(numel, 1)))


@torch.no_grad()
def _evaluate(
    tail: nn.Module,
    points_of,
    P: int,
    K: int,
    target: torch.Tensor,
    batch_size: int,
    point_shape: torch.Size,
) -> dict:
    """Shared loop: ``points_of(p, k)`` builds the points of flat indices (B,) on the fly."""
    device = target.device
    total = P * K
    bs = _batch_size(point_shape, batch_size)
    logits = []
    for s in range(0, total, bs):
        i = torch.arange(s, min(total, s + bs), device=device)
        logits.append(tail(points_of(i // K, i % K)))
    logits = torch.cat(logits).view(P, K, -1)
    tgt = target.view(P, 1).expand(P, K)
    loss = F.cross_entropy(logits.reshape(total, -1), tgt.reshape(-1), reduction="none")
    pred = logits.argmax(-1)
    return {
        "probs": logits.softmax(-1),
        "pred": pred,
        "loss": loss.view(P, K),
        "all_target": (pred == tgt).all(1),
    }


@torch.no_grad()
def evaluate_path(
    tail: nn.Module, path: torch.Tensor, target: torch.Tensor, batch_size: int = 2048
) -> dict:
    """Classifier outputs along paths: path (P, K, *S), target (P,) ->
    ``probs`` (P, K, classes), ``pred`` (P, K), ``loss`` (P, K) cross-entropy of the
    target, ``all_target`` (P,) bool: every point classified as the target."""
    P, K = path.shape[:2]
    target = target.to(path.device)
    return _evaluate(tail, lambda p, k: path[p, k], P, K, target, batch_size, path.shape[2:])


@torch.no_grad()
def evaluate_linear(
    tail: nn.Module,
    z1: torch.Tensor,
    z2: torch.Tensor,
    n_points: int,
    target: torch.Tensor,
    batch_size: int = 2048,
) -> dict:
    """:func:`evaluate_path` of ``linear_path(z1, z2, n_points)`` without building the
    ``(P, n_points, *S)`` tensor: each batch of points is interpolated just before the
    forward pass, so memory stays at one batch. Same keys and shapes."""
    if n_points < 2:
        raise ValueError(f"a path needs at least 2 points, got {n_points}")
    P = z1.shape[0]
    ts = torch.linspace(0, 1, n_points, dtype=z1.dtype, device=z1.device)
    shape = [1] * (z1.dim() - 1)

    def points(p, k):
        a = z1.index_select(0, p)
        return a.add_(ts[k].view(-1, *shape) * (z2.index_select(0, p) - a))

    return _evaluate(tail, points, P, n_points, target.to(z1.device), batch_size, z1.shape[1:])


@torch.no_grad()
def evaluate_band(
    tail: nn.Module,
    pivots: torch.Tensor,
    ts: torch.Tensor,
    target: torch.Tensor,
    batch_size: int = 2048,
) -> dict:
    """:func:`evaluate_path` at parameters ``ts`` (K,) in [0, 1] of the piecewise-linear
    bands through ``pivots`` (P, N, *S) (pivot i at t = i/(N-1)), built batch by batch.
    Same keys and shapes as :func:`evaluate_path` with K points per band."""
    P, N = pivots.shape[:2]
    ts = ts.to(device=pivots.device, dtype=pivots.dtype)
    seg = (ts * (N - 1)).floor().clamp(0, N - 2).long()
    frac = ts * (N - 1) - seg
    shape = [1] * (pivots.dim() - 2)

    def points(p, k):
        j = seg[k]
        a = pivots[p, j]
        return a.add_(frac[k].view(-1, *shape) * (pivots[p, j + 1] - a))

    return _evaluate(
        tail, points, P, len(ts), target.to(pivots.device), batch_size, pivots.shape[2:]
    )


def segment_departure(pivots: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """How far bands (P, N, *S) (endpoints first and last) leave their straight segment.

    Each pivot's residual r_i = z_i - (z_1 + s_i d), d = z_N - z_1, s_i its projection on
    the segment clipped to [0, 1]. Returns ``linf`` (P,) = max_i max |r_i| (in the
    space's units) and ``rel_l2`` (P,) = max_i ||r_i||_2 / ||d||_2.

    >>> band = torch.tensor([[[0.0, 0.0], [0.5, 0.2], [1.0, 0.0]]])
    >>> [round(float(v), 3) for v in segment_departure(band)]
    [0.2, 0.2]
    """
    P, N = pivots.shape[:2]
    flat = pivots.reshape(P, N, -1)
    z1, d = flat[:, :1], flat[:, -1:] - flat[:, :1]
    dd = (d * d).sum(-1, keepdim=True).clamp_min(1e-30)
    s = (((flat - z1) * d).sum(-1, keepdim=True) / dd).clamp(0, 1)
    r = flat - z1 - s * d
    linf = r.abs().amax((1, 2))
    rel = r.norm(dim=-1).amax(1) / dd.view(P).sqrt()
    return linf, rel


@torch.no_grad()
def same_class_pairs(
    model: nn.Module,
    ds: Dataset,
    n_pairs: int,
    seed: int,
    classes: list[int] | None = None,
    batch_size: int = 1000,
    max_loss: float | None = None,
    logits: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n_pairs`` pairs of distinct images of the same class, both classified correctly,
    spread over the classes in turn (pair k has class classes[k % C], skipping classes
    with too few correct images left), drawn with ``seed``.

    With ``max_loss`` only images whose cross-entropy is at most that are used (the
    "low-loss modes" of Vrabel et al.). ``logits`` (N, classes): the model's outputs on
    ``ds`` if already computed. The model runs on its own device; returns CPU
    tensors: indices (n_pairs, 2) into ``ds``, the class of each pair (n_pairs,), and
    the model's predictions for the data set (N,).
    """
    if logits is None:
        model.eval()
        device = model_device(model)
        logits = torch.cat(
            [
                model(ds.x[i : i + batch_size].to(device)).cpu()
                for i in range(0, len(ds), batch_size)
            ]
        )
    logits = logits.cpu()
    pred = logits.argmax(1)
    correct = pred == ds.y
    if max_loss is not None:
        correct &= F.cross_entropy(logits, ds.y, reduction="none") <= max_loss
    classes = list(range(ds.num_classes)) if classes is None else list(classes)
    g = torch.Generator().manual_seed(seed)
    pools = {c: torch.nonzero(correct & (ds.y == c)).flatten() for c in classes}
    pools = {c: p[torch.randperm(len(p), generator=g)] for c, p in pools.items()}
    used = {c: 0 for c in classes}
    idx, cls = [], []
    k = 0
    while len(idx) < n_pairs:
        open_classes = [c for c in classes if used[c] + 2 <= len(pools[c])]
        if not open_classes:
            raise ValueError(
                f"only {len(idx)} same-class pairs of correctly classified images; "
                f"{n_pairs} asked for"
            )
        c = classes[k % len(classes)]
        k += 1
        if c not in open_classes:  # class exhausted (a weak model): take the next one
            continue
        idx.append(pools[c][used[c] : used[c] + 2])
        used[c] += 2
        cls.append(c)
    return torch.stack(idx), torch.tensor(cls), pred


_LOGITS: dict[tuple, torch.Tensor] = {}


def dataset_logits(model: torch.nn.Module, model_key: str, ds) -> torch.Tensor:
    """The model's logits (N, classes) on every image of ``ds`` (CPU), computed once per
    model and data set (kept in memory and in the cache)."""
    key = (model_key, ds.name, ds.split, len(ds))
    if key not in _LOGITS:
        params = {"model": model_key, "data": list(key[1:])}
        _LOGITS[key] = cached("logits", params, lambda: predict(model, ds.x))
    return _LOGITS[key]
