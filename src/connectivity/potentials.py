"""Analytic test potentials with known minima and saddles, for the path methods' tests.

The Müller–Brown potential (Müller & Brown 1979): three minima, the deepest at about
(-0.558, 1.442) with V = -146.7, and the saddle between the two lowest at about
(-0.822, 0.624) with V = -40.7; the classic known answer for NEB
(:func:`connectivity.neb.run_neb`).

>>> round(float(muller_brown(torch.tensor([-0.558, 1.442]))), 1)
-146.7
"""

from __future__ import annotations

import torch

MB_A = (-200.0, -100.0, -170.0, 15.0)
MB_a = (-1.0, -1.0, -6.5, 0.7)
MB_b = (0.0, 0.0, 11.0, 0.6)
MB_c = (-10.0, -10.0, -6.5, 0.7)
MB_x0 = (1.0, 0.0, -0.5, -1.0)
MB_y0 = (0.0, 0.5, 1.5, 1.0)


def muller_brown(z: torch.Tensor) -> torch.Tensor:
    """The Müller-Brown potential V(x, y); z (..., 2) -> (...)."""
    x, y = z[..., 0], z[..., 1]
    v = torch.zeros_like(x)
    for A, a, b, c, x0, y0 in zip(MB_A, MB_a, MB_b, MB_c, MB_x0, MB_y0):
        dx, dy = x - x0, y - y0
        v = v + A * torch.exp(a * dx * dx + b * dx * dy + c * dy * dy)
    return v
