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
# # Vrabel et al. App. D.1: how the barrier evolves during training
#
# If input-space connectivity is there at initialisation (§4.4), what does training do
# to it? The paper follows the **primary loss curve** — the loss on the straight path
# between two synthetic optimal inputs of one class — averaged over pairs and classes,
# for the network after each of its first 30 batches and after each of 30 epochs
# (CIFAR-10, Adam lr $10^{-3}$, batch 512; Figs. 10–11), and reports the mean and
# variance of the barrier over training time.

# %% tags=["parameters"]
profile = "ci"  # "ci" or "paper"
evolution_model = None  # dict: training settings of the network that is followed
evolution_batches = None  # snapshots after these numbers of batches
evolution_epochs = None  # and after these epochs
evolution_pairs_per_class = None  # synthetic pairs per class and snapshot
evolution_points = None  # points on each straight path
evolution_synthesis = None  # synthesis settings of the optimal inputs

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import torch

from connectivity import plotting, profiles, scorecard, synthesis
from connectivity.bypass import path_losses
from connectivity.models import build_model
from connectivity.report import glue
from connectivity.training import train_with_snapshots

P = profiles.resolve("vrabel2024", profile, evolution_model=evolution_model, evolution_batches=evolution_batches,
                     evolution_epochs=evolution_epochs, evolution_pairs_per_class=evolution_pairs_per_class,
                     evolution_points=evolution_points, evolution_synthesis=evolution_synthesis)
cfg = profiles.model_config(P.evolution_model)
scfg = synthesis.SynthesisConfig(**P.evolution_synthesis)
torch.manual_seed(0)
plotting.setup()

# %% [markdown]
# The `ci` profile follows this book's small CIFAR ResNet trained on 5,000 images for
# three epochs with snapshots after a handful of batches; the `paper` profile follows a
# ResNet-18 for 30 batches and 30 epochs. At each snapshot, `pairs_per_class` pairs of
# optimal inputs per class are synthesised from noise (two different seeds) and the
# loss is measured along the straight path between them.

# %%
snaps = train_with_snapshots(cfg, P.evolution_batches, P.evolution_epochs)
model = build_model(cfg.arch, 10, dataset=cfg.dataset, **cfg.arch_kwargs).eval()
targets = torch.arange(10).repeat_interleave(P.evolution_pairs_per_class)
rows, curves = [], {}
for kind, states in (("batch", snaps["batches"]), ("epoch", snaps["epochs"])):
    for k, state in sorted(states.items()):
        model.load_state_dict(state)
        model.eval()
        pair = synthesis.optimal_inputs(model, torch.cat([targets, targets]), (3, 32, 32), scfg, seed=k * 7 + 1,
                                        desc=f"optimal inputs after {kind} {k}")
        a, c = pair["x"][: len(targets)], pair["x"][len(targets):]
        cur = torch.stack([path_losses(model, torch.stack([a[i], c[i]]), int(targets[i]), P.evolution_points)[0][0]
                           for i in range(len(targets))])
        barrier = cur.max(1).values - torch.maximum(cur[:, 0], cur[:, -1])
        curves[(kind, k)] = cur.mean(0).numpy()
        rows.append({"after": f"{kind} {k}", "kind": kind, "k": k, "barrier mean": barrier.mean().item(),
                     "barrier variance": barrier.var().item(), "endpoint CE (mean)": pair["loss"].mean().item(),
                     "test accuracy": snaps["test_acc"].get(k) if kind == "epoch" else None})
evo = pd.DataFrame(rows)
evo.drop(columns=["kind", "k"]).set_index("after").round(4)

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.2))
for kind, ax in (("batch", axes[0]), ("epoch", axes[1])):
    keys = [k for (kd, k) in curves if kd == kind]
    cmap = plt.get_cmap("viridis")
    for j, k in enumerate(keys):
        ax.plot(np.linspace(0, 1, P.evolution_points), curves[(kind, k)], color=cmap(j / max(1, len(keys) - 1)),
                label=f"{kind} {k}")
    ax.set_title(f"primary loss curve, after each {kind}")
    ax.set_xlabel("t")
    ax.legend(fontsize=6)
axes[0].set_ylabel("CE (mean over pairs)")
x = np.arange(len(evo))
axes[2].errorbar(x, evo["barrier mean"], yerr=np.sqrt(evo["barrier variance"]), fmt="o-")
axes[2].set_xticks(x, evo["after"], rotation=60, fontsize=7)
axes[2].set_ylabel("barrier (mean ± sd)")
axes[2].set_title("barrier over training time")
plt.tight_layout()
plt.show()

# %%
first, last = evo.iloc[0], evo.iloc[-1]
glue("evo_first", first["barrier mean"], display=False)
glue("evo_last", last["barrier mean"], display=False)
glue("evo_first_name", first["after"], display=False)
glue("evo_last_name", last["after"], display=False)
scorecard.record("vrabel2024.evolution.barrier_first_vs_last",
                 "mean primary barrier between synthetic optimal inputs: last snapshot minus first",
                 round(float(last["barrier mean"] - first["barrier mean"]), 4),
                 note=f"after {first['after']}: {first['barrier mean']:.4f}; after {last['after']}: {last['barrier mean']:.4f}")

# %% [markdown]
# The mean barrier is {glue:text}`evo_first:.3f` after {glue:text}`evo_first_name` and
# {glue:text}`evo_last:.3f` after {glue:text}`evo_last_name`. Synthetic optima are
# found at every stage of training; how high the wall between two of them is depends on
# the stage of training, and the variance over pairs shows how uneven it is. In the
# `ci` profile the run is far shorter than the paper's 30 epochs and uses a subset of
# the data, so only the early part of the paper's curves is covered.
