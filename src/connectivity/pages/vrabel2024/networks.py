"""The networks and images of Vrabel et al.'s §4.1–4.3 pages: the paper's GoogLeNet on
the user's ImageNet validation images, or the book's CIFAR-10 ResNet on the CIFAR-10 test
set (the ``ci`` profile). One loader for the bypass, adversarial and synthetic pages; a
reader's classifier with its data set's test split: :func:`reader_model_and_images`.

Example::

    model, images, name = load_model_and_images("cifar10_resnet", "ci", True, 10, 2, 0)
    images.x.shape      # (N, 3, 32, 32) in [0, 1]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from connectivity.data import load_dataset, load_imagenet_val
from connectivity.models import torchvision_model
from connectivity.shared_classifiers import shared_classifier
from connectivity.training import default_device

from ..readers import (
    frozen_on_device,
    load_checkpoint,
    measured_accuracy,
    reader_dataset,
    reader_key,
    who,
)


@dataclass
class Images:
    """The images a study draws from: x (N, C, H, W) in [0, 1], labels y (N,), class
    names, and where they came from."""

    x: torch.Tensor
    y: torch.Tensor
    classes: list[str]
    source: str


def cifar10_resnet(profile: str) -> tuple[nn.Module, str]:
    """The classifiers chapter's CIFAR-10 ResNet of ``profile`` (eval mode) and its
    description with its test accuracy."""
    trained = shared_classifier(profile, "cifar10_resnet")
    name = f"CIFAR-10 ResNet ({profile} profile, test accuracy {100 * trained.test_accuracy:.1f} %)"
    return trained.model.eval(), name


def googlenet(pretrained: bool, seed: int) -> tuple[nn.Module, str]:
    """torchvision's GoogLeNet with ImageNet weights (the user's torch hub cache), or at
    random weights drawn with ``seed`` (smoke-paper runs are reproducible), on the
    book's device, in eval mode, and its description."""
    torch.manual_seed(seed)
    net = torchvision_model("googlenet", num_classes=1000, pretrained=pretrained)
    weights = "ImageNet weights" if pretrained else "random weights"
    return net.to(default_device()).eval(), f"GoogLeNet ({weights})"


def load_model_and_images(
    model: str, profile: str, pretrained: bool, classes: int, per_class: int, seed: int
) -> tuple[nn.Module, Images, str]:
    """The network, the images and the model's description: the CIFAR-10 ResNet with the
    CIFAR-10 test images of the first ``classes`` classes, or GoogLeNet with ``per_class``
    images of each of the first ``classes`` classes of the user's ImageNet validation
    folder (``$CONNECTIVITY_IMAGENET``; a clear error when missing)."""
    if model == "cifar10_resnet":
        net, name = cifar10_resnet(profile)
        test = load_dataset("cifar10", "test")
        keep = test.y < classes
        return net, Images(test.x[keep], test.y[keep], test.classes, "CIFAR-10 test set"), name
    val = load_imagenet_val(classes=classes, per_class=per_class, seed=seed)
    net, name = googlenet(pretrained, seed)
    return net, Images(val.x, val.y, val.classes, "ImageNet validation images"), name


def reader_model_and_images(checkpoint: dict, classes: int) -> tuple[nn.Module, Images, str, dict]:
    """A reader's classifier (a page's ``checkpoint`` parameter, checked before any work by
    :func:`connectivity.reader_checkpoint.load_classifier`) on the chosen device, the test
    images of the first ``classes`` classes of its data set, its description, and whose
    it is (file, sha256, architecture, accuracy measured here on the whole test split)."""
    reader = load_checkpoint(checkpoint)
    model = frozen_on_device(reader.model)
    test = reader_dataset(reader)
    accuracy = measured_accuracy(model, reader_key(reader, checkpoint.get("arch_kwargs")), test)
    keep = test.y < classes
    name = (
        f"a reader's classifier, {reader.file} ({reader.architecture}, sha256 "
        f"{reader.sha256[:12]}…, test accuracy {100 * accuracy:.1f} % measured here)"
    )
    source = (
        f"{reader.dataset} test split"
        if reader.dataset in ("cifar10", "cifar100")
        else (f"image folder {reader.dataset}")
    )
    images = Images(test.x[keep], test.y[keep], test.classes, source)
    return model, images, name, who(reader, accuracy, len(test))
