"""Measures of a latent layout: silhouettes, subspace angles, Procrustes disparity,
disconnected regions, and scale-free spread (Lancione §2.4, §3, §2.2)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from ..stats import TestResult


# ---------------------------------------------------------------------------- silhouettes
def silhouette_from_distances(d: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Silhouette s_i (Rousseeuw 1987) of every sample from a distance matrix d (n, n).

    a_i = mean distance to the other members of its cluster, b_i = smallest mean
    distance to another cluster, s_i = (b_i - a_i) / max(a_i, b_i) (the report's two
    cases in one formula); s_i = 0 for a sample alone in its cluster (as scikit-learn).
    """
    d = d.double()
    classes, inv = labels.unique(return_inverse=True)
    onehot = F.one_hot(inv, len(classes)).double()  # (n, k)
    sums = d @ onehot  # (n, k): summed distance to each cluster
    counts = onehot.sum(0)  # (k,)
    own = onehot.bool()
    a = sums[own] / (counts[inv] - 1).clamp(min=1)
    other = (sums / counts).masked_fill(own, float("inf"))
    b = other.min(1).values
    s = (b - a) / torch.maximum(a, b)
    return torch.where(counts[inv] > 1, s, torch.zeros_like(s)).nan_to_num(0.0)


def silhouette_samples(x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Euclidean silhouette of every sample of x (n, d) (= sklearn's ``silhouette_samples``)."""
    x = x.double()
    return silhouette_from_distances(torch.cdist(x, x), labels)


def silhouette_score(x: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean silhouette s_avg (= ``sklearn.metrics.silhouette_score``)."""
    return silhouette_samples(x, labels).mean().item()


def silhouette_bootstrap(
    x: torch.Tensor, labels: torch.Tensor, n_boot: int = 200, seed: int = 0
) -> np.ndarray:
    """s_avg of ``n_boot`` bootstrap resamples of the samples (with replacement): the
    sampling spread of the score for a validation set of this size. x (n, d)."""
    x = x.double()
    d = torch.cdist(x, x)
    g = torch.Generator().manual_seed(seed)
    out = np.empty(n_boot)
    for b in range(n_boot):
        idx = torch.randint(len(labels), (len(labels),), generator=g)
        out[b] = silhouette_from_distances(d[idx][:, idx], labels[idx]).mean().item()
    return out


# ------------------------------------------------------------------------ subspaces
def principal_angles(a, b) -> np.ndarray:
    """Principal angles (radians, largest first, as ``scipy.linalg.subspace_angles``)
    between the column spaces of a (n, k) and b (n, l) (Björck & Golub 1973): cosines
    from the SVD of Q_a^T Q_b, small angles from the sines for accuracy."""
    qa, _ = np.linalg.qr(np.asarray(a, dtype=np.float64))
    qb, _ = np.linalg.qr(np.asarray(b, dtype=np.float64))
    if qa.shape[1] < qb.shape[1]:
        qa, qb = qb, qa
    cos = np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), -1.0, 1.0)  # descending
    sin = np.linalg.svd(qb - qa @ (qa.T @ qb), compute_uv=False)
    sin = np.clip(np.sort(sin)[: len(cos)], 0.0, 1.0)  # ascending: the same angles' order
    angles = np.where(cos**2 < 0.5, np.arccos(cos), np.arcsin(sin))
    return np.sort(angles)[::-1]


def procrustes_disparity(z1, z2) -> float:
    """Procrustes disparity between two layouts (n, d) of the same samples: the residual
    after the best translation, rotation, reflection and uniform scaling (0 = the same
    picture; 1 = unrelated)."""
    from scipy.spatial import procrustes

    return float(procrustes(np.asarray(z1, dtype=np.float64), np.asarray(z2, dtype=np.float64))[2])


# ------------------------------------------------------------------- spread of codes
def near_origin_fraction(z, radius: float = 0.1) -> float:
    """Fraction of codes z (n, d) within ``radius`` × the layout's extent of the origin,
    the extent being the 99th percentile of the codes' distances from the origin. Scale
    free (the same for z and c·z), so tanh codes in (-1, 1) and unbounded ReLU codes
    compare: Lancione's "most of the data gather around the origin"."""
    r = np.linalg.norm(np.asarray(z, dtype=np.float64), axis=1)
    extent = np.percentile(r, 99)
    return float(np.mean(r < radius * extent)) if extent > 0 else 1.0


def zero_coordinate_fraction(z) -> float:
    """Fraction of codes with at least one coordinate exactly 0 (a ReLU cut off)."""
    return float(np.mean((np.asarray(z) == 0).any(axis=1)))


# ------------------------------------------------------------------------- regions
def count_regions(
    z,
    labels,
    label: int,
    bins: int = 40,
    smooth: float = 1.0,
    min_density: float = 1.0,
    min_frac: float = 0.02,
) -> int:
    """Number of disconnected regions that class ``label`` occupies in a 2-D layout.

    z (n, 2), labels (n,). A square box around the central 99 % of all codes is cut
    into ``bins`` x ``bins`` cells; code counts are smoothed with a Gaussian of
    ``smooth`` cells. A cell belongs to the class when its smoothed count of the class
    is at least ``min_density`` and the class is the majority there. Regions are the
    8-connected components of those cells holding at least ``min_frac`` of the class's
    codes, so isolated stray codes do not count as regions.
    """
    from scipy import ndimage

    z = np.asarray(z, dtype=np.float64)
    labels = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"count_regions needs 2-D codes, got shape {z.shape}")
    lo, hi = np.percentile(z, 0.5, axis=0), np.percentile(z, 99.5, axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.05
    edges = [np.linspace(centre[k] - half, centre[k] + half, bins + 1) for k in range(2)]
    mine = labels == label
    h_all = ndimage.gaussian_filter(np.histogram2d(z[:, 0], z[:, 1], bins=edges)[0], smooth)
    h_raw = np.histogram2d(z[mine, 0], z[mine, 1], bins=edges)[0]
    h_mine = ndimage.gaussian_filter(h_raw, smooth)
    mask = (h_mine >= min_density) & (h_mine * 2 > h_all)
    comp, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return 0
    sizes = ndimage.sum(h_raw, comp, index=np.arange(1, n + 1))
    return int((sizes >= min_frac * mine.sum()).sum())


def split_test(
    z, labels, n_boot: int = 200, seed: int = 0, **grid
) -> tuple[dict[int, int], TestResult]:
    """Regions per class, and a bootstrap test of "some class occupies more than one
    region": the codes are resampled with replacement ``n_boot`` times; p is the share
    of resamples (with the add-one rule) in which no class is split, p_opposite the
    share in which one is. Effect: the observed largest region count minus 1."""
    z, labels = np.asarray(z, dtype=np.float64), np.asarray(labels)
    classes = [int(c) for c in np.unique(labels)]
    regions = {c: count_regions(z, labels, c, **grid) for c in classes}
    rng = np.random.default_rng(seed)
    split = 0
    for _ in range(n_boot):
        idx = rng.integers(0, len(labels), len(labels))
        zb, lb = z[idx], labels[idx]
        split += any(count_regions(zb, lb, c, **grid) > 1 for c in classes)
    test = TestResult(
        f"bootstrap of the codes ({n_boot} resamples)",
        (n_boot - split + 1) / (n_boot + 1),
        (split + 1) / (n_boot + 1),
        float(max(regions.values()) - 1),
        "most regions of one class − 1",
        f"{len(labels)} codes",
    )
    return regions, test
