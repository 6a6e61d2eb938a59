"""Paths between two inputs (or latents) and what a classifier says along them.

Conventions: a batch of P pairs; points of a space have shape ``S`` (e.g. (3, 32, 32)
for images, (128,) for pooled features); a path is a tensor (P, K, *S) of K points
from the first endpoint to the second.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .data import Dataset


def linear_path(z1: torch.Tensor, z2: torch.Tensor, n_points: int) -> torch.Tensor:
    """Straight paths: z1, z2 (P, *S) -> (P, n_points, *S), endpoints included."""
    if n_points < 2:
        raise ValueError(f"a path needs at least 2 points, got {n_points}")
    t = torch.linspace(0, 1, n_points, dtype=z1.dtype, device=z1.device).view(1, -1, *[1] * (z1.dim() - 1))
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


@torch.no_grad()
def evaluate_path(tail: nn.Module, path: torch.Tensor, target: torch.Tensor, batch_size: int = 2048) -> dict:
    """Classifier outputs along paths: path (P, K, *S), target (P,) ->
    ``probs`` (P, K, classes), ``pred`` (P, K), ``loss`` (P, K) cross-entropy of the
    target, ``all_target`` (P,) bool: every point classified as the target."""
    P, K = path.shape[:2]
    flat = path.reshape(P * K, *path.shape[2:])
    logits = torch.cat([tail(flat[i:i + batch_size]) for i in range(0, len(flat), batch_size)]).view(P, K, -1)
    probs = logits.softmax(-1)
    tgt = target.view(P, 1).expand(P, K)
    loss = F.cross_entropy(logits.reshape(P * K, -1), tgt.reshape(-1), reduction="none").view(P, K)
    pred = logits.argmax(-1)
    return {"probs": probs, "pred": pred, "loss": loss, "all_target": (pred == tgt).all(1)}


@torch.no_grad()
def evaluate_linear(tail: nn.Module, z1: torch.Tensor, z2: torch.Tensor, n_points: int, target: torch.Tensor,
                    batch_size: int = 2048) -> dict:
    """:func:`evaluate_path` of ``linear_path(z1, z2, n_points)`` without building the
    (P, n_points, *S) tensor: each batch of points is interpolated just before the
    forward pass, so memory stays at one batch. Same keys and shapes."""
    if n_points < 2:
        raise ValueError(f"a path needs at least 2 points, got {n_points}")
    P = z1.shape[0]
    total = P * n_points
    ts = torch.linspace(0, 1, n_points, dtype=z1.dtype, device=z1.device)
    logits = []
    for s in range(0, total, batch_size):
        i = torch.arange(s, min(total, s + batch_size), device=z1.device)
        p, t = i // n_points, ts[i % n_points].view(-1, *[1] * (z1.dim() - 1))
        a = z1.index_select(0, p)
        logits.append(tail(a.add_(t * (z2.index_select(0, p) - a))))
    logits = torch.cat(logits).view(P, n_points, -1)
    tgt = target.view(P, 1).expand(P, n_points)
    loss = F.cross_entropy(logits.reshape(total, -1), tgt.reshape(-1), reduction="none").view(P, n_points)
    pred = logits.argmax(-1)
    return {"probs": logits.softmax(-1), "pred": pred, "loss": loss, "all_target": (pred == tgt).all(1)}


@torch.no_grad()
def same_class_pairs(model: nn.Module, ds: Dataset, n_pairs: int, seed: int, classes: list[int] | None = None,
                     batch_size: int = 1000, max_loss: float | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``n_pairs`` pairs of distinct images of the same class, both classified correctly,
    spread over the classes in turn (pair k has class classes[k % C], skipping classes
    with too few correct images left), drawn with ``seed``.

    With ``max_loss`` only images whose cross-entropy is at most that are used (the
    "low-loss modes" of Vrabel et al.). Returns indices (n_pairs, 2) into ``ds``, the
    class of each pair (n_pairs,), and the model's predictions for the data set (N,).
    """
    model.eval()
    logits = torch.cat([model(ds.x[i:i + batch_size]) for i in range(0, len(ds), batch_size)])
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
            raise ValueError(f"only {len(idx)} same-class pairs of correctly classified images; {n_pairs} asked for")
        c = classes[k % len(classes)]
        k += 1
        if c not in open_classes:  # class exhausted (a weak model): take the next one
            continue
        idx.append(pools[c][used[c]:used[c] + 2])
        used[c] += 2
        cls.append(c)
    return torch.stack(idx), torch.tensor(cls), pred
