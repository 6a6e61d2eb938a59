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
# # Gu & Borovykh §4 and App. A: seeing the paths (decoders, Figs. 2–3)
#
# A path in pixel space can simply be looked at. A path in a latent space cannot, so
# the paper trains **decoders** that map latents back to images (App. A, Tables 2–4)
# and shows, for pairs that are only nonlinearly connected, the images and the
# softmax along the straight path (where some points leave the class) and along the
# NEB path (where none does).

# %% tags=["parameters"]
profile = "ci"  # "ci" or "paper"
classifier = None  # dict overriding the classifier's training settings (default: the classifiers chapter's)
n_pairs = None  # pairs of the first draw of the Table 1 page (reused from the cache)
pair_seeds = None
n_linear = None
spaces = None
neb = None
per_segment = None
check_every = None
decoder_train_images = None  # training images for the decoders (ci 10,000; paper 50,000)
intermediate_decoder = None  # dict: width, blocks, epochs, batch_size
last_decoder = None  # dict: widths, blocks, epochs, batch_size
strip_points = None  # images shown per path

# %%
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import torch
from connectivity.report import glue

from connectivity import decoders, plotting, profiles, scorecard
from connectivity.data import load_dataset
from connectivity.models import split_model
from connectivity.neb import NEBConfig, connect_in_layer
from connectivity.paths import evaluate_path, linear_path

P = profiles.resolve("gu2023", profile, n_pairs=n_pairs, pair_seeds=pair_seeds, n_linear=n_linear, spaces=spaces,
                     neb=neb, per_segment=per_segment, check_every=check_every,
                     decoder_train_images=decoder_train_images, intermediate_decoder=intermediate_decoder,
                     last_decoder=last_decoder, strip_points=strip_points)
neb_cfg = NEBConfig(**P.neb)
torch.manual_seed(0)
plotting.setup()
trained = profiles.shared_classifier(profile, override=classifier)
model = trained.model
train, test = load_dataset("cifar10", "train"), load_dataset("cifar10", "test")
classes = test.classes

# %% [markdown]
# ## The decoders
#
# Both are trained with Adam (lr $10^{-3}$) on the MSE between the decoded latent of a
# training image and the image. The intermediate decoder is a stack of transposed
# convolutions with ReLU and batch norm (Table 2); the last-layer decoder reshapes the
# feature vector to $C\times4\times4$ and upsamples it through transposed convolutions
# with LeakyReLU(0.3) and batch norm to $32\times32$ (Table 3). Widths, blocks and the
# number of training images follow the profile: in `ci` they are much narrower and see
# fewer images than the paper's.

# %%
g = torch.Generator().manual_seed(0)
sub = torch.randperm(len(train), generator=g)[: P.decoder_train_images]
x_dec = train.x[sub]
heads = {name: split_model(model, P.spaces[name])[0] for name in ("intermediate", "last")}
z_shape = {name: tuple(h(test.x[:1]).shape[1:]) for name, h in heads.items()}
ci, cl = P.intermediate_decoder, P.last_decoder
dec_int = decoders.intermediate_decoder(z_shape["intermediate"][0], z_shape["intermediate"][1], test.x.shape[-1],
                                        width=ci["width"], blocks=ci["blocks"])
dec_last = decoders.last_layer_decoder(z_shape["last"][0], widths=tuple(cl["widths"]), blocks=cl["blocks"],
                                       out_size=test.x.shape[-1])
key = {"model": trained.path}
dec_int, h_int = decoders.train_decoder(heads["intermediate"], dec_int, x_dec, test.x[:2000], ci["epochs"],
                                        ci["batch_size"], key={**key, "layer": P.spaces["intermediate"]},
                                        desc="intermediate decoder")
dec_last, h_last = decoders.train_decoder(heads["last"], dec_last, x_dec, test.x[:2000], cl["epochs"],
                                          cl["batch_size"], key={**key, "layer": P.spaces["last"]},
                                          desc="last-layer decoder")
mse = pd.DataFrame({"intermediate": {"latent shape": z_shape["intermediate"], "train MSE (last epoch)": h_int["train_mse"][-1],
                                     "test MSE": h_int["test_mse"]},
                    "last": {"latent shape": z_shape["last"], "train MSE (last epoch)": h_last["train_mse"][-1],
                             "test MSE": h_last["test_mse"]}})
for name, h in (("intermediate", h_int), ("last", h_last)):
    scorecard.record(f"gu2023.decoder.{name}.test_mse", f"{name}-layer decoder: test MSE (pixels in [0, 1])",
                     round(h["test_mse"], 5), note=f"{profile} profile; the paper reports no decoder error")
    glue(f"mse_{name}", h["test_mse"], display=False)
mse

# %%
with torch.no_grad():
    show = test.x[:8]
    rec = [dec_int(heads["intermediate"](show)), dec_last(heads["last"](show))]
fig = plotting.image_grid(torch.cat([show, *rec]), ncols=8, size=1.1)
plt.show()

# %% [markdown]
# Test images (top), decoded from the intermediate latent (middle) and from the
# pooled features (bottom). The intermediate latent still holds the image almost
# pixel by pixel (test MSE {glue:text}`mse_intermediate:.4f`); the pooled features keep
# only a blurred impression of colour and layout (test MSE {glue:text}`mse_last:.4f`) —
# the information the last layer discards is invisible to any decoder.
#
# ## Figure 2: a pair that is only nonlinearly connected in pixel space
#
# Top: `strip_points` images along the straight path with the softmax per image
# (target class in red); bottom: the NEB path's pivots.

# %%
first = P.pair_seeds[0]
runs = {name: connect_in_layer(model, trained.path, test, P.spaces[name], first, P.n_pairs, P.n_linear, neb_cfg,
                               P.per_segment, P.check_every) for name in P.spaces}


def strips(name, decoder=None):
    """Linear and NEB strips of the first nonlinear pair in space ``name`` (None if there is none)."""
    r = runs[name]
    head, tail = split_model(model, P.spaces[name])
    nonlin = [i for i, c in enumerate(r["category"]) if c == "nonlinear"]
    if not nonlin:
        return None
    p = nonlin[0]
    j = r["neb_index"].tolist().index(p)
    x1, x2 = test.x[r["pairs"][p, 0]].unsqueeze(0), test.x[r["pairs"][p, 1]].unsqueeze(0)
    with torch.no_grad():
        z1, z2 = head(x1), head(x2)
    lin = linear_path(z1, z2, P.n_linear)[0]
    pick = torch.linspace(0, P.n_linear - 1, P.strip_points).round().long()
    band = r["bands"][j]
    pick_b = torch.linspace(0, len(band) - 1, P.strip_points).round().long()
    tgt = r["target"][p].view(1)
    out = []
    for pts in (lin[pick], band[pick_b]):
        ev = evaluate_path(tail, pts.unsqueeze(0), tgt)
        with torch.no_grad():
            imgs = pts if decoder is None else decoder(pts)
        out.append((imgs, ev["probs"][0]))
    return p, int(tgt), out


def show_strips(name, decoder=None, label=""):
    s = strips(name, decoder)
    if s is None:
        print(f"no nonlinearly connected pair in the {name} space for this draw")
        return None
    p, tgt, ((li, lp), (ni, npr)) = s
    fig = plt.figure(figsize=(1.25 * P.strip_points, 5.4))
    plotting.path_strip(li, lp, tgt, f"{label}straight path, pair {p} ({classes[tgt]}): not all {classes[tgt]}",
                        fig=fig, row=0, n_rows=2)
    plotting.path_strip(ni, npr, tgt, f"{label}NEB path: all {classes[tgt]}", fig=fig, row=1, n_rows=2)
    plt.show()
    return fig


fig = show_strips("original")

# %% [markdown]
# As in the paper, the images along both paths look alike — the NEB path differs from
# the straight one by a faint, structured perturbation — yet on the straight path the
# classifier leaves the class for some images, and on the NEB path it never does.
#
# ## Figure 3: the first hidden layer, decoded
#
# The same for a pair that is only nonlinearly connected in the intermediate space; the
# points of both paths are shown through the intermediate decoder.

# %%
fig = show_strips("intermediate", dec_int, "decoded: ")

# %% [markdown]
# And a pair in the last layer, where the straight path suffices (every pair is
# linearly connected there), decoded through the last-layer decoder:

# %%
r = runs["last"]
p = 0
head, tail = split_model(model, P.spaces["last"])
with torch.no_grad():
    z1, z2 = head(test.x[r["pairs"][p, 0]].unsqueeze(0)), head(test.x[r["pairs"][p, 1]].unsqueeze(0))
pts = linear_path(z1, z2, P.strip_points)[0]
ev = evaluate_path(tail, pts.unsqueeze(0), r["target"][p].view(1))
with torch.no_grad():
    imgs = dec_last(pts)
fig = plotting.path_strip(imgs, ev["probs"][0], int(r["target"][p]),
                          f"decoded: straight path in the last layer, pair {p} ({classes[int(r['target'][p])]}), "
                          f"category: {r['category'][p]}")
plt.show()

# %% [markdown]
# The decoded last-layer path is a smooth blend of two blurred images, and the
# classifier's confidence in the class stays high throughout: in the pooled features,
# the class is (close to) a convex region, which is what the paper means by depth
# "disentangling" the input space. The decoders of the `ci` profile are small and
# trained briefly; the `paper` profile trains the paper's sizes, whose decoded images
# are sharper, but the decoded last-layer images stay blurred in any case — the pooled
# features do not contain the details.
