# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lancione §1: the question — does a latent space keep each digit in one piece?
#
# Lancione {cite}`lancione` starts from the manifold hypothesis: handwritten digits lie
# on a low-dimensional manifold inside the $28\times28$-dimensional pixel space, and
# moving *on* that manifold from one "2" to another should never force us through a
# region of "7"s. A latent representation that is faithful to the manifold should
# therefore keep different digits apart and each digit **in one connected piece**.
#
# His Figure 1 is the counter-example that motivates the study: in the 2-D latent
# space of a variational autoencoder (VAE) trained on all ten digits, the digit 6
# appears "in at least two different disconnected regions". This page rebuilds that
# figure and, instead of eyeballing it, *counts* the regions each digit occupies.

# %% tags=["parameters"]
profile = "ci"  # "ci" or "paper"
vae_epochs = None  # VAE training epochs (ci 5, paper 30)

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import torch
from connectivity.report import glue

from connectivity import autoencoders as ae, plotting, profiles, scorecard
from connectivity.data import load_dataset

P = profiles.resolve("lancione", profile, vae_epochs=vae_epochs)
torch.manual_seed(0)
plotting.setup()
train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")

# %% [markdown]
# ## A VAE with a two-dimensional latent space
#
# The VAE {cite}`kingma2014` here is a plain MLP (784–512–256–2 encoder giving the mean
# and log-variance of the code, mirrored decoder with a sigmoid output), trained on all
# 60,000 MNIST training images with Adam (lr $10^{-3}$, batch 128) on the negative
# ELBO. The original notebook's exact VAE is not restated in the report; what matters
# for Figure 1 is only that the latent space is two-dimensional.

# %%
vae, losses = ae.train_vae(train, epochs=P.vae_epochs)
with torch.no_grad():
    z_test = vae.encode(test.x.flatten(1))[0]
print(f"negative ELBO per image after each epoch: {np.round(losses, 1)}")

# %%
fig, ax = plt.subplots(figsize=(6, 5.5))
plotting.latent_scatter(z_test, test.y, ax=ax, s=2, title="VAE latent means of the 10,000 test digits")
plt.show()

# %% [markdown]
# ## How many pieces does each digit occupy?
#
# A region is measured, not guessed: a square around the latent codes is cut into a
# $40\times40$ grid, the codes per cell are smoothed with a Gaussian of one cell, a
# cell is given to a digit when its smoothed count of that digit is at least one and
# the digit is the majority there, and the regions of a digit are the 8-connected
# components of its cells holding at least 2 % of its codes
# (`connectivity.autoencoders.count_regions`, tested on synthetic layouts). Stray codes
# inside another digit's region therefore do not count, but a genuine second cluster
# does.

# %%
regions = {d: ae.count_regions(z_test, test.y, d) for d in range(10)}
table = pd.DataFrame({"digit": list(regions), "regions": list(regions.values())}).set_index("digit").T
table

# %%
max_regions = max(regions.values())
split_digits = [d for d, r in regions.items() if r > 1]
glue("max_regions", max_regions, display=False)
glue("split_digits", ", ".join(map(str, split_digits)) or "none", display=False)
scorecard.record("lancione.vae.max_regions_per_digit", "VAE (all digits): most disconnected regions of one digit",
                 max_regions, note="paper (Fig. 1): the digit 6 occupies at least two regions; grid-count criterion")
scorecard.record("lancione.vae.some_digit_split", "VAE (all digits): some digit occupies > 1 region",
                 bool(split_digits), paper=True)

# %% [markdown]
# With this criterion, the most fragmented digit occupies {glue:text}`max_regions`
# region(s); the digits split into more than one region are: {glue:text}`split_digits`.
# Which digit splits depends on the training run (Lancione's was the 6), but the
# phenomenon — a digit cut into pieces by another digit's region — is what the
# question is about. The next sections make it quantitative with two digits at a
# time, where the silhouette score can measure how well the two are kept apart.
