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
# # Lancione §2: methods — PCA, autoencoder, denoising autoencoder
#
# Two digits at a time, three maps from the 784-dimensional pixel space to a 2-D latent
# space, and one yardstick, the silhouette score {cite}`rousseeuw1987`. This page sets
# the three models up as the original code does, checks the claims of the methods
# section that can be checked — that the linear autoencoder *is* PCA, and that tanh
# beats ReLU — and shows the denoising autoencoder's reconstructions (Fig. 2).

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
digits: list[int] = None  # the study's pair of digits
training: dict = None  # dict of StudyTraining fields: the study's training (Tab. 1)
n_seeds: int = None  # trainings per model
converge_steps: int = None  # full-batch Adam steps per learning rate for the linear AE
converge_lr: list[float] = None  # their learning rates, in turn
max_angle: float = None  # largest principal angle (degrees) at which a plane is PCA's
hard_pair: list[int] = None  # the hard pair of §2.2
activation_seeds: int = None  # trainings per activation in tanh vs ReLU
n_boot: int = None  # bootstrap resamples of the validation images
shown_images: int = None  # images in Fig. 2

# %% tags=["remove-cell"]
from connectivity.pages.lancione.methods import MethodsSettings

settings = MethodsSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.lancione import methods
from connectivity.prose import what_reproduced

plotting.setup()
study = methods.run(settings)
records = methods.report(study)

# %% [markdown]
# ## The data, and a quirk of the original code
#
# Pixels are `ToTensor()` values in $[0,1]$, no normalisation. The original notebook
# masks the two digits and then keeps only those among the **first 8,000 training and
# the first 4,000 test images**, which leaves about 1.7k training and 0.9k validation
# images (table below). That is the `faithful` subset used by default; `full` keeps every
# image of the two digits. The validation set is (part of) the MNIST test split.

# %% tags=["remove-input"]
methods.subsets_table(study)

# %% [markdown]
# The silhouette of the raw pixels, $s_\text{orig}$, measures how well the two digits
# cluster before any model: the next table gives it for the study's images and for other
# subsets and splits, with its mean over all 45 digit pairs.

# %% tags=["remove-input"]
methods.pixel_table(study)

# %% [markdown]
# {glue:text}`says.lancione.silhouette.original`
# {glue:text}`says.lancione.silhouette.original_1_7`
#
# ## The three models
#
# * **Autoencoder (AE)**: $784\to128\to32\to2\to32\to128\to784$, untied weights, tanh
#   after every encoder layer *including* the 2-D code (so codes lie in $(-1,1)^2$),
#   tanh on the decoder's hidden layers, sigmoid output; MSE loss; Adam, lr $10^{-2}$,
#   weight decay $10^{-6}$, batch size 8, 20 epochs.
# * **Denoising autoencoder (DAE)**: the same network, trained to reconstruct $x$ from
#   $\mathrm{clip}(x + 0.3\,\varepsilon, 0, 1)$, $\varepsilon\sim N(0, I)$; its
#   validation loss also uses noisy inputs, its silhouettes use clean images.
# * **PCA as a linear autoencoder**: as `ae.ipynb` builds it, $784\to2\to2\to2\to784$
#   without activations, the decoder's weights tied to the encoder's (transposed), 25
#   epochs.
#
# *Tied weights, as the original code ties them.* `ae.ipynb` ties a decoder layer by
# assigning it `nn.Parameter(encoder.weight.transpose(0, 1))`: a separate parameter
# that shares the encoder weight's memory. Adam therefore updates the shared weight
# **twice per step**, once with the encoder's part of the gradient and once with the
# decoder's, each with its own moment estimates. This book follows the code, since the
# report's numbers come from it (a unit test checks the stacked trainer against
# `torch.optim.Adam` on `nn.Linear` layers tied that way); the textbook tied autoencoder
# (one weight, summed gradient, one update) is the option `tie="shared"`.
#
# Each model is trained {glue:text}`n_seeds` times from different initialisations (and
# batch orders); all trainings of one model run at once as one stacked network with a
# per-model Adam, numerically the same as training them one after the other
# ({numref}`fig-methods-curves`).

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Validation loss per epoch of every training of the three models (the DAE's on noisy inputs).", "name": "fig-methods-curves"}}
fig = methods.curves_figure(study)

# %% [markdown]
# ## Figure 2: what the denoising autoencoder reconstructs
#
# {numref}`fig-dae-reconstructions` shows noisy validation inputs (top row), the output of
# the first DAE training (middle) and the clean images (bottom).

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Denoising autoencoder: noisy inputs (top), reconstructions (middle), clean images (bottom) — the report's Fig. 2.", "name": "fig-dae-reconstructions"}}
fig = methods.reconstructions_figure(study)

# %% [markdown]
# ## The linear autoencoder and the PCA plane
#
# Lancione's argument for a linear autoencoder as PCA: the best linear autoencoder with
# tied weights spans the plane of the first two principal components, only in another
# basis {cite}`plaut2018`. That is checkable: the principal angles between the plane the
# trained decoder spans and the plane of PCA (closed form, on the same training images)
# are zero at the optimum. The table gives the largest angle, the silhouette and the
# validation MSE for the study's training, for the same models trained on with
# full-batch Adam (the exact gradient; smaller learning rates), and for PCA itself.

# %% tags=["remove-input"]
methods.angles_table(study)

# %% [markdown]
# {glue:text}`says.lancione.pca.plane_angle` The closer the second and third variances
# of the images (here their ratio is {glue:text}`pca_ev_ratio:.2f`), the flatter the loss
# for rotations between those two directions; the study's validation MSE is within
# {glue:text}`pca_excess_mse:.1f` % of PCA's.
# {glue:text}`says.lancione.pca.converged_plane`
#
# ## tanh or ReLU? (§2.2)
#
# Lancione prefers tanh: with ReLU, he reports, most codes gather near the origin and
# hard pairs such as 1 and 7 are neither reconstructed nor separated. The same study
# with ReLU in place of tanh (latent layer included), {glue:text}`activation_seeds`
# trainings per activation, on the study's pair and on 1 vs 7. Because ReLU codes are
# unbounded and tanh codes lie in $(-1,1)$, "near the origin" is measured without a
# scale: the share of codes within a tenth of the layout's extent (the 99th percentile
# of $|z|$) from the origin; the last column counts codes that a ReLU cut to zero in at
# least one coordinate ({numref}`fig-activation-codes`).

# %% tags=["remove-input"]
methods.activation_table(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Validation codes of the first training with each activation, on the study's pair (top) and the hard pair (bottom).", "name": "fig-activation-codes"}}
fig = methods.activation_figure(study)

# %% [markdown]
# {glue:text}`says.lancione.activation.relu_worse_hard_pair`
# {glue:text}`says.lancione.activation.relu_codes_near_origin`
# {glue:text}`says.lancione.activation.tanh_lower_val_loss`
#
# ## What reproduced here

# %% tags=["remove-input"]
what_reproduced()
