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


def edge_sharpness(recon, x, side: int = 28) -> float:
    """How much of the originals' edges the reconstructions keep: the summed absolute
    horizontal and vertical pixel differences of ``recon`` over those of ``x``, both
    (n, side * side) or (n, 1, side, side), averaged over images. Blurring spreads an edge
    over several pixels and so lowers this below 1 (the report's "more blurred"); a
    perfect reconstruction gives 1. Scale: pixel differences, not MSE, which a blur of a
    thin stroke barely moves.

    >>> x = torch.zeros(1, 28 * 28); x[0, ::2] = 1.0
    >>> edge_sharpness(x, x)
    1.0
    """

    def edges(img):
        img = torch.as_tensor(img, dtype=torch.float64).reshape(-1, side, side)
        dh = (img[:, :, 1:] - img[:, :, :-1]).abs().sum((1, 2))
        dv = (img[:, 1:, :] - img[:, :-1, :]).abs().sum((1, 2))
        return dh + dv

    orig = edges(x)
    keep = orig > 0  # a blank image has no edges to keep
    return float((edges(recon)[keep] / orig[keep]).mean())


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


def one_blob_per_class(z, labels, rng) -> np.ndarray:
    """A layout with one mode per class: every class's codes replaced by as many draws
    from one Gaussian with that class's mean and covariance (the calibration layouts of
    :func:`split_test`'s tests)."""
    z, labels = np.asarray(z, dtype=np.float64), np.asarray(labels)
    out = np.empty_like(z)
    for c in np.unique(labels):
        mine = labels == c
        cov = np.cov(z[mine].T) if mine.sum() > 2 else np.eye(2) * 1e-6
        out[mine] = rng.multivariate_normal(z[mine].mean(0), cov, int(mine.sum()))
    return out


def split_test(
    z, labels, n_subsamples: int = 100, seed: int = 0, fraction: float = 0.5, **grid
) -> tuple[dict[int, int], TestResult]:
    """Regions per class, and whether "some class occupies more than one region" is a
    stable property of the layout.

    The claim needs a split in the full codes, and the same in most subsamples of
    ``fraction`` of the codes drawn without replacement (a bootstrap's duplicated codes
    make the grid grainy: it split 44 % of layouts with one Gaussian blob per class).
    p = one-sided binomial test that more than half of the ``n_subsamples`` show a split
    (1 when the full codes show none); p_opposite, that fewer than half do. Subsamples
    overlap, so p is a stability criterion rather than an exact test; on layouts with
    one blob per class (:func:`one_blob_per_class`) it calls about one in twenty split
    (tests/test_latent_metrics.py). Effect: share of subsamples with a split − ½.

    >>> rng = np.random.default_rng(0)
    >>> z = np.concatenate([rng.normal([-3, 0], .3, (300, 2)), rng.normal([0, 0], .3, (300, 2)),
    ...                     rng.normal([3, 0], .3, (300, 2))])
    >>> regions, test = split_test(z, np.repeat([0, 1, 0], 300), 20)
    >>> regions, test.verdict()
    ({0: 2, 1: 1}, 'reproduced')
    """
    from scipy.stats import binomtest

    z, labels = np.asarray(z, dtype=np.float64), np.asarray(labels)
    if n_subsamples < 1 or not 0 < fraction < 1:
        raise ValueError("split_test: n_subsamples >= 1 and 0 < fraction < 1")
    classes = [int(c) for c in np.unique(labels)]
    regions = {c: count_regions(z, labels, c, **grid) for c in classes}
    rng = np.random.default_rng(seed)
    m = int(round(fraction * len(labels)))
    hits = 0
    for _ in range(n_subsamples):
        idx = rng.choice(len(labels), m, replace=False)
        hits += any(count_regions(z[idx], labels[idx], c, **grid) > 1 for c in classes)
    split_in_full = max(regions.values()) > 1
    test = TestResult(
        f"split in {hits} of {n_subsamples} half-subsamples (binomial vs ½)",
        binomtest(hits, n_subsamples, 0.5, alternative="greater").pvalue if split_in_full else 1.0,
        binomtest(hits, n_subsamples, 0.5, alternative="less").pvalue,
        hits / n_subsamples - 0.5,
        "share of subsamples with a split − ½",
        f"{len(labels)} codes",
    )
    return regions, test
