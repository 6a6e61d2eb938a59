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
# # Vrabel et al. §4.1: loss barriers between real images, and how to bypass them
#
# Vrabel, Shem-Ur, Oz & Krueger {cite}`vrabel2024` carry *mode connectivity* from
# parameter space to input space. Two inputs of the same class with very low loss are
# **modes** $A$ and $C$. On the straight path $x(t) = (1-t)A + tC$ the loss rises to a
# **barrier** at some point $B$. Starting from $B$, Adam minimises
#
# $$\mathrm{CE}(y, f(x)) + \lambda_\text{mse}\,\overline{(x-B)^2} + \lambda_\text{hf}\,\mathrm{TV}_1(x - B)$$
#
# with the gradient's component along $C - A$ removed before every step, so the
# optimum $B'$ stays in the hyperplane through $B$ orthogonal to $AC$. The new path
# $A \to B' \to C$ replaces the straight one; "secondary" barriers that remain above a
# threshold are bypassed the same way, round after round. The paper shows it for
# GoogLeNet on ImageNet (the `paper` profile, which reads the user's ImageNet validation
# folder); the `ci` profile uses the CIFAR-10 ResNet of this book, on many pairs at once.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
model: str = None  # "imagenet_googlenet" (the paper's) or "cifar10_resnet"
pretrained: bool = None  # ImageNet weights for GoogLeNet
classes: int = None  # classes the pairs come from
images_per_class: int = None  # ImageNet validation images read per class
n_pairs: int = None  # pairs of modes
mode_max_loss: float = None  # a mode's largest cross-entropy
seed: int = None  # seed of the pair draw
bypass: dict = None  # lr, iterations, lambda_mse, lambda_hf, n_linear, threshold, ...
lens_pairs: int = None  # pairs compared by the three lenses
neb: dict = None  # NEB settings of the three-lens comparison
checkpoint: dict = None  # your classifier: path, architecture, dataset, mean, std

# %% tags=["remove-cell"]
from connectivity.pages.vrabel2024.bypass import BypassSettings

settings = BypassSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.vrabel2024 import bypass as page
from connectivity.prose import what_reproduced

plotting.setup()

# %% [markdown]
# ## Modes
#
# As the paper and its official code: the modes are images of a class that the network
# classifies with a cross-entropy of at most `mode_max_loss` (the paper: "in the order of
# $10^{-4}$ or lower"), paired within their class. The optimisation runs, as in the
# official code, in the network's *normalised* input coordinates (the official tensors
# are ImageNet-normalised): Adam with learning rate 0.005 for 1,024 iterations,
# $\lambda_\text{mse} = 0.1$, $\lambda_\text{hf} = 10^{-8}$; the straight path is
# evaluated at 1,000 points and each later segment at 500. The network:
# {glue:text}`bypass_model`. {glue:text}`bypass_modes`

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% tags=["hide-input"]
page.pairs_table(study).round(4)

# %% [markdown]
# ## Loss along the paths (Figs. 1–2)
#
# {glue:text}`bypass_straight` {numref}`fig-bypass-paths` shows the pairs with the highest
# straight barriers: the straight path and the path after each round, the segments of a
# bypassed path laid one after the other over $[0, 1]$ in proportion to their length.
# That one round lowers the barrier is the optimisation's own goal ($B'$ minimises the
# loss at the barrier point), so it is a check on every bypassed pair; the paper's claim,
# that one round suffices for most pairs, is tested with a binomial test against one
# half. {glue:text}`says.vrabel2024.bypass.lowers_barrier`
# {glue:text}`says.vrabel2024.bypass.one_round_suffices` {glue:text}`bypass_rounds`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Figs. 1–2 of the paper, here: cross-entropy of the class along the straight path (grey) and after each bypass round, for the pairs with the highest straight barriers; dashed: the threshold.", "name": "fig-bypass-paths"}}
fig = page.plot_paths(study)

# %% [markdown]
# ## What the bypass changes in the image (Fig. 3)
#
# For the first bypassed pair, {numref}`fig-bypass-fig3` shows the images along the
# straight path (top) and along $A \to B' \to C$ (middle) at the same positions, and
# their difference (bottom, amplified). The paper observes that the difference is one
# pattern, $B' - B$, scaled by the interpolation factor: for two piecewise-linear paths
# through $A$ and $C$ this holds by construction, so it is recorded as a check.
# {glue:text}`bypass_fig3` {glue:text}`says.vrabel2024.bypass.orthogonality`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Fig. 3 of the paper, here: images along the straight path (top row) and along A → B' → C (middle row) at the same positions t, and their difference (bottom row, amplified to the grey range).", "name": "fig-bypass-fig3"}}
fig = page.plot_fig3(study)

# %% [markdown]
# ## Beyond the paper: one model, three lenses
#
# On the first `lens_pairs` pairs, the three ways of connecting two modes used in this
# book: the straight line; the nudged elastic band of the Gu & Borovykh chapter, which
# stops at the first band that is classified as the class everywhere, however high its
# loss; and this chapter's bypass, which aims to bring the loss below the threshold. Lengths
# are Euclidean, in pixel units. {glue:text}`bypass_lenses`

# %% tags=["remove-input"]
page.lens_table(study).round(4)

# %% [markdown]
# ## What reproduced here

# %% tags=["remove-input"]
what_reproduced()
