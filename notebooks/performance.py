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
# | NEB | one NEB iteration for 25 pairs × N pivots vs one forward+backward of the same batch | ≤ 15 % overhead |
# | loss curves | 25 straight paths × 1,000 points vs raw inference of the 25,000 images | ≤ 10 % overhead |
# | training | achieved FLOP/s of a `ci` ResNet training step vs a 1024² fp32 matmul | ≥ 40 % |
# | book | the runner's notebook times of this build | ≤ 30 min, no notebook over 5 min |
# | detectors | feature cost per image of "ours" vs each baseline | reported |

# %% tags=["parameters"]
profile = "ci"  # "ci" or "paper" (which classifiers are measured)
repeats = 1  # timings per measurement (the median is used); make bench uses 3
pairs = 25
iterations = 10  # bypass iterations per timing
points = 1000  # points per loss curve
n_pivots = 16
neb_steps = 3
train_batch = 128
detector_images = 50
classifier = None  # dict overriding the measured ResNet's training settings
vgg_classifier = None  # dict overriding the measured VGG's training settings

# %%
import pandas as pd

from connectivity import bench
from connectivity.report import glue

if repeats < 1 or pairs < 2 or iterations < 1 or points < 2 or neb_steps < 1 or detector_images < 10:
    raise ValueError("repeats, iterations, neb_steps >= 1; pairs >= 2; points >= 2; detector_images >= 10")
result = bench.run(repeats=repeats, pairs=pairs, iterations=iterations, points=points, n_pivots=n_pivots,
                   neb_steps=neb_steps, train_batch=train_batch, detector_images=detector_images, profile=profile,
                   classifier=classifier, vgg_classifier=vgg_classifier)
m = result["machine"]
print(f"measured {result['when']} on {m['platform']} ({m['processor']}, {m['cpus']} CPUs, "
      f"{m['torch_threads']} torch threads, torch {m['torch']}, GPU: {m['cuda'] or 'none'})")
table = pd.DataFrame(result["rows"])[["name", "measured", "unit", "target", "holds", "gap", "detail"]]
table.style.format({"measured": "{:.2f}", "target": "{:.1f}"}).hide(axis="index")

# %%
rows = {r["name"]: r for r in result["rows"]}
glue("perf_bypass", f"{rows['barrier bypass: batched vs per-pair loop']['measured']:.1f}")
glue("perf_neb", f"{rows['NEB iteration vs forward+backward of its batch']['measured']:.0f}")
glue("perf_curves", f"{rows['loss curves vs raw inference']['measured']:.0f}")
glue("perf_train", f"{rows['training step: achieved / matmul FLOP/s']['measured']:.0f}")
glue("perf_missed", ", ".join(r["name"] for r in result["rows"] if not r["holds"]) or "none")

# %% [markdown]
# The batched bypass is {glue:}`perf_bypass`× faster per pair-iteration than the
# per-pair loop; an NEB iteration costs {glue:}`perf_neb` % more than the bare
# forward+backward pass of its batch, and a loss curve {glue:}`perf_curves` % more
# than raw inference; a training step reaches {glue:}`perf_train` % of the machine's
# matmul FLOP/s. Rows that miss their target: {glue:}`perf_missed`.
#
# **Why the rows look as they do.** Small convolutional nets on a CPU are bound by
# memory traffic and per-operator overhead, not by arithmetic: a 16-channel 3×3
# convolution does too little work per byte to approach matmul speed, so the training
# row is far from its target by nature of the model (the paper profile's wide models
# on a GPU are a different regime). The bypass gains from batching (one large
# convolution instead of 25 tiny ones) and from evaluating a copy of the network with
# its batch-norm layers folded into the convolutions. A GPU was
# not part of this run: the paper-profile rows (Table 1 with ResNet50, 5,000-pair
# barrier statistics) are only measured when one is available.
