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
# # Lancione §5: the proposed future work, done
#
# The report closes with two proposals. (i) Validation loss is the wrong criterion to
# pick a model for this question: what matters is whether a reconstruction looks like
# the *other* digit — the "wrong reconstruction" metric. (ii) Two latent dimensions
# are a rough guess for the dimension of a digit manifold; the silhouette should be
# studied across latent dimensions. Both are carried out here, and the first decides two
# claims of the report's results: that the denoising autoencoder fails on the hard pairs
# 4–9 and 1–7, and that PCA reconstructs the correct digit less well than the
# autoencoders. The same survey of all pairs tests the report's two conclusions of *no*
# difference: between the autoencoder and the denoising autoencoder, and between the
# autoencoders and PCA.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
digits: list[int] = None  # the study's pair of digits
training: dict = None  # dict of StudyTraining fields: the study's training (Tab. 1)
survey: dict = None  # SurveyConfig fields: the all-pairs survey (as on the results)
judge_epochs: int = None  # epochs of the digit classifier that judges reconstructions
sweep_dims: list[int] = None  # latent dimensions of the sweep
sweep_seeds: int = None  # trainings per latent dimension
sweep_epochs: int = None  # autoencoder epochs in the sweep

# %% tags=["remove-cell"]
from connectivity.pages.lancione.future_work import FutureWorkSettings

settings = FutureWorkSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.lancione import future_work
from connectivity.prose import what_reproduced

plotting.setup()
study = future_work.run(settings)
records = future_work.report(study)

# %% [markdown]
# ## (i) Wrong reconstructions
#
# A judge is needed: an MLP digit classifier (784–256–10) trained on all 60,000 MNIST
# training images; it reaches {glue:text}`judge_acc:.1f` % test accuracy. A reconstruction
# of a validation image of digit $a$ by the model of pair $(a, b)$ is *wrong* when the
# judge calls it $b$. The models are the all-pairs survey of the results page (loaded
# from the cache); each pair's rate is the mean over its non-collapsed trainings. PCA
# reconstructs through the projection onto its plane ({numref}`fig-wrong`).

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Wrong-reconstruction rate per digit pair of PCA, the AE and the DAE (mean over non-collapsed trainings), and the rates of all trainings, collapsed ones apart (log scale).", "name": "fig-wrong"}}
fig = future_work.wrong_figure(study)

# %% [markdown]
# The pairs whose DAE reconstructions most often turn into the other digit:

# %% tags=["remove-input"]
future_work.wrong_table(study)

# %% [markdown]
# The report's failure on the hard pairs is a "cloudy average digit": a training that
# collapsed to one average image, or one that reconstructs one digit of the pair as the
# other. The survey reruns collapsed trainings, so the claim is tested on the **first**
# training of each pair and slot, before any rerun: it *fails* when it collapsed or when
# the judge reads most reconstructions of one of its digits as the other digit. The hard
# pairs' first trainings against the other pairs':

# %% tags=["remove-input"]
future_work.failure_table(study)

# %% [markdown]
# {glue:text}`says.lancione.pairs.hard_pairs_dae_fails`
# {glue:text}`says.lancione.pairs.pca_reconstructs_worse`
# The report also calls PCA's reconstructions "more blurred": the share of the originals'
# edges a reconstruction keeps (summed differences between neighbouring pixels,
# reconstruction over original) measures that directly.
# {glue:text}`says.lancione.pairs.pca_blurrier`
# The {glue:text}`n_collapsed` collapsed trainings of the survey have a mean
# wrong-reconstruction rate of {glue:text}`collapsed_wrong`: an average digit is read as
# either digit of the pair, which is why they are left out. This metric separates what
# validation MSE cannot: an MSE-good reconstruction of a 7 that the judge reads as a 1 is
# a mispositioned code.
#
# ## The report's two conclusions of no difference
#
# The report concludes that the denoising autoencoder clusters no differently from the
# autoencoder, and that the autoencoders bring "no significant advantage" over PCA's
# linear encoding. Both are claims of *no* difference, so absence of a significant
# difference does not show them: each is decided on the survey's pairs, paired (per pair
# the mean silhouette of its non-collapsed trainings that the chapter's saturation rule
# keeps, with the verdict without the rule beside; PCA in closed form), by the book's
# one rule on the mean per-pair difference — shown when two one-sided tests put it within
# ± {glue:text}`no_difference:.2f`, the largest silhouette difference the report itself
# calls none (the silhouettes of its trainings A and B, Figs. 3a–3b, "do not seem as
# different").
#
# {glue:text}`says.lancione.pairs.ae_dae_silhouette_difference`
# {glue:text}`says.lancione.pairs.autoencoders_pca_silhouette_difference`
#
# ## (ii) Latent dimension
#
# The autoencoder of the study with a latent layer of $d$ units (tanh), trained on the
# study's pair from several seeds ({numref}`fig-sweep`). A caveat for reading the curve:
# distances concentrate as $d$ grows, so silhouettes in different dimensions are not on
# exactly the same scale; pixel space ($d = 784$) is the extreme case.

# %% tags=["remove-input"]
future_work.sweep_table(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Silhouette (left) and validation MSE (right) of the autoencoder against its latent dimension; grey: single trainings.", "name": "fig-sweep"}}
fig = future_work.sweep_figure(study)

# %% [markdown]
# Over all trainings of the sweep the silhouette {glue:text}`sweep_sil_trend` with the
# latent dimension (mean {glue:text}`sweep_first:.3f` at the smallest,
# {glue:text}`sweep_last:.3f` at {glue:text}`sweep_last_dim`), and the validation MSE
# {glue:text}`sweep_mse_trend` (one-sided Spearman tests at 5 %). Reconstruction and
# separation are different goals: a wider bottleneck has no pressure to keep the two
# digits apart.
#
# ## What reproduced here
#
# The table lists every record of this page. The report's results on the study's pair
# are decided on the methods and results pages; where the `ci` profile shortens training
# (the survey and the sweep), the numbers are for that shorter training, and the `paper`
# profile restores the study's settings.

# %% tags=["remove-input"]
what_reproduced()
