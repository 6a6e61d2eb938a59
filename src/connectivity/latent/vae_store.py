"""The report's VAE (30 epochs on the 60,000 MNIST training images, ``vae.ipynb``) as a
committed model: ~4.5 CPU-minutes to train (one epoch is ~9 s of batch-16 steps on one
thread), so it is trained once by ``make models`` (:mod:`connectivity.model_store`) and
kept in the store of committed models (:mod:`connectivity.checkpoints`: file, sha256 and
recipe in ``trained_models/manifest.json``) as the classifiers are.

A page asks :func:`load_committed` first: a config whose key (:func:`store_key`) is in
the manifest is loaded from its file after the sha256 check (a damaged file raises
:class:`~connectivity.checkpoints.ModelIntegrityError`, never a silent retraining); for
any other config (a toy-size one) it gets None and trains (and caches) the VAE with
:func:`~connectivity.latent.vae.train_vae`. ``make models`` writes one with
:func:`store_vae` (from the cache where the cache holds that recipe).
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path

import torch

from ..checkpoints import half_storage, load_state_dict, lookup, restore, write_model
from ..data import Dataset
from .vae import VAE, TrainedVAE, VAEConfig, train_vae, vae_loss

# the data part of the key: MNIST's training split in the reference order
# (connectivity.data.order checks every source against it), whatever its path
DATA = "mnist train (reference order)"


def store_key(cfg: VAEConfig) -> dict:
    """The recipe that names a committed VAE: its config, the data and the algorithm."""
    return {"model": "lancione-vae", "cfg": asdict(cfg), "data": DATA, "algorithm": 2}


def load_committed(cfg: VAEConfig, folder: Path | None = None) -> TrainedVAE | None:
    """The committed VAE trained with ``cfg`` (sha256 checked), or None when the store
    holds none of that recipe; its loss per epoch is the training's, from the manifest."""
    found = lookup(store_key(cfg), folder)
    if found is None:
        return None
    model = VAE(cfg.hidden, cfg.latent)
    model.load_state_dict(load_state_dict(found[1], folder))
    return TrainedVAE(model.eval(), list(found[1]["history"]["loss"]), cfg)


@torch.no_grad()
def evaluate_vae(model: VAE, test: Dataset) -> dict[str, float]:
    """The loss of ``vae.ipynb`` on the test images without the noise draw (z = mu), and
    its squared-error part (summed over pixels, averaged over images)."""
    x = test.x.flatten(1)
    mu, sigma = model.encode(x)
    recon = model.decoder(mu)
    mse = float(((x - recon) ** 2).mean(0).sum())
    return {"test_loss_at_mean": float(vae_loss(x, recon, mu, sigma)), "test_mse_at_mean": mse}


def store_vae(
    train: Dataset,
    test: Dataset,
    cfg: VAEConfig,
    name: str,
    folder: Path | None = None,
    **fields,
) -> dict:
    """Train the VAE of ``cfg`` (:func:`~connectivity.latent.vae.train_vae`) and write it
    to the store as model ``name``: weights as the store keeps them
    (:func:`~connectivity.checkpoints.half_storage`), the training's loss per epoch and
    wall time, and the evaluation of the stored weights; ``fields`` (provenance) go to
    its entry."""
    t0 = time.perf_counter()
    trained = train_vae(train, cfg)
    wall = time.perf_counter() - t0
    stored, halved = half_storage(trained.model.state_dict())
    trained.model.load_state_dict(restore(stored))
    return write_model(
        name,
        store_key(cfg),
        stored,
        folder,
        float16_tensors=len(halved),
        history={"loss": trained.loss},
        evaluation=evaluate_vae(trained.model, test),
        wall_seconds=round(wall, 1),
        **fields,
    )
