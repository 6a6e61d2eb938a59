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
# # Performance
#
# The book has to rebuild on a laptop-class CPU, so its hot paths are measured against
# targets. Every row below is a **ratio measured in one run** on the machine that built
# this page — the two sides of a ratio minutes apart on the same cores — because
# absolute times on shared machines are noisy. `make bench` runs the same code with
# more repetitions and writes `_build/bench.json`.
#
# | row | what is compared | target |
# |---|---|---|
# | barrier bypass | this book's batched bypass (all pairs in one optimisation) vs the study's way, one Adam run per pair with a Python float read every step | ≥ 10× |
# | NEB | one NEB iteration for 25 pairs × N pivots (the time difference of runs of n and 2n iterations, which leaves out the energies a run computes once: endpoints, final band) vs one forward+backward of the same batch | ≤ 15 % overhead |
# | loss curves | 25 straight paths × `points` points (400 in `ci`) vs raw inference of the same images, the two timed in turn (median of 3) | ≤ 10 % overhead |
# | training | achieved FLOP/s of a training step of the shared ResNet and VGG, as the classifiers chapter trains them, vs a 2048² matmul in the same precision | ≥ 60 % |
# | book | the runner's notebook times of this build | ≤ 60 min, no notebook over 20 min |
# | detectors | feature cost per image of the mode-connectivity detector vs each baseline | reported |

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
repeats: int = None  # timings per measurement (the median is used)
pairs: int = None  # same-class test pairs in the bypass, NEB and curve rows
iterations: int = None  # bypass iterations per timing
points: int = None  # points per straight loss curve
n_pivots: int = None  # NEB pivots per pair
neb_steps: int = None  # NEB iterations of the shorter timed run (the longer: twice)
train_batch: int = None  # images per measured training step
detector_images: int = None  # images whose detector features are timed
detector_pool: int = None  # training images for the detectors' references and Gaussians
pair_candidates: int = None  # test images the pairs are drawn from (None: all)
classifier: dict = None  # changes to the shared CIFAR-10 ResNet's training settings
vgg_classifier: dict = None  # changes to the shared CIFAR-10 VGG's training settings

# %% tags=["remove-cell"]
from connectivity.pages.performance import PerformanceSettings

settings = PerformanceSettings.from_notebook(globals())

from connectivity.pages import performance as page

# %% tags=["remove-cell"]
study = page.run(settings)
report = page.report(study)

# %% tags=["remove-input"]
page.rows_table(study)

# %% [markdown]
# Measured on {glue:text}`perf_machine`.
#
# The batched bypass is {glue:text}`perf_bypass`× faster per pair-iteration than the
# per-pair loop; an NEB iteration costs {glue:text}`perf_neb` % more than the bare
# forward+backward pass of its batch, and a loss curve {glue:text}`perf_curves` % more
# than raw inference. Training steps, as a share of the matmul FLOP/s of their
# precision: {glue:text}`perf_training`. Rows that miss their target:
# {glue:text}`perf_missed`.
#
# **How to read the rows.** Small convolutional nets on a CPU are bound by memory
# traffic and per-operator overhead (batch norm, ReLU, pooling), not only by
# arithmetic: a convolution with few channels does little work per byte, so a training
# step's share of matmul speed tends to grow with the width of the network. The classifiers
# train in bfloat16 where the CPU has a fast path for it (AMX), and the reference matmul
# is then a bfloat16 one. The bypass gains from batching (one large convolution instead
# of 25 tiny ones) and from evaluating a copy of the network with its batch-norm layers
# folded into the convolutions. The paper-profile rows (Table 1 with ResNet50, 5,000-pair
# barrier statistics) are only measured where a GPU builds the book.
