"""Decoders from a classifier's latent space back to images (Gu & Borovykh, App. A).

They make points on latent-space paths visible. Both follow the paper's Tables 2-3,
with channel widths and block counts as parameters so that the ``ci`` profile can
use narrow versions:

* :func:`intermediate_decoder`: feature maps (C, h, w) -> image (3, H, W): blocks of
  [ConvTranspose 3x3, ReLU, BatchNorm], with 2x upsampling until H is reached;
* :func:`last_layer_decoder`: a feature vector (F,) reshaped to (F/16, 4, 4) ->
  stages of [ConvTranspose 3x3, LeakyReLU(0.3), BatchNorm] x blocks with 2x
  upsampling between them up to 32 x 32, a 3x3 convolution and a sigmoid.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .caching import cached
from .progress import progress


def intermediate_decoder(in_channels: int, in_size: int, out_size: int = 32, width: int = 256,
                         blocks: int = 3) -> nn.Sequential:
    """(N, in_channels, in_size, in_size) -> (N, 3, out_size, out_size) in [0, 1]."""
    n_up = int(round(math.log2(out_size / in_size)))
    if in_size * 2**n_up != out_size:
        raise ValueError(f"cannot upsample {in_size} to {out_size} by factors of 2")
    layers: list[nn.Module] = []
    c = in_channels
    for i in range(max(blocks, n_up)):
        layers += [nn.ConvTranspose2d(c, width, 3, padding=1), nn.ReLU(), nn.BatchNorm2d(width)]
        if i < n_up:
            layers.append(nn.Upsample(scale_factor=2))
        c = width
    layers += [nn.ConvTranspose2d(width, 3, 3, padding=1), nn.Sigmoid()]
    return nn.Sequential(*layers)


class Reshape(nn.Module):
    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(len(x), *self.shape)


def last_layer_decoder(in_features: int, widths=(512, 256, 256, 256), blocks: int = 3,
                       out_size: int = 32) -> nn.Sequential:
    """(N, in_features) -> (N, 3, out_size, out_size) in [0, 1]; in_features % 16 == 0."""
    if in_features % 16:
        raise ValueError(f"in_features must be a multiple of 16 (reshaped to C x 4 x 4), got {in_features}")
    n_up = int(round(math.log2(out_size / 4)))
    if len(widths) != n_up + 1:
        raise ValueError(f"need {n_up + 1} stage widths to reach {out_size} from 4, got {widths}")
    layers: list[nn.Module] = [Reshape(in_features // 16, 4, 4)]
    c = in_features // 16
    for s, w in enumerate(widths):
        for _ in range(blocks):
            layers += [nn.ConvTranspose2d(c, w, 3, padding=1), nn.LeakyReLU(0.3), nn.BatchNorm2d(w)]
            c = w
        if s < n_up:
            layers.append(nn.Upsample(scale_factor=2))
    layers += [nn.Conv2d(c, 3, 3, padding=1), nn.Sigmoid()]
    return nn.Sequential(*layers)


def train_decoder(head: nn.Module, decoder: nn.Module, images: torch.Tensor, test_images: torch.Tensor,
                  epochs: int, batch_size: int, lr: float = 1e-3, seed: int = 0, key: dict | None = None,
                  desc: str = "decoder") -> tuple[nn.Module, dict]:
    """Train ``decoder`` to map head(x) back to x (MSE, Adam), cached under ``key``.

    images, test_images: (N, 3, H, W) in [0, 1]. Returns the trained decoder (eval
    mode) and ``{"train_mse": per epoch, "test_mse": float}``.
    """
    head.eval()

    def latents(x):
        with torch.no_grad():
            return torch.cat([head(x[i:i + 500]) for i in range(0, len(x), 500)])

    def compute():
        torch.manual_seed(seed)
        g = torch.Generator().manual_seed(seed)
        z = latents(images)
        opt = torch.optim.Adam(decoder.parameters(), lr=lr)
        steps = len(z) // batch_size
        hist = []
        bar = progress(total=epochs * steps, desc=desc)
        for _ in range(epochs):
            decoder.train()
            perm = torch.randperm(len(z), generator=g)
            total = torch.zeros(())
            for s in range(steps):
                idx = perm[s * batch_size:(s + 1) * batch_size]
                loss = F.mse_loss(decoder(z[idx]), images[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.detach()
                bar.update(1)
            hist.append(total.item() / steps)
        bar.close()
        decoder.eval()
        zt = latents(test_images)
        with torch.no_grad():
            test_mse = torch.cat([((decoder(zt[i:i + 500]) - test_images[i:i + 500]) ** 2).mean((1, 2, 3))
                                  for i in range(0, len(zt), 500)]).mean().item()
        return {"state_dict": decoder.state_dict(), "train_mse": hist, "test_mse": test_mse}

    params = {**(key or {}), "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed,
              "n_train": len(images), "decoder": repr(decoder)}
    out = cached("decoders", params, compute)
    decoder.load_state_dict(out["state_dict"])
    return decoder.eval(), {"train_mse": out["train_mse"], "test_mse": out["test_mse"]}
