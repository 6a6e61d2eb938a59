"""The outputs of a network's ReLUs, which the layer-based detectors of the benchmark of
Harder et al. (2021) read: LID (:mod:`.lid`), Mahalanobis (:mod:`.mahalanobis`) and
LayerMFS/PFS (:mod:`.spectral`).

They need a model whose ReLUs are reachable by flattening nested ``nn.Sequential``
containers (the VGG nets of :mod:`connectivity.models`); the benchmark's layers are "all
13 ReLUs of VGG-16" (LID, Mahalanobis) and "every second one from the third" (spectral;
only the last one for CIFAR-100 DeepFool and C&W).

Example::

    first, last = relu_outputs(model, x, [0, 12])   # the first and last ReLU of VGG-16
"""

from __future__ import annotations

import torch
from torch import nn


def flat_layers(model: nn.Module) -> list[nn.Module]:
    """The modules of nested ``nn.Sequential`` containers, in execution order."""
    if isinstance(model, nn.Sequential):
        return [m for child in model for m in flat_layers(child)]
    return [model]


def relu_positions(model: nn.Module) -> list[int]:
    """Positions in :func:`flat_layers` of the model's ReLUs."""
    pos = [i for i, m in enumerate(flat_layers(model)) if isinstance(m, nn.ReLU)]
    if not pos:
        raise ValueError(
            "the model has no top-level ReLU in its nn.Sequential structure; "
            "layer-based detectors need a VGG-style network"
        )
    return pos


def relu_outputs(model: nn.Module, x: torch.Tensor, relus: list[int]) -> list[torch.Tensor]:
    """Outputs of the chosen ReLUs (indices into :func:`relu_positions`) for a batch
    x (n, C, H, W): a list of (n, C_l, H_l, W_l) tensors, in the order of ``relus``.
    The forward pass stops after the last one needed."""
    layers, pos = flat_layers(model), relu_positions(model)
    wanted = {pos[r]: j for j, r in enumerate(relus)}
    out: list[torch.Tensor | None] = [None] * len(relus)
    h = x
    for i, layer in enumerate(layers[: max(wanted) + 1]):
        h = layer(h)
        if i in wanted:
            out[wanted[i]] = h
    return out  # type: ignore[return-value]


def _batches(n: int, size: int):
    for s in range(0, n, size):
        yield s, min(n, s + size)
