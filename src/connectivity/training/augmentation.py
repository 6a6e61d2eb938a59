"""Data augmentation on tensors: random translation and horizontal flips, drawn from
an explicit ``torch.Generator``, so that a seed gives the same augmented batches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def augment_batch(
    x: torch.Tensor, gen: torch.Generator, pad: int = 4, flip: torch.Tensor | None = None
) -> torch.Tensor:
    """Random translation by up to ``pad`` pixels (zero padding, then a random crop)
    and a horizontal flip (random, or where the boolean ``flip`` (B,) says); x: (B, C, H, W)."""
    b, _, h, w = x.shape
    if flip is None:
        flip = torch.rand(b, generator=gen) < 0.5
    x = torch.where(flip.view(b, 1, 1, 1), x.flip(3), x)
    if pad == 0:
        return x
    xp = F.pad(x, (pad, pad, pad, pad))
    dy = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    dx = torch.randint(0, 2 * pad + 1, (b,), generator=gen)
    rows = dy.view(b, 1) + torch.arange(h).view(1, h)  # (B, H)
    cols = dx.view(b, 1) + torch.arange(w).view(1, w)  # (B, W)
    idx_b = torch.arange(b).view(b, 1, 1)
    out = xp.permute(0, 2, 3, 1)[idx_b, rows.view(b, h, 1), cols.view(b, 1, w)]
    return out.permute(0, 3, 1, 2).contiguous()
