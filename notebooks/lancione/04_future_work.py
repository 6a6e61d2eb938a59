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
# # Lancione §5: the proposed future work, done
#
# The report closes with two proposals. (i) Validation loss is the wrong criterion to
# pick a model for this question: what matters is whether a reconstruction looks like
# the *other* digit — the "wrong reconstruction" metric. (ii) Two latent dimensions
# are a rough guess for the dimension of a digit manifold; the silhouette should be
# studied across latent dimensions. Both are carried out here.

# %% tags=["parameters"]
profile = "ci"  # "ci" or "paper"
digits = None  # the study's pair (1, 2)
subset = None  # "faithful" or "full"
noise = None  # DAE noise (0.3)
pairs_epochs = None  # must match the survey of the results page to reuse its models
pairs_epochs_pca = None
classifier_epochs = None  # epochs of the digit classifier that judges reconstructions
sweep_dims = None  # latent dimensions of the sweep ([2, 4, 8, 16])
sweep_seeds = None  # trainings per dimension
sweep_epochs = None  # AE epochs in the sweep

# %%
import itertools

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import torch
from connectivity.report import glue

from connectivity import autoencoders as ae, plotting, profiles, scorecard
from connectivity.data import load_dataset

P = profiles.resolve("lancione", profile, digits=digits, subset=subset, noise=noise, pairs_epochs=pairs_epochs,
                     pairs_epochs_pca=pairs_epochs_pca, classifier_epochs=classifier_epochs, sweep_dims=sweep_dims,
                     sweep_seeds=sweep_seeds, sweep_epochs=sweep_epochs)
DIGITS = tuple(P.digits)
torch.manual_seed(0)
plotting.setup()
train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
common = dict(batch_size=P.batch_size, lr=P.lr, weight_decay=P.weight_decay)

# %% [markdown]
# ## (i) Wrong reconstructions
#
# A judge is needed: an MLP digit classifier (784–256–10) trained on all 60,000 MNIST
# training images. A reconstruction of a validation image of digit $a$ by the model of
# pair $(a, b)$ is *wrong* when the judge calls it $b$. The models are the 45-pair
# survey of the previous page (loaded from the cache).

# %%
judge, judge_acc = ae.train_digit_classifier(train, test, epochs=P.classifier_epochs)
glue("judge_acc", judge_acc * 100, display=False)
pairs = list(itertools.combinations(range(10), 2))
vals = [ae.digit_pair(train, test, p, P.subset) for p in pairs]
pair_specs = {"PCA": (ae.AESpec(kind="linear"), ae.AETrainConfig(epochs=P.pairs_epochs_pca, **common)),
              "AE": (ae.AESpec(), ae.AETrainConfig(epochs=P.pairs_epochs, **common)),
              "DAE": (ae.AESpec(), ae.AETrainConfig(epochs=P.pairs_epochs, noise=P.noise, **common))}
wrong = {}
for name, (spec, cfg) in pair_specs.items():
    model, _ = ae.train_pairs_cached(spec, cfg, [(p, 0) for p in pairs], train, test, P.subset, f"{name}, 45 pairs")
    recon = ae.reconstruct_each(model, [v[2] for v in vals])
    wrong[name] = {p: ae.wrong_reconstruction_rate(judge, r, v[3], p) for p, r, v in zip(pairs, recon, vals)}
fig, axes = plt.subplots(1, 3, figsize=(14, 4))
for ax, (name, d) in zip(axes, wrong.items()):
    plotting.pair_heatmap(d, ax=ax, title=f"{name}: wrong-reconstruction rate", vmin=0, vmax=0.3, cmap="magma")
plt.tight_layout()
plt.show()

# %%
table = pd.DataFrame(wrong)
table.index = [f"{a}-{b}" for a, b in pairs]
top = table.rank(ascending=False)  # 1 = most wrong
hard = table.loc[["1-7", "4-9"]].round(3)
hard["DAE rank (1 = most wrong of 45)"] = top.loc[["1-7", "4-9"], "DAE"].astype(int)
quartile = len(pairs) // 4
hard_in_top = bool((top.loc[["1-7", "4-9"], "DAE"] <= quartile).all())
for name in wrong:
    scorecard.record(f"lancione.wrong_reconstruction.{name.lower()}.mean",
                     f"{name}: mean wrong-reconstruction rate over the 45 pairs", round(float(table[name].mean()), 4),
                     note=f"judge: MLP with {judge_acc:.3f} test accuracy; {profile} profile")
scorecard.record("lancione.claim_hard_pairs", "1-7 and 4-9 are among the top quarter of DAE wrong reconstructions",
                 hard_in_top, paper=True, note="report §3: the DAE fails to reconstruct 4-9 and 1-7")
glue("hard_in_top", "holds" if hard_in_top else "does not hold", display=False)
hard

# %%
table.sort_values("DAE", ascending=False).head(8).round(3)

# %% [markdown]
# The judge reaches {glue:text}`judge_acc:.1f` % test accuracy. The report's claim that
# the denoising autoencoder fails on 4–9 and 1–7 — here made precise as "both pairs are
# in the top quarter of the 45 by wrong-reconstruction rate" — {glue:text}`hard_in_top`
# in this build; the table above lists the pairs whose reconstructions most often turn
# into the other digit. This metric separates what validation MSE cannot: an MSE-good
# reconstruction of a 7 that the judge reads as a 1 is a mispositioned code.
#
# ## (ii) Latent dimension
#
# The autoencoder of the study, with a latent layer of $d = 2, 4, 8, 16$ units (tanh),
# trained on the study's pair from several seeds. A caveat for reading the curve:
# distances concentrate as $d$ grows, so silhouettes in different dimensions are not
# on exactly the same scale; pixel space ($d = 784$) is the extreme case.

# %%
xtr, ytr, xva, yva = ae.digit_pair(train, test, DIGITS, P.subset)
sweep_rows = []
for d in P.sweep_dims:
    model, res = ae.train_pairs_cached(ae.AESpec(latent=d), ae.AETrainConfig(epochs=P.sweep_epochs, **common),
                                       [(DIGITS, s) for s in range(P.sweep_seeds)], train, test, P.subset, f"AE d={d}")
    for s, z in enumerate(ae.encode_each(model, [xva] * P.sweep_seeds)):
        sweep_rows.append({"latent dim": d, "seed": s, "silhouette": ae.silhouette_score(z, yva),
                           "val MSE": res["val_loss"][s, -1].item()})
sweep = pd.DataFrame(sweep_rows)
agg = sweep.groupby("latent dim").agg(["mean", "std"]).drop(columns="seed").round(3)
agg

# %%
fig, ax1 = plt.subplots(figsize=(5.5, 3.2))
m = sweep.groupby("latent dim").mean()
sd = sweep.groupby("latent dim").std()
ax1.errorbar(m.index, m["silhouette"], yerr=sd["silhouette"], marker="o", label="silhouette")
ax1.set_xscale("log", base=2)
ax1.set_xlabel("latent dimension")
ax1.set_ylabel("silhouette (validation)")
ax2 = ax1.twinx()
ax2.plot(m.index, m["val MSE"], "s--", color="C1", label="validation MSE")
ax2.set_ylabel("validation MSE", color="C1")
ax2.spines["right"].set_visible(True)
plt.tight_layout()
plt.show()

# %%
for d, row in m.iterrows():
    scorecard.record(f"lancione.sweep.silhouette.d{d}", f"AE silhouette with a {d}-D latent space, digits {DIGITS}",
                     round(float(row["silhouette"]), 4), n=P.sweep_seeds, note=f"{P.sweep_epochs} epochs")
glue("sweep_first", m["silhouette"].iloc[0], display=False)
glue("sweep_last", m["silhouette"].iloc[-1], display=False)
glue("sweep_last_dim", int(m.index[-1]), display=False)

# %% [markdown]
# The mean silhouette goes from {glue:text}`sweep_first:.3f` with two latent units to
# {glue:text}`sweep_last:.3f` with {glue:text}`sweep_last_dim`, while the reconstruction
# error falls. Reconstruction and separation are different goals: a wider bottleneck
# reconstructs better without any pressure to keep the two digits apart.
#
# ## What reproduced, what did not
#
# See the scorecard for the numbers. In short: the pixel-space silhouette and the PCA
# silhouette are reproduced; the autoencoders' silhouettes depend strongly on the
# training seed, as the report says, and are best read as distributions. The
# latent-layout instability (Figs. 3–4) is confirmed quantitatively by the Procrustes
# disparity. Where the `ci` profile shortens training (the 45-pair survey and the
# extensions), the numbers are for that shorter training, and the `paper` profile
# restores the study's settings.
