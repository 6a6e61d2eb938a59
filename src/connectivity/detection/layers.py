"""The outputs of a network's ReLUs, which the layer-based detectors of the benchmark of
Harder et al. (2021) read: LID (:mod:`.lid`), Mahalanobis (:mod:`.mahalanobis`) and
LayerMFS/PFS (:mod:`.spectral`).

They need a model whose ReLUs are reachable by flattening nested ``nn.Sequential``
containers (the VGG nets of :mod:`connectivity.models`); the benchmark's layers are "all
13 ReLUs of VGG-16" (LID, Mahalanobis) and "every second one from the third" (spectral;
only the last one for CIFAR-100 DeepFool and C&W).

Another network (a reader's classifier, issue 39) names the layers the detectors read by
module path: :class:`Tapped` wraps it, and its "ReLUs" are then the outputs of those
modules, in the order named.

Example::

    first, last = relu_outputs(model, x, [0, 12])   # the first and last ReLU of VGG-16
    taps = nn.Sequential(Tapped(resnet, ["layer1", "layer4"]))
    l1, l4 = relu_outputs(taps, x, [0, 1])           # the outputs of layer1 and layer4
"""

from __future__ import annotations

import torch
from torch import nn


class Tapped(nn.Module):
    """``network`` (any module) whose detector layers are the outputs of the modules at
    ``paths`` (as ``network.named_modules()`` names them), in that order; its forward is
    the network's. A module called more than once in a forward pass gives its first
    output."""

    def __init__(self, network: nn.Module, paths: list[str]):
        super().__init__()
        self.network = network
        self.paths = tuple(paths)
        for path in self.paths:
            network.get_submodule(path)  # AttributeError naming the path: checked early

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.network(x)

    def outputs(self, x: torch.Tensor, which: list[int]) -> list[torch.Tensor]:
        """The outputs of the modules ``paths[i]`` for ``i`` in ``which`` on a batch x."""
        got: dict[int, torch.Tensor] = {}
        handles = [
            self.network.get_submodule(self.paths[i]).register_forward_hook(
                lambda _m, _in, out, j=j: got.setdefault(j, out)
            )
            for j, i in enumerate(which)
        ]
        try:
            self.network(x)
        finally:
            for handle in handles:
                handle.remove()
        return [got[j] for j in range(len(which))]


def flat_layers(model: nn.Module) -> list[nn.Module]:
    """The modules of nested ``nn.Sequential`` containers, in execution order."""
    if isinstance(model, nn.Sequential):
        return [m for child in model for m in flat_layers(child)]
    return [model]


def relu_positions(model: nn.Module) -> list[int]:
    """Positions in :func:`flat_layers` of the model's ReLUs (of a :class:`Tapped`
    network: one per named module)."""
    tapped = [m for m in flat_layers(model) if isinstance(m, Tapped)]
    if tapped:
        return list(range(len(tapped[0].paths)))
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
    The forward pass stops after the last one needed (a :class:`Tapped` network runs
    whole)."""
    layers = flat_layers(model)
    for i, layer in enumerate(layers):
        if isinstance(layer, Tapped):
            h = x
            for before in layers[:i]:
                h = before(h)
            return layer.outputs(h, relus)
    pos = relu_positions(model)
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
