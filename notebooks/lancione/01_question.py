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
# His Figure 1 is the counter-example that motivates the study: a $20\times20$ grid of
# images decoded from the 2-D latent space of a variational autoencoder (VAE) trained on
# all ten digits, where the digit 6 appears "in at least two different disconnected
# regions" (red circles: the top-left corner and the centre-right). This page rebuilds
# that figure and, instead of eyeballing it, lets a digit classifier read every image
# and *counts* the regions each digit occupies.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
vae: dict = None  # dict of VAEConfig fields: the VAE of vae.ipynb and its training
decoded_side: int = None  # side of the decoded grid (Fig. 1: 20 x 20)
judge_epochs: int = None  # epochs of the digit judge (the future-work page's)
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
# batch 16, 30 epochs, on all 60,000 training images. {glue:text}`vae_source`
# {glue:text}`vae_scale` The training loss per epoch:

# %% tags=["remove-input"]
question.loss_table(study)

# %% [markdown]
# ## The report's figure: a grid of decoded digits
#
# As in the report (and the Keras VAE example it follows), the decoder is evaluated on a
# grid of latent points that covers the prior $N(0, I)$ evenly in probability: row $i$
# and column $j$ of the $20\times20$ grid decode $z=(\Phi^{-1}((j+0.5)/20),
# \Phi^{-1}((i+0.5)/20))$, with $\Phi^{-1}$ the inverse Gaussian CDF. Every decoded image
# is read by the chapter's digit judge — the MNIST classifier that the future-work page
# uses to judge reconstructions, trained once and shared with it — and the regions of a
# digit are the 4-connected groups of cells (sharing an edge) read as that digit. A
# region counts when it holds at least two images: a single cell is what one image the
# judge misreads makes, so it is not evidence of a region of the latent space (those are
# listed, not counted). {glue:text}`decoded_reading`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "The report's Fig. 1 rebuilt: images decoded from the VAE's 2-D latent space on the grid of Gaussian quantiles. Each cell is tinted by the digit the judge reads in it (the colours of the scatter below) and labelled with it; grey lines separate cells read as different digits, red lines outline every digit read in two or more separate regions of at least two images.", "name": "fig-vae-decoded"}}
fig = question.decoded_figure(study)

# %% tags=["remove-input"]
question.decoded_regions_table(study)

# %% [markdown]
# {glue:text}`says.lancione.vae.decoded_digit_split`
#
# ## Beyond the report: the encoded test images
#
# The decoded grid shows what the decoder makes of each point of the prior; it does not
# show where the encoder puts real digits — a region at the grid's edge may hold almost
# no encoded image. {numref}`fig-vae-latent` shows the latent means $\mu$ of the 10,000
# test images, and the table below counts the regions each digit occupies there.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Latent means of the 10,000 MNIST test images in the VAE's 2-D latent space, coloured by digit (beyond the report).", "name": "fig-vae-latent"}}
fig = question.latent_figure(study)

# %% [markdown]
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
# size — ten digits of 1,000 codes each — calls about one in twenty split
# (`tests/test_latent_metrics.py`). This count is a measurement of this book, not the
# report's claim.

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
