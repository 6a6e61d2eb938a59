"""Classifiers that take [0, 1] pixels, and their split into head and tail.

Every model here is an ``nn.Sequential`` of *named* stages whose first stage is
a :class:`Normalize` layer, so paths, attacks and pictures all live in pixel
space. :func:`split_model` cuts any of them after a named stage into
``head`` (input -> latent) and ``tail`` (latent -> logits) with
``tail(head(x)) == model(x)``: the basis of every latent-space experiment.

* :func:`cifar_resnet` - a CIFAR ResNet (basic blocks) with depth/width knobs;
  ``cifar_resnet((2, 2, 2, 2), 64)`` is the CIFAR ResNet-18.
* :func:`cifar_vgg16_bn` - VGG-16 with batch norm for 32x32 inputs, width multiplier.
* :func:`torchvision_model` - torchvision ResNet-18/50 or GoogLeNet, with ImageNet
  weights when the user's machine has them cached.
* :func:`build_model` - any of the above from an architecture name and kwargs.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


class Normalize(nn.Module):
    """(x - mean) / std per channel; x: (N, C, H, W) in [0, 1]."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter or buffer (CPU for a model with none):
    every input follows the model."""
    for t in model.parameters():
        return t.device
    for t in model.buffers():
        return t.device
    return torch.device("cpu")


def split_normalisation(model: nn.Module) -> tuple[torch.Tensor, torch.Tensor, nn.Module]:
    """``(mean, std, tail)`` with ``model(x) == tail((x - mean) / std)``: the model's own
    input normalisation (its first stage, a :class:`Normalize`) and the rest of the
    network. A model without one gets mean 0, std 1 and itself as the tail. mean and std
    have shape (1, C, 1, 1) (or (1,) without normalisation) on the model's device."""
    if isinstance(model, nn.Sequential) and len(model) and isinstance(model[0], Normalize):
        return model[0].mean, model[0].std, model[1:]
    device = model_device(model)
    return torch.zeros(1, device=device), torch.ones(1, device=device), model


class Resize(nn.Module):
    """Bilinear resize to ``size`` x ``size`` (CIFAR images into ImageNet models)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def forward(self, x):
        if x.shape[-1] == self.size and x.shape[-2] == self.size:
            return x
        return F.interpolate(x, size=(self.size, self.size), mode="bilinear", align_corners=False)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers with an identity (or 1x1 projection) shortcut."""

    def __init__(self, cin: int, cout: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)
            )

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


def cifar_resnet(
    blocks=(1, 1, 1),
    width: int = 16,
    num_classes: int = 10,
    in_channels: int = 3,
    mean=(0.5, 0.5, 0.5),
    std=(0.25, 0.25, 0.25),
    widths=None,
    stem_width: int | None = None,
    first_stride: int = 1,
) -> nn.Sequential:
    """CIFAR ResNet: stem, ``len(blocks)`` stages of basic blocks (stride 2 from the
    second stage on, ``first_stride`` in the first), global average pooling, linear
    layer. Stage ``i`` has ``width * 2**i`` channels, or ``widths[i]`` when ``widths``
    is given; the stem has ``stem_width`` (default: the first stage's). With
    ``first_stride=2`` only the stem works at full resolution, as the ImageNet ResNets'
    downsampling stem does. Named stages: ``normalize``, ``stem``, ``stage1`` ...
    ``stageK``, ``pool`` (the pooled features), ``fc``.

    >>> cifar_resnet((1, 1), widths=(8, 32))(torch.rand(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """
    widths = (
        tuple(widths) if widths is not None else tuple(width * 2**i for i in range(len(blocks)))
    )
    stem_width = stem_width or widths[0]
    if (
        not 1 <= len(blocks) <= 4
        or min(blocks) < 1
        or len(widths) != len(blocks)
        or min(widths) < 1
    ):
        raise ValueError(
            "cifar_resnet needs 1-4 stages of >= 1 block and one width >= 1 per stage, "
            f"got {blocks}, {widths}"
        )
    if first_stride not in (1, 2) or stem_width < 1:
        raise ValueError(
            f"first_stride must be 1 or 2 and stem_width >= 1, got {first_stride}, {stem_width}"
        )
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["normalize"] = Normalize(mean, std)
    layers["stem"] = nn.Sequential(
        nn.Conv2d(in_channels, stem_width, 3, 1, 1, bias=False),
        nn.BatchNorm2d(stem_width),
        nn.ReLU(),
    )
    cin = stem_width
    for i, (n, cout) in enumerate(zip(blocks, widths)):
        stride = first_stride if i == 0 else 2
        stage = [BasicBlock(cin, cout, stride)] + [BasicBlock(cout, cout) for _ in range(n - 1)]
        layers[f"stage{i + 1}"] = nn.Sequential(*stage)
        cin = cout
    layers["pool"] = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    layers["fc"] = nn.Linear(cin, num_classes)
    return nn.Sequential(layers)


VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")


def cifar_vgg16_bn(
    width: float = 1.0,
    num_classes: int = 10,
    in_channels: int = 3,
    mean=(0.5, 0.5, 0.5),
    std=(0.25, 0.25, 0.25),
) -> nn.Sequential:
    """VGG-16 with batch norm for 32x32 inputs (as in Harder et al. 2021), channel
    counts scaled by ``width``. Named stages: ``normalize``, ``block1`` ... ``block5``
    (each ending with max-pooling), ``pool`` (flatten), ``classifier``."""
    if width <= 0:
        raise ValueError(f"width must be positive, got {width}")
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["normalize"] = Normalize(mean, std)
    block, cin, b = [], in_channels, 1
    for v in VGG16_CFG:
        if v == "M":
            block.append(nn.MaxPool2d(2))
            layers[f"block{b}"] = nn.Sequential(*block)
            block, b = [], b + 1
        else:
            cout = max(1, int(round(v * width)))
            block += [nn.Conv2d(cin, cout, 3, padding=1), nn.BatchNorm2d(cout), nn.ReLU()]
            cin = cout
    layers["pool"] = nn.Flatten()
    layers["classifier"] = nn.Linear(cin, num_classes)
    return nn.Sequential(layers)


IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


class WeightsUnavailableError(RuntimeError):
    """Pretrained weights were asked for but are not on this machine."""


def torchvision_model(
    name: str,
    num_classes: int = 10,
    pretrained: bool = False,
    resize: int | None = None,
    mean=IMAGENET_MEAN,
    std=IMAGENET_STD,
) -> nn.Sequential:
    """torchvision ``resnet18``, ``resnet50`` or ``googlenet`` as a named Sequential.

    With ``pretrained`` the ImageNet weights are loaded from the torch hub cache
    (``$TORCH_HOME``); they are downloaded only where the machine has internet.
    The final layer is replaced when ``num_classes`` differs from 1000.
    Named stages (ResNets): ``normalize``, [``resize``], ``conv1``, ``bn1``, ``relu``,
    ``maxpool``, ``layer1`` ... ``layer4``, ``avgpool``, ``flatten``, ``fc``.
    """
    import torchvision.models as tvm

    builders = {
        "resnet18": (tvm.resnet18, tvm.ResNet18_Weights),
        "resnet50": (tvm.resnet50, tvm.ResNet50_Weights),
        "googlenet": (tvm.googlenet, tvm.GoogLeNet_Weights),
    }
    if name not in builders:
        raise ValueError(f"unknown torchvision model {name!r}; choose one of {', '.join(builders)}")
    build, weights_enum = builders[name]
    kwargs = (
        {"aux_logits": False, "transform_input": False, "init_weights": not pretrained}
        if name == "googlenet"
        else {}
    )
    if pretrained:
        weights = weights_enum.DEFAULT
        folder = os.path.join(torch.hub.get_dir(), "checkpoints")
        file = os.path.join(folder, os.path.basename(weights.url))
        try:
            net = build(
                weights=weights, **({"transform_input": False} if name == "googlenet" else {})
            )
        except Exception as e:  # offline: URLError and friends
            raise WeightsUnavailableError(
                f"ImageNet weights for {name} are not on this machine and could not be downloaded "
                f"({type(e).__name__}: {e}). Put the file {os.path.basename(file)} "
                f"(from {weights.url}) "
                f"into {folder} (that is $TORCH_HOME/hub/checkpoints/, expected path {file}), "
                f"or train from scratch with arch_kwargs pretrained: false."
            ) from e
        if name == "googlenet":  # aux heads are only for training from scratch
            net.aux_logits, net.aux1, net.aux2 = False, None, None
    else:
        net = build(weights=None, num_classes=1000, **kwargs)
    if num_classes != 1000:
        net.fc = nn.Linear(net.fc.in_features, num_classes)
    layers: OrderedDict[str, nn.Module] = OrderedDict()
    layers["normalize"] = Normalize(mean, std)
    if resize:
        layers["resize"] = Resize(resize)
    skip = {"aux1", "aux2"}
    for child_name, child in net.named_children():
        if child_name in skip or child is None:
            continue
        if child_name == "fc":
            layers["flatten"] = nn.Flatten()
        layers[child_name] = child
    return nn.Sequential(layers)


ARCHITECTURES = ("cifar_resnet", "cifar_vgg16_bn", "resnet18", "resnet50", "googlenet")


def build_model(arch: str, num_classes: int, mean=None, std=None, **kwargs) -> nn.Sequential:
    """Build a model by architecture name. ``mean`` and ``std`` (per input channel) are
    the data's normalisation statistics, applied by the model's first layer; the
    number of input channels follows them. They default to the builder's own
    (ImageNet statistics for the torchvision models, whose pretrained weights expect
    them; 0.5 / 0.25 for the CIFAR architectures).
    :func:`connectivity.training.build_classifier` passes a data set's statistics.

    >>> grey = build_model("cifar_resnet", 10, mean=(0.5,), std=(0.25,), blocks=(1,), width=4)
    >>> grey.stem[0].in_channels
    1
    """
    if "dataset" in kwargs:
        raise TypeError(
            "build_model no longer knows data sets: pass mean= and std= "
            "(connectivity.data.MEAN[name], STD[name]) "
            "or use connectivity.training.build_classifier"
        )
    if arch not in ARCHITECTURES:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {', '.join(ARCHITECTURES)}")
    stats = {}
    if mean is not None or std is not None:
        if mean is None or std is None or len(mean) != len(std):
            raise ValueError(f"mean and std need one value per channel each, got {mean}, {std}")
        stats = {"mean": tuple(mean), "std": tuple(std)}
    if arch in ("cifar_resnet", "cifar_vgg16_bn"):
        if stats:
            stats["in_channels"] = len(stats["mean"])
        builder = cifar_resnet if arch == "cifar_resnet" else cifar_vgg16_bn
        for key in ("blocks", "widths"):
            if kwargs.get(key) is not None:
                kwargs[key] = tuple(kwargs[key])
        return builder(num_classes=num_classes, **stats, **kwargs)
    if not kwargs.get("pretrained"):
        kwargs = {**kwargs, **stats}  # ImageNet weights keep the ImageNet statistics
    return torchvision_model(arch, num_classes=num_classes, **kwargs)


def layer_names(model: nn.Sequential) -> list[str]:
    """Names of the stages a model can be split after (``"input"`` first)."""
    return ["input"] + [n for n, _ in model.named_children()]


def split_model(model: nn.Sequential, layer: str) -> tuple[nn.Sequential, nn.Sequential]:
    """Split ``model`` after the stage named ``layer`` into ``(head, tail)``.

    ``head``: x (N, C, H, W) -> z (the latent of that stage); ``tail``: z -> logits
    (N, classes); ``tail(head(x)) == model(x)``. ``layer="input"`` gives an identity
    head (original space). The parts share the model's parameters.
    """
    names = [n for n, _ in model.named_children()]
    if layer == "input":
        k = 0
    elif layer in names:
        k = names.index(layer) + 1
    else:
        raise ValueError(f"no layer {layer!r} in the model; choose one of {layer_names(model)}")
    children = list(model.named_children())
    return nn.Sequential(OrderedDict(children[:k])), nn.Sequential(OrderedDict(children[k:]))


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """An eval-mode, frozen copy of ``model`` in which every BatchNorm2d that directly
    follows a Conv2d (in an ``nn.Sequential`` or a :class:`BasicBlock`) is folded into
    the convolution's weights and bias. Same outputs up to float rounding, fewer passes
    over memory: for inference and input gradients (paths, bypass, NEB, attacks), not
    for training."""
    import copy

    from torch.nn.utils.fusion import fuse_conv_bn_eval

    m = copy.deepcopy(model).eval()
    for mod in list(m.modules()):
        if isinstance(mod, BasicBlock):
            mod.conv1, mod.bn1 = fuse_conv_bn_eval(mod.conv1, mod.bn1), nn.Identity()
            mod.conv2, mod.bn2 = fuse_conv_bn_eval(mod.conv2, mod.bn2), nn.Identity()
        elif isinstance(mod, nn.Sequential):
            names = list(mod._modules)
            for n1, n2 in zip(names, names[1:]):
                a, b = mod._modules[n1], mod._modules[n2]
                if isinstance(a, nn.Conv2d) and isinstance(b, nn.BatchNorm2d):
                    mod._modules[n1], mod._modules[n2] = fuse_conv_bn_eval(a, b), nn.Identity()
    for p in m.parameters():
        p.requires_grad_(False)
    return m


# ---------------------------------------------------------------- memory format for training

# oneDNN's 1x1-convolution weight-gradient kernel (jit_1x1, backward_weights) writes past
# its stride-reduction workspace when the source is nhwc (channels_last), the stride is > 1
# and the convolution has fewer input channels than the kernel's channel block: 8 floats
# with AVX2, 16 with AVX-512 (uxlfoundation/oneDNN#6035). What follows is a wrong weight
# gradient, heap corruption or a backward pass that never returns (torch 2.14.1, oneDNN 3.12,
# AVX2: tests/test_onednn.py). 16 covers both instruction sets.
SMALL_1X1_CHANNELS = 16


def keeps_standard_layout(module: nn.Module) -> bool:
    """Whether :func:`to_channels_last` leaves ``module`` in the standard (NCHW) layout: a
    1x1 ``nn.Conv2d`` with a stride > 1 and fewer than :data:`SMALL_1X1_CHANNELS` input
    channels per group."""
    return (
        isinstance(module, nn.Conv2d)
        and module.kernel_size == (1, 1)
        and module.stride != (1, 1)
        and module.in_channels // module.groups < SMALL_1X1_CHANNELS
    )


def _contiguous_input(module: nn.Module, args: tuple) -> tuple:
    """Forward pre-hook: the input in the standard layout. PyTorch runs a oneDNN
    convolution in channels_last when its input *or* its weight is channels_last, so both
    stay standard. A module-level function, so that ``copy.deepcopy`` and pickling keep it
    and :func:`to_contiguous_format` finds it."""
    return (args[0].contiguous(), *args[1:])


def to_channels_last(model: nn.Module) -> int:
    """Convert ``model`` in place to the channels_last memory format (oneDNN and cuDNN
    pick faster kernels; values unchanged), except the convolutions of
    :func:`keeps_standard_layout` (oneDNN#6035, see :data:`SMALL_1X1_CHANNELS`): their
    weights stay contiguous (NCHW) and a forward pre-hook makes their inputs contiguous,
    so that oneDNN runs them in its blocked layout. Returns how many convolutions stay
    standard; :func:`to_contiguous_format` undoes both. Parameter names and values (the
    ``state_dict``) do not change.

    The CIFAR ResNet of width 4 (profile ``smoke``) keeps its 4 -> 8 and 8 -> 16
    shortcuts (1x1, stride 2; input (N, 4, 32, 32) and (N, 8, 16, 16)); width 16 (``ci``)
    and the VGGs (no 1x1 convolutions) keep none, so this is ``model.to(memory_format=
    torch.channels_last)`` for them.

    >>> model = cifar_resnet((1, 1, 1, 1), width=4)
    >>> to_channels_last(model)
    2
    >>> model.stage2[0].shortcut[0].weight.stride()  # (8, 4, 1, 1), standard layout
    (4, 1, 1, 1)
    >>> model.stage4[0].shortcut[0].weight.stride()  # (32, 16, 1, 1), channels_last
    (16, 1, 16, 16)
    >>> to_contiguous_format(model).stage4[0].shortcut[0].weight.stride()
    (16, 1, 1, 1)
    """
    model.to(memory_format=torch.channels_last)
    kept = 0
    for m in model.modules():
        if keeps_standard_layout(m):
            m.to(memory_format=torch.contiguous_format)
            if _contiguous_input not in m._forward_pre_hooks.values():
                m.register_forward_pre_hook(_contiguous_input)
            kept += 1
    return kept


def to_contiguous_format(model: nn.Module) -> nn.Module:
    """Undo :func:`to_channels_last`: ``model`` (in place, returned) in the standard
    memory format without the pre-hooks that function added."""
    for m in model.modules():
        for key, hook in list(m._forward_pre_hooks.items()):
            if hook is _contiguous_input:
                del m._forward_pre_hooks[key]
    return model.to(memory_format=torch.contiguous_format)
