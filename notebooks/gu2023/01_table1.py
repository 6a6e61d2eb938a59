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
# # Gu & Borovykh §3–4: linear and nonlinear paths (Table 1)
#
# Take two test images $x_1, x_2$ of the same class $y$, both classified correctly.
# In the original space ($l = 0$) or in the latent space of layer $l$, with
# $z^l = f_{0:l}(x)$, they are **linearly connectable** if every point of the segment
# $z^l_1 \to z^l_2$ is classified as $y$ by the rest of the network $f_{l:L}$. If not,
# Gu & Borovykh {cite}`gu2023` search a minimum-energy path with the nudged elastic band
# {cite}`jonsson1998,draxler2018`, with energy $L(z) = \mathrm{CE}(y, f_{l:L}(z))$, and
# call the pair **nonlinearly** connected if that path is classified as $y$ everywhere.
# Their Table 1 counts, for 25 pairs and a ResNet50 fine-tuned on CIFAR-10, how many
# pairs are linearly connected, only nonlinearly connected, or not connected, in the
# original space, the first hidden layer and the last layer.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
classifier_changes: dict = None  # changes to the shared CIFAR-10 ResNet's TrainConfig
n_pairs: int = None  # same-class test pairs per draw
n_linear: int = None  # points checked on the straight path (and at least on a band)
spaces: dict = None  # stages or module paths: original, intermediate, last, last_stage
neb: dict = None  # NEB: n_pivots, steps, lr, spring, optimizer, climbing, climb_after
check_every: int = None  # NEB iterations between checks of the band's class
pair_seeds: list[int] = None  # seeds of the pair draws
rerun_budget: list[int] = None  # NEB pivots, iterations of unconnected pairs' rerun
depth_layers: list[str] = None  # every stage of the depth sweep
checkpoint: dict = None  # your classifier: path, architecture, dataset, mean, std

# %% tags=["remove-cell"]
from connectivity.pages.gu2023.table1 import Table1Settings

settings = Table1Settings.from_notebook(globals())

from connectivity import plotting
from connectivity.pages.gu2023 import table1 as page
from connectivity.prose import what_reproduced

plotting.setup()

# %% [markdown]
# ## The classifier and the spaces
#
# The CIFAR-10 ResNet of the [classifiers chapter](../classifiers.ipynb), loaded from
# the cache. In the `ci` profile it is a small ResNet trained from scratch on
# $32\times32$ images instead of the paper's ImageNet-pretrained ResNet50 fine-tuned on
# $224\times224$ inputs. The spaces are the pixels, the output of the first residual
# stage (the paper's "first hidden layer", ResNet50's `layer1`), the pooled features
# (its "last layer") and, beyond the paper, the last residual stage before pooling.
#
# Each draw takes `n_pairs` pairs of correctly classified test images, the classes
# taken in turn; the same pairs are used in every space. The straight segment is
# checked at `n_linear` equally spaced points (the paper gives no count; the `paper`
# profile checks 1,000, `ci` 200 to save time). A coarser check can miss a short
# excursion out of the class, so it can only call more pairs linear: the `ci` shares
# lean up, if at all (the [deviations page](../../deviations.md) gives the count
# measured on the `ci` model). For the pairs it fails, NEB relaxes a band of pivots that
# starts on the segment (Adam on the NEB force, the improved tangent of
# {cite}`henkelman2000`, no climbing image; the paper gives none of these settings). A
# band counts when it is classified as the class at the pivots and at the same
# `n_linear` parameters along it as the straight check — the band is checked at least
# as densely as the segment — after every `check_every` iterations. A band that passes
# before it has moved is the segment itself: that pair is linear.
#
# {glue:text}`table1_classifier` The parameter `checkpoint` runs this page on another
# classifier (the [Your classifier](../your_classifier.ipynb) page shows how).

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% tags=["remove-input"]
page.shape_table(study)

# %% tags=["hide-input"]
settings.table()

# %% [markdown]
# ## Table 1
#
# The paper draws one set of 25 pairs. This book draws `pair_seeds` sets and pools
# their pairs. A column's three counts add up to the pairs, so one number per space is
# free: the share of linearly connected pairs. It is measured, with its 95 %
# Clopper–Pearson interval beside the paper's share and the paper's own interval from
# its 25 pairs. The sentence after it gives the power an equivalence verdict on the
# share would have under the book's rule for a number (two one-sided tests within half
# the paper's gap to the nearest share it compares it with, the paper's binomial
# standard error and ours combined): the paper's 25 pairs alone set how often an exact
# reproduction could pass, however many pairs this book draws. The counts themselves are
# shown (the table below: mean ± SD per space; {numref}`fig-gu-linear-loss` shows how
# far each straight path leaves the class).
#
# {glue:text}`table1_counts`
#
# The last-layer column holds by construction: after the pooled features the network
# is one affine layer, so every class region there is an intersection of half-spaces,
# a convex set, and the segment between two correctly classified points never leaves
# it — for a trained network or a random one. It is recorded as a *check*, not as a
# reproduction. {glue:text}`table1_last` The question is open one stage earlier, in
# the last residual stage before pooling: {glue:text}`table1_open`
#
# The paper's reading of the table carries the verdicts: a majority of linear pairs in
# each space (one-sided exact binomial test over the pooled pairs) and fewer in the
# first hidden layer than in the original space (exact sign test on the same pairs).
# {glue:text}`table1_claims`
#
# The abstract's claim that paths "exist in all cases studied" is universal: one pair
# that no path joins refutes it, and no number of connected pairs proves it, so the
# page says how small an unconnected share its pairs rule out (the 95 %
# Clopper–Pearson upper bound). NEB's budget is this book's choice (the paper gives
# none), so a pair NEB leaves unconnected at this profile's budget is run again with
# `rerun_budget` pivots and iterations (the `paper` profile's budget) before it counts
# as unconnected.
# {glue:text}`table1_connected`
#
# {glue:text}`table1_why`

# %% tags=["remove-input"]
page.count_table(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Largest cross-entropy of the pair's class on each straight path, all draws, by space; colour: the pair's outcome. Above the dotted line (ln 2) the class has less than half the probability at some point of the segment.", "name": "fig-gu-linear-loss"}}
fig = page.plot_linear_loss(study)

# %% [markdown]
# ## What NEB did
#
# With Adam, every coordinate of a pivot moves by about `lr` times the band's mean
# coordinate distance $|z_2 - z_1|$ per iteration, whatever the force; the number of
# iterations to success therefore says mostly how far the band had to move in units of
# that step. {numref}`fig-gu-neb` shows both for every pair NEB ran on: the iterations
# and the largest distance of a pivot from the straight segment, relative to the
# segment's length.
#
# {glue:text}`neb_summary`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Pairs that needed NEB (all draws): iterations until the whole band is classified as the pair's class, against how far the band then lies from the straight segment (largest pivot distance over segment length). Crosses: bands still not all of the class after the last iteration.", "name": "fig-gu-neb"}}
fig = page.plot_neb(study)

# %% tags=["remove-input"]
page.neb_summary_table(study)

# %% [markdown]
# ## Beyond the paper: every depth
#
# The paper looks at three spaces; {numref}`fig-gu-depth` runs the same test at the
# output of every stage of the network (first pair draw). {glue:text}`depth_trend`

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Share of pairs (first draw) that are linearly connected, only nonlinearly connected, or not connected, at the output of every stage from the pixels to the pooled features.", "name": "fig-gu-depth"}}
fig = page.plot_depth(study)

# %% tags=["remove-input"]
page.depth_table(study).T

# %% [markdown]
# ## What reproduced here

# %% tags=["remove-input"]
what_reproduced()
