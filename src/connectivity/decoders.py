"""Decoders from a classifier's latent space back to images (Gu & Borovykh, App. A).

They make points on latent-space paths visible. Both follow the paper's tables, with
widths and block counts as parameters (the ``ci`` profile uses narrow versions), and
adapt to any latent and image shape:

* :func:`intermediate_decoder` (Table 2): feature maps (C, h, w) -> image (3, H, W).
  ``groups`` x [ConvT 5x5, ReLU, BN, ConvT 3x3, ReLU, BN, ConvT 3x3], then ``blocks``
  x [ConvT 3x3, ReLU, BN], then a 3x3 convolution to 3 channels and a sigmoid (the
  output layer is lost in the paper's text; it is Table 3's). No upsampling: only the
  5x5 layers change the size. In the paper they are unpadded and take 56x56 to 64x64
  (+4 each); here each one's padding (kernel 4 for an odd share) is chosen so that the
  groups together take h to H, and more groups are used when |H - h| > 4 x groups.
  With h = H the 5x5 layers are padded by 2 and keep the size.
* :func:`last_layer_decoder` (Table 3): a feature vector (F,) reshaped to (F/16, 4, 4)
  (through a linear layer when 16 does not divide F), stages of
  [ConvT 3x3, LeakyReLU(0.3), BN] x ``blocks`` with 2x upsampling between them up to
  the image size, a 3x3 convolution and a sigmoid.

:func:`train_decoder` trains either with Adam on the MSE to the image (Table 4), the
latents computed batch by batch on the classifier's device.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .caching import cached, tensor_fingerprint
from .models import model_device
from .training import minibatch_epochs


@dataclass(frozen=True)
class IntermediateDecoderConfig:
    """The first-hidden-layer decoder (Table 2) and its training (Table 4)."""

    width: int = 256  # channels of every transposed convolution
    groups: int = 2  # [ConvT 5x5, ReLU, BN, ConvT 3x3, ReLU, BN, ConvT 3x3] groups (at least)
    blocks: int = 6  # trailing [ConvT 3x3, ReLU, BN] blocks
    image_size: int = 0  # output size; 0: the data's image size
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if min(self.width, self.groups, self.epochs, self.batch_size) < 1 or self.blocks < 0:
            raise ValueError(f"bad intermediate decoder settings {self}")
        if self.image_size < 0 or self.lr <= 0:
            raise ValueError(f"image_size >= 0 and lr > 0: {self}")


@dataclass(frozen=True)
class LastDecoderConfig:
    """The last-layer decoder (Table 3) and its training (Table 4)."""

    widths: list[int] = field(default_factory=lambda: [512, 256, 256, 256])  # per stage
    blocks: int = 3  # [ConvT 3x3, LeakyReLU, BN] per stage
    epochs: int = 5
    batch_size: int = 128
    lr: float = 1e-3

    def __post_init__(self) -> None:
        if not self.widths or min(self.widths) < 1 or self.blocks < 1:
            raise ValueError(f"bad last-layer decoder settings {self}")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"bad last-layer decoder training {self}")


def _shares(delta: int, n: int) -> list[int]:
    """``delta`` split into ``n`` integers as equal as possible (sum = delta)."""
    base, extra = divmod(delta, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def size_changing_layers(h: int, w: int, H: int, W: int, groups: int = 2):
    """Kernel and padding of the size-changing transposed convolutions that take an
    h x w map to H x W in at least ``groups`` layers: a list of ((kh, kw), (ph, pw)).
    A layer changes a side by k - 1 - 2p, between -4 and +4 (kernel 5, or 4 for odd)."""
    n = max(groups, math.ceil(abs(H - h) / 4), math.ceil(abs(W - w) / 4))
    out = []
    for dh, dw in zip(_shares(H - h, n), _shares(W - w, n)):
        kh, kw = (5 if dh % 2 == 0 else 4), (5 if dw % 2 == 0 else 4)
        out.append(((kh, kw), ((kh - 1 - dh) // 2, (kw - 1 - dw) // 2)))
    return out


def intermediate_decoder(
    latent_shape, image_shape, cfg: IntermediateDecoderConfig
) -> nn.Sequential:
    """(N, *latent_shape) -> (N, *image_shape) in [0, 1]; latent_shape (C, h, w), image
    (3, H, W). Example: ``intermediate_decoder((256, 56, 56), (3, 64, 64), cfg)`` is
    Table 2 (two unpadded 5x5 layers)."""
    c_in, h, w = latent_shape
    c_img, H, W = image_shape
    width = cfg.width
    layers: list[nn.Module] = []
    c = c_in
    for kernel, padding in size_changing_layers(h, w, H, W, cfg.groups):
        layers += [
            nn.ConvTranspose2d(c, width, kernel, padding=padding),
            nn.ReLU(),
            nn.BatchNorm2d(width),
            nn.ConvTranspose2d(width, width, 3, padding=1),
            nn.ReLU(),
            nn.BatchNorm2d(width),
            nn.ConvTranspose2d(width, width, 3, padding=1),
        ]
        c = width
    for _ in range(cfg.blocks):
        layers += [nn.ConvTranspose2d(width, width, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(width)]
    layers += [nn.Conv2d(width, c_img, 3, padding=1), nn.Sigmoid()]
    return nn.Sequential(*layers)


class Reshape(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(len(x), *self.shape)


class ResizeTo(nn.Module):
    """Area (down) or bilinear (up) resize to ``size`` (H, W); identity when equal."""

    def __init__(self, size):
        super().__init__()
        self.size = tuple(size)

    def forward(self, x):
        if tuple(x.shape[-2:]) == self.size:
            return x
        mode = "area" if x.shape[-1] > self.size[-1] else "bilinear"
        kwargs = {} if mode == "area" else {"align_corners": False}
        return F.interpolate(x, size=self.size, mode=mode, **kwargs)


def last_layer_decoder(in_features: int, image_shape, cfg: LastDecoderConfig) -> nn.Sequential:
    """(N, in_features) -> (N, *image_shape) in [0, 1] (Table 3 for 2048 features and
    32 x 32 images). Stages: one per 2x upsampling from 4 x 4 plus one; ``cfg.widths``
    gives their widths (the last width repeats if there are more stages)."""
    c_img, H, W = image_shape
    n_up = max(0, math.ceil(math.log2(max(H, W) / 4)))
    widths = [cfg.widths[min(i, len(cfg.widths) - 1)] for i in range(n_up + 1)]
    c = math.ceil(in_features / 16)
    layers: list[nn.Module] = []
    if in_features % 16:
        layers.append(nn.Linear(in_features, 16 * c))
    layers.append(Reshape(c, 4, 4))
    for s, w in enumerate(widths):
        for _ in range(cfg.blocks):
            layers += [nn.ConvTranspose2d(c, w, 3, padding=1), nn.LeakyReLU(0.3), nn.BatchNorm2d(w)]
            c = w
        if s < n_up:
            layers.append(nn.Upsample(scale_factor=2))
    if 4 * 2**n_up != H or 4 * 2**n_up != W:
        layers.append(ResizeTo((H, W)))
    layers += [nn.Conv2d(c, c_img, 3, padding=1), nn.Sigmoid()]
    return nn.Sequential(*layers)


@dataclass
class TrainedDecoder:
    """A trained decoder (eval mode, on the classifier's device) and its errors."""

    decoder: nn.Module
    train_mse: list[float]  # per epoch
    test_mse: float
    image_size: tuple[int, int]  # what it outputs (the images are resized to it)

    @torch.no_grad()
    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        device = model_device(self.decoder)
        return self.decoder(z.to(device))


def fit_images(x: torch.Tensor, size) -> torch.Tensor:
    """Images (N, C, H, W) resized (bilinear, antialiased) to ``size`` if they differ."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(
        x, size=tuple(size), mode="bilinear", antialias=True, align_corners=False
    ).clamp(0, 1)


def train_decoder(
    head: nn.Module,
    decoder: nn.Module,
    images: torch.Tensor,
    test_images: torch.Tensor,
    epochs: int,
    batch_size: int,
    lr: float = 1e-3,
    seed: int = 0,
    key: dict | None = None,
    desc: str = "decoder",
) -> TrainedDecoder:
    """Train ``decoder`` to map head(x) back to x (MSE, Adam), cached under ``key`` and
    the images' fingerprint.

    images, test_images: (N, 3, H, W) in [0, 1] (any device); the decoder trains on the
    head's device, the latents computed batch by batch (a paper-size latent set would
    not fit in memory) and the images resized to the decoder's output size.
    """
    device = model_device(head)
    head.eval()
    decoder = decoder.to(device)
    with torch.no_grad():
        size = tuple(decoder.eval()(head(images[:2].to(device))).shape[-2:])

    def batch(x, idx):
        """(latents, target images) of the images x[idx], on the head's device."""
        xb = x[idx].to(device)
        with torch.no_grad():
            z = head(xb)
        return z, fit_images(xb, size)

    def batch_loss(idx):
        z, target = batch(images, idx)
        return F.mse_loss(decoder(z), target)

    def compute():
        torch.manual_seed(seed)
        opt = torch.optim.Adam(decoder.parameters(), lr=lr)
        decoder.train()
        hist = minibatch_epochs(
            opt,
            batch_loss,
            len(images),
            batch_size=batch_size,
            epochs=epochs,
            gen=torch.Generator().manual_seed(seed),
            drop_last=True,
            desc=desc,
        )
        decoder.eval()
        with torch.no_grad():
            errs = [
                ((decoder(z) - t) ** 2).mean((1, 2, 3))
                for z, t in (
                    batch(test_images, torch.arange(s, min(s + 250, len(test_images))))
                    for s in range(0, len(test_images), 250)
                )
            ]
        state = {k: v.cpu() for k, v in decoder.state_dict().items()}
        return {"state_dict": state, "train_mse": hist, "test_mse": torch.cat(errs).mean().item()}

    params = {
        **(key or {}),
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "seed": seed,
        "n_train": len(images),
        "n_test": len(test_images),
        # the images themselves, so that another draw of the same size is not served
        "images": tensor_fingerprint([images, test_images]),
        "decoder": repr(decoder),
        "size": list(size),
        "version": 2,
    }
    out = cached("decoders", params, compute)
    decoder.load_state_dict(out["state_dict"])
    return TrainedDecoder(decoder.eval(), out["train_mse"], out["test_mse"], size)
