"""Loss barriers along paths between two inputs: the central quantity of Vrabel,
Shem-Ur, Oz & Krueger (2024).

A *loss curve* is the cross-entropy of the pair's class at points along a path from
the first input (position 0) to the second (position 1): the straight path of §4.1
("primary loss curve"), or a bypassed piecewise-linear path laid out segment after
segment. From a batch of curves :func:`barrier_heights` returns, per curve,

* ``max_loss`` - the **barrier height**: the largest loss on the curve (the paper's
  "barrier" / "max loss", Figs. 2, 6, 8, 10-11; the official code's ``max(curve)``);
* ``gap`` - the barrier height over the higher endpoint, ``max_loss - max(start, end)``
  (>= 0; Fig. 6 "barrier gap": how much the path rises above its two modes);
* ``end_difference`` - ``|start - end|``, the difference of the endpoint losses (the
  paper drops, per class, the pairs where it is largest, §4.2);
* ``start``, ``end`` - the endpoint losses, and ``position`` - where on the curve
  (in [0, 1]) the maximum lies (the barrier point B of §4.1).

Example::

    >>> h = barrier_heights(np.array([[0.1, 2.0, 0.3], [0.2, 0.1, 0.05]]))
    >>> h.max_loss.tolist(), h.gap.round(6).tolist(), h.position.tolist()
    ([2.0, 0.2], [1.7, 0.0], [0.5, 0.0])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class BarrierHeights:
    """Per-curve barrier statistics of P loss curves (every array has shape (P,))."""

    start: np.ndarray  # loss at the first point of the curve
    end: np.ndarray  # loss at the last point
    max_loss: np.ndarray  # the barrier height: the largest loss on the curve
    gap: np.ndarray  # max_loss - max(start, end), >= 0
    end_difference: np.ndarray  # |start - end|
    position: np.ndarray  # where the maximum lies, in [0, 1] (first maximum)

    def __len__(self) -> int:
        return len(self.max_loss)

    def select(self, keep) -> BarrierHeights:
        """The curves where ``keep`` (a (P,) bool mask or an index array) holds."""
        keep = np.asarray(keep)
        return BarrierHeights(*(getattr(self, f)[keep] for f in _FIELDS))

    def above(self, threshold: float) -> np.ndarray:
        """(P,) bool: the barrier height exceeds ``threshold`` (a barrier to bypass)."""
        return self.max_loss > threshold

    def frame(self):
        """The statistics as a pandas table, one row per curve."""
        import pandas as pd

        return pd.DataFrame({f: getattr(self, f) for f in _FIELDS})


_FIELDS = ("start", "end", "max_loss", "gap", "end_difference", "position")


def _curves(loss_curves) -> list[np.ndarray]:
    """A list of 1-D float arrays from a (P, K) tensor/array, one (K,) curve, or a
    sequence of curves of any lengths."""
    if hasattr(loss_curves, "detach"):
        loss_curves = loss_curves.detach().cpu().numpy()
    if isinstance(loss_curves, np.ndarray):
        if loss_curves.ndim == 1:
            return [loss_curves.astype(float)]
        if loss_curves.ndim != 2:
            raise ValueError(f"loss curves must be (P, K) or (K,), got shape {loss_curves.shape}")
        return list(loss_curves.astype(float))
    if isinstance(loss_curves, Sequence):
        out = []
        for c in loss_curves:
            if hasattr(c, "detach"):
                c = c.detach().cpu().numpy()
            out.append(np.asarray(c, dtype=float).ravel())
        return out
    raise TypeError(f"cannot read loss curves from {type(loss_curves).__name__}")


def barrier_heights(loss_curves) -> BarrierHeights:
    """Barrier statistics of each loss curve.

    ``loss_curves``: a (P, K) tensor or array (P curves of K points, endpoints
    included), a single (K,) curve, or a sequence of P curves of any lengths (e.g. a
    bypassed path's segments flattened one after the other). Each curve needs at
    least two points and finite values.
    """
    curves = _curves(loss_curves)
    if not curves:
        empty = np.zeros(0)
        return BarrierHeights(*(empty for _ in _FIELDS))
    for i, c in enumerate(curves):
        if c.size < 2:
            raise ValueError(f"loss curve {i} has {c.size} point(s); a path needs two")
        if not np.all(np.isfinite(c)):
            raise ValueError(f"loss curve {i} has non-finite values")
    start = np.array([c[0] for c in curves])
    end = np.array([c[-1] for c in curves])
    top = np.array([c.max() for c in curves])
    position = np.array([c.argmax() / (c.size - 1) for c in curves])
    return BarrierHeights(
        start=start,
        end=end,
        max_loss=top,
        gap=top - np.maximum(start, end),
        end_difference=np.abs(start - end),
        position=position,
    )


def mean_curve(loss_curves) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise mean and standard deviation (ddof 0, as the official plots) of P
    curves of equal length K: (K,), (K,) (App. D.1's averaged primary loss curves)."""
    curves = _curves(loss_curves)
    lengths = {c.size for c in curves}
    if len(lengths) != 1:
        raise ValueError(f"curves of different lengths {sorted(lengths)} cannot be averaged")
    stack = np.stack(curves)
    return stack.mean(0), stack.std(0)


__all__ = ["BarrierHeights", "barrier_heights", "mean_curve"]
