# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: connectivity (portable kernels)
#     language: python
#     name: connectivity
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
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
vae: dict = None  # dict of VAEConfig fields: the VAE of vae.ipynb and its training
regions: dict = None  # RegionGrid fields: the grid that counts a digit's regions
n_subsamples: int = None  # half-subsamples of the codes (split test)

# %% tags=["remove-cell"]
from connectivity.pages.lancione.question import QuestionSettings

settings = QuestionSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.lancione import question
from connectivity.prose import what_reproduced

plotting.setup()
study = question.run(settings)
records = question.report(study)

# %% [markdown]
# ## A VAE with a two-dimensional latent space
#
# The VAE {cite}`kingma2014` is the one of the original code (`vae.ipynb`): an encoder
# $784\to256$ with ReLU and two linear heads giving the mean $\mu$ and the standard
# deviation $\sigma$ of the 2-D code (used as is, without an exponential), a decoder
# $2\to256\to784$ with ReLU and a sigmoid output; one noise draw $\varepsilon$ per
# minibatch, $z=\mu+\sigma\varepsilon$; the loss is the squared error summed over pixels
# minus $\sum(\log\sigma^2-\mu^2-\sigma^2)$ over the latent dimensions, both averaged
# over the minibatch; Adam with learning rate $10^{-4}$ and weight decay $10^{-6}$,
# batch 16, 30 epochs, on all 60,000 training images. {glue:text}`vae_scale`
# {numref}`fig-vae-latent` shows the latent means $\mu$ of the 10,000 test images; the
# training loss per epoch is in the table below it.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Latent means of the 10,000 MNIST test images in the VAE's 2-D latent space, coloured by digit (the report's Fig. 1).", "name": "fig-vae-latent"}}
fig = question.latent_figure(study)

# %% tags=["remove-input"]
question.loss_table(study)

# %% [markdown]
# ## How many pieces does each digit occupy?
#
# A region is measured, not guessed: a square around the latent codes is cut into a
# $40\times40$ grid, the codes per cell are smoothed with a Gaussian of one cell, a
# cell is given to a digit when its smoothed count of that digit is at least one and
# the digit is the majority there, and the regions of a digit are the 8-connected
# components of its cells holding at least 2 % of its codes
# (`connectivity.latent.metrics.count_regions`, tested on synthetic layouts). Stray
# codes inside another digit's region therefore do not count, but a genuine second
# cluster does. The grid "splits" a single blob now and then, so a split must be stable:
# present in the full codes and in most of the half-subsamples of the codes, drawn
# without replacement (a bootstrap's duplicated codes make the grid grainy: it split 44 %
# of layouts with one Gaussian blob per digit). The test is binomial against one half; as
# subsamples overlap it is a stability criterion, which on one-blob layouts of the same
# size calls about one in twenty split (`tests/test_latent_metrics.py`).

# %% tags=["remove-input"]
question.regions_table(study)

# %% [markdown]
# {glue:text}`says.lancione.vae.some_digit_split` {glue:text}`vae_nowhere`
# Which digit splits may depend on the training run (in Lancione's report it is the 6);
# the question is whether a digit can be cut into pieces by another digit's region at all. The next
# pages make it quantitative with two digits at a time, where the silhouette score
# measures how well the two are kept apart.
#
# ## What reproduced here

# %% tags=["remove-input"]
what_reproduced()
