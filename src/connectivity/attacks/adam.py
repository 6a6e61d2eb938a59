"""Adam on the rows of one tensor, rows (examples) dropping out as they finish: the
optimiser of the targeted attack of Vrabel et al. (2024) §4.2 (:mod:`.targeted`, as
``torch.optim.Adam``) and of the L2 Carlini–Wagner attack of the benchmark of Harder et
al. (2021) (:mod:`.carlini_wagner`, as foolbox 3's ``AdamOptimizer``).

Example::

    adam = _Adam(delta, lr=0.01)
    adam.step(active, grad)            # updates only the rows ``active`` of delta
"""

from __future__ import annotations

import torch


class _Adam:
    """Adam on one tensor whose rows (examples) may drop out: ``step(rows, grad)``
    updates only ``rows``. Same update as ``torch.optim.Adam`` and foolbox's
    ``AdamOptimizer`` (bias-corrected, ε added to the root of the second moment); the
    step count is shared, so rows must start together."""

    def __init__(self, param: torch.Tensor, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.param, self.lr, self.betas, self.eps = param, lr, betas, eps
        self.m = torch.zeros_like(param)
        self.v = torch.zeros_like(param)
        self.t = 0

    def step(self, rows: torch.Tensor, grad: torch.Tensor) -> None:
        self.t += 1
        b1, b2 = self.betas
        m = self.m[rows].mul_(b1).add_(grad, alpha=1 - b1)
        v = self.v[rows].mul_(b2).addcmul_(grad, grad, value=1 - b2)
        self.m[rows], self.v[rows] = m, v
        m_hat = m / (1 - b1**self.t)
        v_hat = v / (1 - b2**self.t)
        self.param[rows] -= self.lr * m_hat / (v_hat.sqrt() + self.eps)
