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
# # Vrabel et al. App. D.1: how the barrier evolves during training
#
# If input-space connectivity is there at initialisation (§4.4), what does training do
# to it? The paper follows the **primary loss curve** — the loss on the straight path
# between two synthetic optimal inputs of one class — averaged over pairs and classes,
# for a ResNet-18 after each of its first 30 batches and after each of 30 epochs on
# CIFAR-10 (Figs. 10–11; its training settings, Adam with learning rate $10^{-3}$ and
# batch 512, are those of the official script, not stated in the text). It reports that
# the barrier falls early in training, then saturates while its variance over pairs
# grows.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
model: dict = None  # TrainConfig fields of the network that is followed
batches: list[int] = None  # snapshots after these numbers of batches (0: at init)
epochs: list[int] = None  # and after these epochs
classes: int = None  # classes whose optimal inputs are made (the first ones)
pairs_per_class: int = None  # pairs of optimal inputs per class and snapshot
points: int = None  # points on each straight path
synthesis: dict = None  # synthesis of the optimal inputs (threshold 5e-3)
tv: float = None  # TV weight on one input of each pair

# %% tags=["remove-cell"]
from connectivity.pages.vrabel2024.training_dynamics import TrainingDynamicsSettings

settings = TrainingDynamicsSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.vrabel2024 import training_dynamics as page
from connectivity.prose import what_reproduced

plotting.setup()

# %% [markdown]
# ## Snapshots and optimal inputs
#
# The network is trained once (cached) and its weights kept after the listed batches
# and epochs; batch 0 is the network at initialisation. At each snapshot,
# `pairs_per_class` pairs of optimal inputs for each of the first `classes` classes (the
# paper: all ten) are optimised from noise as in
# §4.4 (Adam, learning rate 0.05, weight decay $10^{-7}$, one input of each pair with the
# TV penalty), in the network's normalised input coordinates, until their cross-entropy
# is below $5\cdot10^{-3}$ — the threshold of the official script — or the iterations run
# out. As in the official script (`appF1_barrier_evolution.py`), every pair is kept, each
# input at the best iterate of its optimisation, whether or not it got below the
# threshold; the pairs whose two inputs both did (the pairs of modes) are counted and
# marked. The barrier height is the largest loss on the straight path (200 points), as in
# the official code; because the paper notes that the barrier depends on the losses of
# the interpolated inputs, the claims are tested on the barrier gap — the height above
# the pair's larger endpoint loss — and the official height is tested beside it.
# {glue:text}`dyn_setup` In the table a dash means nothing to show: fewer than two pairs
# (SD), no pair of modes, or not measured (test accuracy at the batch snapshots).

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% tags=["hide-input"]
page.snapshot_table(study).style.format(precision=4, na_rep="–")

# %% [markdown]
# ## The first batches (Fig. 10)
#
# {glue:text}`dyn_batch` Whether the barrier falls is tested one-sided with Spearman's
# rank correlation between each pair's barrier gap and the number of batches trained,
# over every pair. {glue:text}`says.vrabel2024.evolution.barrier_falls_early`
# {glue:text}`dyn_batch_why`
#
# ## The epochs (Fig. 11)
#
# {glue:text}`dyn_epoch` Whether the spread over pairs grows is tested one-sided with
# Spearman's rank correlation between each pair's absolute deviation from its snapshot's
# median barrier gap and the epoch, over every pair.
# {glue:text}`says.vrabel2024.evolution.spread_grows_later` {glue:text}`dyn_epoch_why`
# {numref}`fig-dynamics` shows both.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Figs. 10–11 of the paper, here: averaged primary loss curves (mean ± SD over every pair) after each batch snapshot (top left) and each epoch (top right), and each pair's barrier height at every snapshot (bottom; filled: both inputs reached the threshold, open: not) with the mean ± SD over pairs.", "name": "fig-dynamics"}}
fig = page.plot_barrier_evolution(study)

# %% [markdown]
# ## What reproduced here

# %% tags=["remove-input"]
what_reproduced()
