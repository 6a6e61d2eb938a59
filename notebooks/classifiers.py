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
# # The classifiers
#
# Every later chapter asks questions *of a trained network*: is the segment between two
# cat images classified as "cat" all the way, in pixel space or in a hidden layer? This
# chapter trains those networks once; the other chapters load them from the cache.
#
# | used in | paper's model | this book, `ci` profile |
# |---|---|---|
# | Gu & Borovykh; Vrabel et al. §4.1–4.2 | ResNet50, ImageNet-pretrained, fine-tuned on CIFAR-10 with Adam (Gu); GoogLeNet on ImageNet (Vrabel) | a small CIFAR ResNet {cite}`he2016` trained from scratch |
# | Vrabel et al. §4.2.1 (detection) | VGG-16 on CIFAR-10 and CIFAR-100, SGD lr 0.1, 50 epochs {cite}`harder2021` | VGG-16-BN {cite}`simonyan2015` with a quarter of the channels, a few epochs |
#
# The `paper` profile trains the papers' models instead (on a GPU; ResNet50 needs the
# torchvision ImageNet weights on the machine). All models take pixels in $[0, 1]$ and
# normalise internally, so that paths, attacks and pictures share one space.

# %% tags=["parameters"]
profile = "ci"  # "ci" (2 CPU cores) or "paper" (the papers' models, for a GPU)
cifar10_resnet = None  # dict overriding the CIFAR-10 ResNet's training settings
cifar10_vgg = None  # dict overriding the CIFAR-10 VGG's training settings
cifar100_vgg = None  # dict overriding the CIFAR-100 VGG's training settings
n_examples = None  # sample images shown per data set

# %%
import matplotlib.pyplot as plt
import pandas as pd
import torch
from connectivity.report import glue

from connectivity import plotting, profiles, scorecard
from connectivity.data import load_dataset
from connectivity.training import predict, train_classifier

P = profiles.resolve("classifiers", profile, cifar10_resnet=cifar10_resnet, cifar10_vgg=cifar10_vgg,
                     cifar100_vgg=cifar100_vgg, n_examples=n_examples)
configs = {key: profiles.model_config(getattr(P, key)) for key in ("cifar10_resnet", "cifar10_vgg", "cifar100_vgg")}
torch.manual_seed(0)
plotting.setup()

# %% [markdown]
# ## The data
#
# CIFAR-10 and CIFAR-100 {cite}`krizhevsky2009`: 50,000 training and 10,000 test
# images of $32\times 32$ pixels, in 10 and 100 classes. They are read from the offline
# copy in `../shared/data` (or wherever `CONNECTIVITY_DATA` points), checked against
# their checksums once and cached decoded.

# %%
data = {name: (load_dataset(name, "train"), load_dataset(name, "test")) for name in ("cifar10", "cifar100")}
pd.DataFrame([{"dataset": n, "train": len(tr), "test": len(te), "classes": tr.num_classes,
               "image": "x".join(map(str, tr.x.shape[1:])), "source": tr.source} for n, (tr, te) in data.items()])

# %%
test10 = data["cifar10"][1]
g = torch.Generator().manual_seed(0)
idx = torch.randperm(len(test10), generator=g)[: P.n_examples]
fig = plotting.image_grid(test10.x[idx], [test10.classes[i] for i in test10.y[idx]])

# %% [markdown]
# ## Training
#
# Each model is trained from a configuration (architecture, optimiser, schedule,
# epochs, seed) and saved under a hash of that configuration; a rerun loads it. In the
# `ci` profile the networks are trained with SGD and a one-cycle learning-rate schedule
# {cite}`smith2019`, random crops and flips, which is what gets a small network to a
# useful accuracy in a few CPU-minutes. No label smoothing: it would cap how confident
# the network can be, and Vrabel et al. need images of very low loss ("modes").

# %%
pd.DataFrame([{"model": k, "dataset": c.dataset, "arch": c.arch, "arch_kwargs": c.arch_kwargs, "epochs": c.epochs,
               "batch": c.batch_size, "optimizer": c.optimizer, "lr": c.lr, "schedule": c.schedule, "seed": c.seed}
              for k, c in configs.items()])

# %%
trained = {key: train_classifier(cfg) for key, cfg in configs.items()}

# %%
fig = plotting.training_curves({k: t.history for k, t in trained.items()})

# %%
n_params = {k: sum(p.numel() for p in t.model.parameters()) for k, t in trained.items()}
summary = pd.DataFrame([{"model": k, "parameters": n_params[k], "epochs": t.config.epochs,
                         "train time (s)": round(sum(t.history["seconds"]), 1),
                         "test accuracy": round(t.test_accuracy, 4)} for k, t in trained.items()])
summary

# %%
for key, label in (("cifar10_resnet", "CIFAR-10 ResNet"), ("cifar10_vgg", "CIFAR-10 VGG-16-BN"),
                   ("cifar100_vgg", "CIFAR-100 VGG-16-BN")):
    acc = trained[key].test_accuracy
    glue(f"{key}_acc", acc * 100, display=False)
    scorecard.record(f"models.{key}.accuracy", f"{label} test accuracy ({profile} profile)", round(acc, 4),
                     note="the papers report no test accuracy for their models", unit="fraction")

# %% [markdown]
# The CIFAR-10 ResNet reaches {glue:text}`cifar10_resnet_acc:.1f` % test accuracy, the
# CIFAR-10 VGG {glue:text}`cifar10_vgg_acc:.1f` % and the CIFAR-100 VGG
# {glue:text}`cifar100_vgg_acc:.1f` %. These are far from what the papers' large,
# pretrained or long-trained models reach (above 90 % on CIFAR-10), which matters for
# what follows: a weaker classifier has less confident, more irregular decision
# regions, so the *fractions* of connected pairs and the height of barriers need not
# match the papers even where the *qualitative* picture does.
#
# ## Where the ResNet errs
#
# The confusion matrix of the CIFAR-10 ResNet on the test set. The connectivity
# chapters only use pairs of test images that the network classifies correctly.

# %%
resnet = trained["cifar10_resnet"].model
pred10 = predict(resnet, test10.x).argmax(1)
fig = plotting.confusion_matrix_plot(test10.y, pred10, test10.classes)

# %%
wrong = torch.nonzero(pred10 != test10.y).flatten()
wrong = wrong[torch.randperm(len(wrong), generator=torch.Generator().manual_seed(0))[: P.n_examples]]
fig = plotting.image_grid(test10.x[wrong], [f"{test10.classes[test10.y[i]]}→{test10.classes[pred10[i]]}"
                                            for i in wrong])
plt.show()

# %% [markdown]
# Misclassified test images, labelled *true → predicted*. Many of the confusions are
# between visually similar classes (cat/dog, automobile/truck), as expected.
