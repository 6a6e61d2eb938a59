"""The variational autoencoder of Lancione's Fig. 1, as the original ``vae.ipynb`` builds it.

* encoder 784 -> 256 (ReLU) -> (mu, sigma), each a linear map to the 2-D latent space;
  ``sigma`` is used as the standard deviation directly (no exponential, no activation);
* decoder 2 -> 256 (ReLU) -> 784, sigmoid;
* z = mu + sigma * eps with **one** eps ~ N(0, I_2) per minibatch (``torch.randn(latent_dim)``
  broadcast over the batch: ``shared_noise=True``; ``False`` draws one per image);
* loss = sum over pixels of the batch-mean squared error  -  sum over latent dimensions of
  the batch mean of (log sigma^2 - mu^2 - sigma^2) (twice the KL divergence to N(0, I) up to
  a constant);
* Adam, lr 1e-4, weight decay 1e-6, batch 16, 30 epochs on the 60,000 training images.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from ..caching import cached
from ..data import Dataset
from ..training import minibatch_epochs


@dataclass(frozen=True)
class VAEConfig:
    """Architecture and training of the VAE; defaults are ``vae.ipynb``'s."""

    hidden: int = 256
    latent: int = 2
    lr: float = 1e-4
    weight_decay: float = 1e-6
    batch_size: int = 16
    epochs: int = 30
    shared_noise: bool = True
    train_images: int = 60_000  # the first n training images
    seed: int = 0

    def __post_init__(self) -> None:
        if min(self.hidden, self.latent, self.batch_size, self.epochs, self.train_images) < 1:
            raise ValueError(f"bad VAE config {self}")
        if not self.lr > 0 or self.weight_decay < 0:
            raise ValueError(f"bad VAE optimiser settings {self}")


class VAE(nn.Module):
    """See the module docstring. ``encode`` gives (mu, sigma), each (B, latent)."""

    def __init__(self, hidden: int = 256, latent: int = 2, n_in: int = 784):
        super().__init__()
        self.latent = latent
        self.hidden_layer = nn.Linear(n_in, hidden)
        self.to_mu = nn.Linear(hidden, latent)
        self.to_sigma = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(
            nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, n_in), nn.Sigmoid()
        )

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.hidden_layer(x))
        return self.to_mu(h), self.to_sigma(h)

    def forward(self, x: torch.Tensor, eps: torch.Tensor):
        """x (B, 784), eps (latent,) or (B, latent) -> (reconstruction, mu, sigma)."""
        mu, sigma = self.encode(x)
        return self.decoder(mu + sigma * eps), mu, sigma


def vae_loss(x, recon, mu, sigma) -> torch.Tensor:
    """``vae.ipynb``'s loss: batch-mean squared error summed over pixels minus the batch
    mean of (log sigma^2 - mu^2 - sigma^2) summed over latent dimensions."""
    mse = ((x - recon) ** 2).mean(0).sum()
    kl_term = (torch.log(sigma * sigma) - mu * mu - sigma * sigma).mean(0).sum()
    return mse - kl_term


@dataclass
class TrainedVAE:
    model: VAE
    loss: list[float]  # mean training loss per epoch
    config: VAEConfig


def train_vae(train: Dataset, cfg: VAEConfig) -> TrainedVAE:
    """Train (or load from the cache) the VAE on the first ``cfg.train_images`` images."""
    x = train.x[: cfg.train_images].flatten(1)
    key = {"cfg": asdict(cfg), "data": train.source, "n": len(x), "algorithm": 2}

    def compute():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # batch-16 steps are too small to gain from more threads
        try:
            return fit()
        finally:
            torch.set_num_threads(threads)

    def fit():
        torch.manual_seed(cfg.seed)
        model = VAE(cfg.hidden, cfg.latent)
        opt = torch.optim.Adam(
            model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True
        )
        g = torch.Generator().manual_seed(cfg.seed)

        def batch_loss(idx):
            xb = x[idx]
            shape = (cfg.latent,) if cfg.shared_noise else (len(xb), cfg.latent)
            recon, mu, sigma = model(xb, torch.randn(shape, generator=g))
            return vae_loss(xb, recon, mu, sigma)

        losses = minibatch_epochs(
            opt, batch_loss, len(x), batch_size=cfg.batch_size, epochs=cfg.epochs, gen=g, desc="VAE"
        )
        return {"state_dict": model.state_dict(), "losses": losses}

    out = cached("lancione-vae", key, compute)
    model = VAE(cfg.hidden, cfg.latent)
    model.load_state_dict(out["state_dict"])
    return TrainedVAE(model.eval(), out["losses"], cfg)


@torch.no_grad()
def latent_means(vae: VAE, x: torch.Tensor) -> torch.Tensor:
    """The codes mu (n, latent) of images x (n, 1, 28, 28) or (n, 784)."""
    return vae.encode(x.flatten(1))[0]
