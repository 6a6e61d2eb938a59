"""PCA in closed form: what a tied linear autoencoder converges to (Lancione §2.3).

A linear autoencoder with tied weights, trained to its optimum on the squared error,
reconstructs through the orthogonal projection onto the span of the first ``k``
principal components (Baldi & Hornik 1989; Plaut 2018): its codes are PCA's scores up
to a rotation. :func:`fit_pca` computes that plane exactly, from the eigenvectors of the
covariance matrix in float64 (scikit-learn's ``covariance_eigh`` solver): deterministic,
unlike scikit-learn's default (randomized, unseeded) solver for data of this size, whose
random start made the numbers of an earlier build differ between runs at ~1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class PCAFit:
    """Principal components of a data set.

    mean (n_features,); components (k, n_features), orthonormal rows sorted by
    decreasing variance, signs as scikit-learn's (largest |entry| of each row positive);
    variances (k,) the explained variances (ddof = 1, as ``PCA.explained_variance_``).
    """

    mean: torch.Tensor
    components: torch.Tensor
    variances: torch.Tensor

    def transform(self, x: torch.Tensor) -> torch.Tensor:
        """Scores (n, k) of x (n, n_features)."""
        return (x.double() - self.mean) @ self.components.T

    def reconstruct(self, x: torch.Tensor, k: int | None = None) -> torch.Tensor:
        """Projection of x (n, n_features) onto the plane of the first ``k`` components."""
        c = self.components[: k or len(self.components)]
        return ((x.double() - self.mean) @ c.T) @ c + self.mean

    def plane(self, k: int = 2) -> torch.Tensor:
        """(n_features, k): an orthonormal basis of the first ``k`` components' span."""
        return self.components[:k].T


def fit_pca(x: torch.Tensor, k: int) -> PCAFit:
    """The first ``k`` principal components of x (n, n_features).

    >>> fit = fit_pca(torch.randn(100, 5), 2)
    >>> fit.components.shape, fit.transform(torch.randn(3, 5)).shape
    (torch.Size([2, 5]), torch.Size([3, 2]))
    """
    x = x.double()
    if not 1 <= k <= min(x.shape):
        raise ValueError(f"k must be in [1, {min(x.shape)}], got {k}")
    mean = x.mean(0)
    centred = (x - mean).numpy()
    cov = centred.T @ centred / (len(x) - 1)
    values, vectors = np.linalg.eigh(cov)  # ascending; LAPACK syevd, deterministic
    order = np.argsort(values)[::-1][:k]
    vt = torch.from_numpy(np.ascontiguousarray(vectors[:, order].T))
    signs = torch.sign(vt.gather(1, vt.abs().argmax(1, keepdim=True)))
    return PCAFit(mean, vt * signs, torch.from_numpy(values[order].copy()))
