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
# # Vrabel et al. §4.3–4.4: synthetic modes, and modes of an untrained network
#
# Real images are not the only modes. **§4.3**: optimise an input from noise until the
# network is certain of a class (feature visualisation by optimisation, {cite}`olah2017`)
# — once with the regularisers that make such images look natural (random jitter, a
# smoothness penalty, pixels kept in $[0,1]$), once without (a high-frequency pattern).
# Both are class-optimal, look nothing alike, and the paper finds them connected.
# **§4.4**: the same for a network at random initialisation, which has no "natural"
# images at all; its optimal inputs are connected too, after two rounds of barrier
# removal. This motivates the paper's §5: connectivity may be a property of
# high-dimensional geometry rather than of training.

# %% tags=["parameters"]
profile = "ci"  # "ci" or "paper"
classifier = None  # dict overriding the trained classifier's settings
bypass = None  # bypass settings for the synthetic pairs (default: the §4.1 page's)
synthetic_classes = None  # classes for which a natural and a high-frequency mode are made
synthetic_natural = None  # synthesis settings of the natural-looking mode
synthetic_natural_tv = None  # its TV penalty
synthetic_hf = None  # synthesis settings of the high-frequency mode
untrained_arch = None  # {"arch": "resnet18"} (paper) or a CIFAR ResNet (ci, faster on CPU)
untrained_pairs = None
untrained_synthesis = None  # Adam lr 0.05, weight decay 1e-7, up to 8192 iterations or CE < 5e-4
untrained_tv = None  # TV penalty on one input of each pair (2.5e-7)
untrained_barrier_iterations = None  # unconstrained barrier optimisation (4096)
untrained_rounds = None  # rounds of barrier removal (2)
untrained_per_segment = None  # points per segment of the final path (200)
untrained_threshold = None  # loss a barrier must exceed to be removed

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import torch
import torchvision

from connectivity import bypass as bp, plotting, profiles, scorecard, synthesis
from connectivity.models import build_model
from connectivity.report import glue
from connectivity.data import load_dataset

P = profiles.resolve("vrabel2024", profile, bypass=bypass, synthetic_classes=synthetic_classes,
                     synthetic_natural=synthetic_natural, synthetic_natural_tv=synthetic_natural_tv,
                     synthetic_hf=synthetic_hf, untrained_arch=untrained_arch, untrained_pairs=untrained_pairs,
                     untrained_synthesis=untrained_synthesis, untrained_tv=untrained_tv,
                     untrained_barrier_iterations=untrained_barrier_iterations, untrained_rounds=untrained_rounds,
                     untrained_per_segment=untrained_per_segment, untrained_threshold=untrained_threshold)
torch.manual_seed(0)
plotting.setup()
model = profiles.shared_classifier(profile, override=classifier).model
classes = load_dataset("cifar10", "test").classes
shape = (3, 32, 32)

# %% [markdown]
# ## §4.3, Fig. 7: a natural-looking and a high-frequency mode of the same class
#
# The paper optimises a cosine-similarity surrogate on GoogLeNet; here plain
# cross-entropy on the CIFAR-10 ResNet. The natural mode is optimised with random
# shifts of up to two pixels, a TV penalty and pixels clipped to $[0,1]$; the
# high-frequency one with none of these.

# %%
tgt = torch.tensor(P.synthetic_classes)
nat = synthesis.optimal_inputs(model, tgt, shape, synthesis.SynthesisConfig(**P.synthetic_natural),
                               tv_weight=torch.full((len(tgt),), P.synthetic_natural_tv), seed=1, desc="natural modes")
hf = synthesis.optimal_inputs(model, tgt, shape, synthesis.SynthesisConfig(**P.synthetic_hf), seed=2,
                              desc="high-frequency modes")
cfg = bp.BypassConfig(**P.bypass)
res = bp.connect_modes(model, nat["x"], hf["x"], tgt, cfg)
show = torch.cat([nat["x"], hf["x"].clamp(0, 1)])
titles = [f"natural {classes[c]}\nCE {l:.1e}" for c, l in zip(P.synthetic_classes, nat["loss"].tolist())] + \
         [f"high-freq. {classes[c]}\nCE {l:.1e}" for c, l in zip(P.synthetic_classes, hf["loss"].tolist())]
fig = plotting.image_grid(show, titles, ncols=len(tgt), size=1.8)
plt.show()

# %%
fig, axes = plt.subplots(1, len(tgt), figsize=(3.6 * len(tgt), 3), sharey=True)
for ax, p in zip(np.atleast_1d(axes), range(len(tgt))):
    for r, rnd in enumerate(res["rounds"]):
        curve = rnd["curves"][p].flatten().numpy()
        ax.plot(np.linspace(0, 1, len(curve)), curve, label="straight" if r == 0 else f"after round {r}")
    ax.axhline(cfg.threshold, color="k", ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_title(classes[int(tgt[p])])
    ax.set_xlabel("position along the path")
np.atleast_1d(axes)[0].set_ylabel("cross-entropy")
np.atleast_1d(axes)[-1].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %%
syn_max = res["rounds"][-1]["max_loss"]
scorecard.record("vrabel2024.synthetic.path_max_loss", "synthetic natural/high-frequency modes: max loss on the final path (worst class)",
                 round(float(syn_max.max()), 5), note=f"straight path: {res['rounds'][0]['max_loss'].max():.3f}; threshold {cfg.threshold}")
glue("syn_lin", res["rounds"][0]["max_loss"].max(), display=False)
glue("syn_final", syn_max.max(), display=False)
glue("syn_all", "every" if bool(res["rounds"][-1]["all_target"].all()) else "not every", display=False)

# %% [markdown]
# The straight path between the two kinds of optimum reaches a loss of
# {glue:text}`syn_lin:.2f` (worst class), the final path at most
# {glue:text}`syn_final:.4f`, and {glue:text}`syn_all` point of the final paths is
# classified as the class: two inputs that share nothing visible are joined by a
# low-loss path, as in the paper's Fig. 7.
#
# ## §4.4, Fig. 8: an untrained network
#
# A randomly initialised network (seed 0, evaluation mode), CIFAR-shaped inputs. For
# each pair, two inputs of one class are optimised from $0.01\cdot N(0, I)$ with Adam
# (lr 0.05, weight decay $10^{-7}$) until the cross-entropy is below the threshold; one
# of them with a small TV penalty, for diversity. Barriers are then removed by
# *unconstrained* optimisation of the barrier point, in two rounds, which gives a
# four-segment path.

# %%
arch = dict(P.untrained_arch)
name = arch.pop("arch")
torch.manual_seed(0)
if name == "resnet18":  # the paper's network, without input normalisation
    net = torchvision.models.resnet18(num_classes=10)
else:
    net = build_model(name, 10, **arch)
net.eval()
ucfg = synthesis.SynthesisConfig(**P.untrained_synthesis)
n = P.untrained_pairs
u_tgt = torch.arange(n) % 10
both = synthesis.optimal_inputs(net, torch.cat([u_tgt, u_tgt]), shape, ucfg,
                                tv_weight=torch.cat([torch.zeros(n), torch.full((n,), P.untrained_tv)]), seed=3,
                                desc="untrained: optimal inputs")
ua, uc = both["x"][:n], both["x"][n:]
bcfg = bp.BypassConfig(n_linear=P.untrained_per_segment * 4, per_segment=P.untrained_per_segment,
                       threshold=P.untrained_threshold, max_rounds=P.untrained_rounds)
free = synthesis.free_barrier_optimiser(net, synthesis.SynthesisConfig(
    lr=ucfg.lr, weight_decay=ucfg.weight_decay, iterations=P.untrained_barrier_iterations, threshold=ucfg.threshold))
ures = bp.connect_modes(net, ua, uc, u_tgt, bcfg, barrier_optimiser=free)
pd.DataFrame({"pair": range(n), "class": u_tgt.tolist(), "CE of A": both["loss"][:n].numpy(),
              "CE of C": both["loss"][n:].numpy(), "iterations": both["iterations"].view(2, n).T.tolist(),
              "straight max loss": ures["rounds"][0]["max_loss"].numpy(),
              "final max loss": ures["rounds"][-1]["max_loss"].numpy(),
              "segments": [len(v) - 1 for v in ures["vertices"]]}).set_index("pair")

# %%
fig, axes = plt.subplots(1, len(ures["rounds"]), figsize=(3.6 * len(ures["rounds"]), 3))
for r, (ax, rnd) in enumerate(zip(np.atleast_1d(axes), ures["rounds"])):
    for p in range(n):
        curve = rnd["curves"][p].flatten().numpy()
        ax.plot(np.linspace(0, 1, len(curve)), curve, label=f"pair {p}")
    ax.axhline(bcfg.threshold, color="k", ls="--", lw=0.8)
    ax.set_title("straight path" if r == 0 else f"after round {r}")
    ax.set_yscale("log")
    ax.set_xlabel("position along the path")
np.atleast_1d(axes)[0].set_ylabel("cross-entropy")
np.atleast_1d(axes)[-1].legend(fontsize=7)
plt.tight_layout()
plt.show()

# %%
u_final = ures["rounds"][-1]["max_loss"]
u_rounds = len(ures["rounds"]) - 1
scorecard.record("vrabel2024.untrained.path_max_loss", "untrained network: max loss on the final path (worst pair)",
                 float(f"{u_final.max():.3g}"), note=f"{name}; threshold {bcfg.threshold}; synthesis threshold {ucfg.threshold}")
scorecard.record("vrabel2024.untrained.rounds", "untrained network: rounds of barrier removal used", u_rounds, paper=2,
                 tolerance=0)
glue("u_lin", ures["rounds"][0]["max_loss"].max(), display=False)
glue("u_final", u_final.max(), display=False)
glue("u_rounds", u_rounds, display=False)
glue("u_name", name, display=False)

# %% [markdown]
# For the untrained {glue:text}`u_name` the straight paths between optimal inputs reach
# a loss of {glue:text}`u_lin:.3g`; after {glue:text}`u_rounds` round(s) of barrier
# removal the worst point of the final paths has loss {glue:text}`u_final:.3g`. In the
# `ci` profile the network is this book's small CIFAR ResNet at random initialisation,
# not torchvision's ResNet-18, and the optimisation budgets are shorter: on two CPU
# cores ResNet-18 needs thousands of forward–backward passes per input. The `paper`
# profile runs the paper's settings.
