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
# # Vrabel et al. §4.2: real–real versus real–adversarial barriers (Figs. 4–6)
#
# An adversarial example $K'$ is an image $K$ of one class nudged until the network
# assigns it another class $c$. Is it a mode of class $c$ like a real image of $c$?
# Vrabel et al. {cite}`vrabel2024` find that adversarial examples are connected to real
# images of their new class, but behind higher barriers than two real images: on
# ImageNet with GoogLeNet, 5,000 pairs per branch, the straight-path barrier between a
# real and an adversarial image is much higher than between two real images. That
# difference is what their detector (next page) uses.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
model: str = None  # "imagenet_googlenet" (the paper's) or "cifar10_resnet"
pretrained: bool = None  # ImageNet weights for GoogLeNet
classes: int = None  # classes used
pairs_per_class: int = None  # pairs per class and branch
drop_per_class: int = None  # pairs per class dropped (largest endpoint-loss difference)
path_steps: int = None  # points on each straight path
seed: int = None  # seed of the image shuffle and the source classes
attack: dict = None  # targeted attack: lr, iterations, lambda_mse, lambda_hf, ...
bypass: dict = None  # bypass settings of the Fig. 5 rounds (threshold, max_rounds, ...)
bypass_pairs: int = None  # pairs per branch taken through bypass rounds
n_boot: int = None  # bootstrap resamples
checkpoint: dict = None  # your classifier: path, architecture, dataset, mean, std
barrier_attack_images: int = None  # images for the five attacks of §4.2.1
barrier_attacks: dict = None  # the five untargeted attacks (eps, cw_steps, ...)

# %% tags=["remove-cell"]
from connectivity.pages.vrabel2024.adversarial_barriers import AdversarialBarriersSettings

settings = AdversarialBarriersSettings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.vrabel2024 import adversarial_barriers as page
from connectivity.prose import what_reproduced

plotting.setup()

# %% [markdown]
# ## Pairs and the attack
#
# As in the paper and its official code: for every class, `pairs_per_class` pairs of
# images of that class, consecutive images of a seeded shuffle of its test (ImageNet:
# validation) images, with no filter on their loss or prediction, form the
# **real–real** branch. In the **real–adversarial** branch the first image $A$ of each
# pair is paired with an adversarial $K'$ made from the image $K$ at the same position of
# a random other class. The attack is the paper's: Adam (learning rate 0.005) on
#
# $$\mathrm{CE}(c, f(x)) + 0.1\,\overline{(x-K)^2} + 10^{-8}\,\mathrm{TV}_1(x-K),$$
#
# in the network's *normalised* input coordinates as the official code (its tensors are
# ImageNet-normalised), without pixel bounds, for at most 512 iterations, stopped (after
# at least 33) as soon as its loss is below that of $A$. Each straight path is evaluated
# at `path_steps` points; per class, the `drop_per_class` pairs with the largest
# difference between their two endpoint losses are dropped, as the paper does. The
# network: {glue:text}`adv_model`. {glue:text}`adv_pairs` {glue:text}`adv_attack`
# {numref}`fig-adv-example` shows the first pair.

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Fig. 4 of the paper, here: a real image A, a source image K of another class, its adversarial K' (targeted at A's class) and the perturbation K' − K, scaled to the grey range.", "name": "fig-adv-example"}}
fig = page.plot_example(study)

# %% [markdown]
# ## Barriers on the straight paths (Fig. 6)
#
# For each kept pair: the **barrier height**, the largest cross-entropy of the pair's
# class on the straight path, and the **gap**, that height minus the larger of the two
# endpoint losses ({numref}`fig-adv-stats`). The paper's claim, that both are higher for
# real–adversarial pairs, is tested one-sided and paired: a pair's two branches share
# their real image $A$, so over the pairs kept in both branches the real–adversarial
# value minus the real–real one goes into Wilcoxon's signed-rank test (effect size: the
# median of these differences).
# {glue:text}`adv_compare`
#
# The table gives the eight statistics of the paper's Fig. 6, with the paper's values.
# {glue:text}`adv_scale`

# %% tags=["remove-input"]
page.summary_table(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Fig. 6 of the paper, here: barrier height and gap on the straight paths of the pairs kept, real–real (blue) and real–adversarial (red).", "name": "fig-adv-stats"}}
fig = page.plot_statistics(study)

# %% [markdown]
# ## Bypassing a real–adversarial barrier (Fig. 5)
#
# The paper takes one real–adversarial pair through the bypass procedure of §4.1 and
# finds that after one round *secondary* barriers above the threshold remain on both new
# segments, which further rounds remove, where the real–real pairs of its §4.1 needed one
# round. Here
# `bypass_pairs` kept pairs of each branch go through up to `max_rounds` rounds (the
# §4.1 procedure, in the network's normalised coordinates), and the share of paths
# still above the threshold after one round is compared between the branches (one-sided
# Fisher's exact test on the two counts). {glue:text}`adv_secondary` {glue:text}`adv_fig5`
# {numref}`fig-adv-bypass` shows the loss along that pair's path after each round, beside
# a real–real pair.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Fig. 5 of the paper, here: cross-entropy along the path between a real image and an adversarial (left) and between two real images (right), on the straight path and after each bypass round; dashed: the threshold.", "name": "fig-adv-bypass"}}
fig = page.plot_bypass(study)

# %% [markdown]
# ## Barriers of the detector's attacks (§4.2.1)
#
# The detector of the next page rests on the barrier between an image and a low-loss
# reference of its predicted class, which the paper finds "less pronounced in simpler
# attacks but more defined in advanced ones like deepfool and C&W". Here the first
# `barrier_attack_images` second images $C$ of the pairs that the network classifies
# correctly are attacked by each of the benchmark's five untargeted attacks (those of the
# next page). Each adversarial is joined by a straight path to the reference of its
# predicted class (the lowest-loss first image $A$ of that class), and the path's gap
# (barrier height above the higher endpoint) is taken. Per image turned by all five
# attacks, the mean gap of its DeepFool and C&W adversarials minus that of its FGSM, BIM
# and PGD ones goes into a one-sided Wilcoxon signed-rank test (paired: the same image).
# {glue:text}`adv_advanced`

# %% [markdown]
# ## What reproduced here

# %% tags=["remove-input"]
what_reproduced()
