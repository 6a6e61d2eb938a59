"""Lancione's Fig. 1 as the report drew it (``image_from_vae.png``): images decoded from a
2-D VAE on a grid of latent points, each read by a digit classifier, and the connected
regions each predicted digit occupies in that grid.

* :func:`quantile_grid` - the grid's coordinates: the inverse Gaussian CDF of evenly
  spaced quantiles, ``norm.ppf((i + 0.5) / n)`` (the Keras VAE example's layout, so the
  grid covers the prior N(0, I) with equal probability per row and column);
* :func:`decode_grid` - the decoded n x n images, row i at z_2 = q_i, column j at z_1 = q_j;
* :func:`grid_regions` - the 4-connected regions of every label in an n x n label grid,
  with their sizes in cells.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def quantile_grid(n: int) -> np.ndarray:
    """``n`` latent coordinates ``Phi^-1((i + 0.5) / n)``, i = 0..n-1 (increasing,
    symmetric about 0): the standard normal's quantiles at the centres of n equal slices.

    >>> np.round(quantile_grid(4), 4).tolist()
    [-1.1503, -0.3186, 0.3186, 1.1503]
    """
    if n < 1:
        raise ValueError(f"a quantile grid needs n >= 1, got {n}")
    p = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    return (math.sqrt(2.0) * torch.special.erfinv(2 * p - 1)).numpy()


@torch.no_grad()
def decode_grid(decoder: torch.nn.Module, n: int) -> tuple[np.ndarray, torch.Tensor]:
    """The quantile grid (:func:`quantile_grid`) and the images (n, n, 784) that
    ``decoder`` (latent (m, 2) -> images (m, 784)) gives at its points: image [i, j] is
    decoded at z = (q_j, q_i), so z_1 grows along a row and z_2 down a column."""
    q = quantile_grid(n)
    z2, z1 = np.meshgrid(q, q, indexing="ij")
    z = torch.tensor(np.stack([z1.ravel(), z2.ravel()], axis=1), dtype=torch.float32)
    return q, decoder(z).reshape(n, n, -1)


def grid_regions(labels) -> dict[int, list[int]]:
    """The 4-connected regions (cells sharing an edge) of every label present in a 2-D
    grid of integer labels: {label: sizes of its regions in cells, largest first}.

    >>> grid = np.zeros((4, 4), int); grid[0, 0] = grid[3, 3] = 6; grid[1, 1] = 6
    >>> grid_regions(grid)[6]  # three single cells: diagonal neighbours are not joined
    [1, 1, 1]
    """
    from scipy import ndimage

    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"grid_regions needs a 2-D label grid, got shape {labels.shape}")
    out = {}
    for label in np.unique(labels):
        comp, n = ndimage.label(labels == label)  # default structure: 4-connectivity
        sizes = np.bincount(comp.ravel(), minlength=n + 1)[1:]
        out[int(label)] = sorted((int(s) for s in sizes), reverse=True)
    return out
