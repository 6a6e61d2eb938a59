"""A faster weight gradient for 3x3 convolutions on small feature maps (CPU, bfloat16).

oneDNN computes the weight gradient of a 3x3 convolution on a 4x4 or 2x2 map (the
last blocks of a CIFAR VGG or ResNet) at a fraction of the speed of its forward pass:
measured on the book's 2-core CPU with AMX, 70-330 GFLOP/s against 1,500-2,000 for
the forward. The same gradient written as one matrix product of the output gradient
(B*H*W, C_out) with the input's 3x3 patches (B*H*W, 9*C_in) runs at matmul speed
(~1,000-1,600 GFLOP/s). :func:`install` routes such convolutions of a model through
:class:`SmallMapConv3x3` while it trains under CPU bfloat16 autocast; the forward
pass and the input gradient stay oneDNN's, and the result equals the plain
convolution's up to bfloat16 rounding (tests/test_training.py). :func:`uninstall`
restores the modules, so the trained model is a plain ``nn.Sequential``.
"""

from __future__ import annotations

import types

import torch
import torch.nn.functional as F
from torch import nn

# largest feature map (H * W) whose weight gradient goes through the matrix product
MAX_PIXELS = 16


def patches3x3(x: torch.Tensor) -> torch.Tensor:
    """The zero-padded 3x3 patches of x (B, C, H, W) as rows (B*H*W, 9*C), ordered
    (tap row, tap column, channel): the im2col matrix of a stride-1, padding-1 conv."""
    b, c, h, w = x.shape
    xp = F.pad(x.permute(0, 2, 3, 1), (0, 0, 1, 1, 1, 1))  # (B, H+2, W+2, C)
    taps = [xp[:, i : i + h, j : j + w, :] for i in range(3) for j in range(3)]
    return torch.stack(taps, dim=3).reshape(b * h * w, 9 * c)


class SmallMapConv3x3(torch.autograd.Function):
    """conv2d(x, weight, bias, padding=1) whose weight gradient is one matmul."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return F.conv2d(x, weight, bias, padding=1)

    @staticmethod
    def backward(ctx, grad):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous(memory_format=torch.channels_last)
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = torch.ops.aten.convolution_backward(
                grad,
                x,
                weight,
                None,
                [1, 1],
                [1, 1],
                [1, 1],
                False,
                [0, 0],
                1,
                [True, False, False],
            )[0]
        if ctx.needs_input_grad[1]:
            cout = grad.shape[1]
            g2 = grad.permute(0, 2, 3, 1).reshape(-1, cout)
            gw = (g2.t() @ patches3x3(x)).view(cout, 3, 3, -1).permute(0, 3, 1, 2)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            gb = grad.sum((0, 2, 3))
        return gx, gw, gb


def _conv_forward(self: nn.Conv2d, x, weight, bias):
    if x.shape[-1] * x.shape[-2] > MAX_PIXELS or not torch.is_autocast_enabled("cpu"):
        return nn.Conv2d._conv_forward(self, x, weight, bias)
    dtype = torch.get_autocast_dtype("cpu")
    with torch.autocast("cpu", enabled=False):  # casts recorded by autograd: fp32 master grads
        b = None if bias is None else bias.to(dtype)
        return SmallMapConv3x3.apply(x.to(dtype), weight.to(dtype), b)


def _eligible(m: nn.Module) -> bool:
    return (
        type(m) is nn.Conv2d
        and m.kernel_size == (3, 3)
        and m.stride == (1, 1)
        and m.padding == (1, 1)
        and m.dilation == (1, 1)
        and m.groups == 1
        and m.padding_mode == "zeros"
    )


def install(model: nn.Module) -> int:
    """Route the model's eligible convolutions through :class:`SmallMapConv3x3` (only
    on small maps under CPU autocast); returns how many were routed."""
    n = 0
    for m in model.modules():
        if _eligible(m):
            m._conv_forward = types.MethodType(_conv_forward, m)
            n += 1
    return n


def uninstall(model: nn.Module) -> None:
    """Undo :func:`install`."""
    for m in model.modules():
        if isinstance(m, nn.Conv2d) and "_conv_forward" in m.__dict__:
            del m.__dict__["_conv_forward"]
