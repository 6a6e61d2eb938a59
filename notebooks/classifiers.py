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
# # The classifiers
#
# Every later chapter asks questions *of a trained network*: is the segment between two
# cat images classified as "cat" all the way, in pixel space or in a hidden layer? This
# chapter presents those networks. They are trained once (`make models`) and committed
# with the book, with a manifest that gives each file's sha256, its recipe, its training
# history and where it was trained; every chapter loads those weights after checking the
# checksum, so the book computes the same numbers on every CPU. A configuration that
# differs from the committed ones (another profile, a changed parameter) is trained
# here instead.
#
# | used in | paper's model | this book, `ci` profile |
# |---|---|---|
# | Gu & Borovykh; Vrabel et al. §4.1–4.2 | ResNet50, ImageNet-pretrained, fine-tuned on CIFAR-10 with Adam (Gu); GoogLeNet on ImageNet (Vrabel) | a small CIFAR ResNet {cite}`he2016` trained from scratch |
# | Vrabel et al. §4.2.1 (detection) | VGG-16 on CIFAR-10 and CIFAR-100, SGD lr 0.1, 50 epochs {cite}`harder2021` | VGG-16-BN {cite}`simonyan2015` with fewer channels, trained from scratch |
#
# The `paper` profile trains the papers' models instead (on a GPU). ResNet50 then needs
# the torchvision ImageNet weights on the machine: offline, the run stops with the
# name of the file and the folder (`$TORCH_HOME/hub/checkpoints/`) to put it in, unless
# the parameters say `pretrained: false`. All models take pixels in $[0, 1]$ and
# normalise internally with their data set's statistics, so that paths, attacks and
# pictures share one space.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
cifar10_resnet: dict = None  # TrainConfig fields overriding the CIFAR-10 ResNet's
cifar10_vgg: dict = None  # TrainConfig fields overriding the CIFAR-10 VGG's
cifar100_vgg: dict = None  # TrainConfig fields overriding the CIFAR-100 VGG's
n_examples: int = None  # sample images shown per data set

# %% tags=["remove-cell"]
from connectivity.pages.classifiers import ClassifiersSettings

settings = ClassifiersSettings.from_notebook(globals())

import matplotlib.pyplot as plt

from connectivity import plotting
from connectivity.pages import classifiers as page
from connectivity.prose import what_reproduced

plotting.setup()

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% [markdown]
# ## The data
#
# CIFAR-10 and CIFAR-100 {cite}`krizhevsky2009`: 50,000 training and 10,000 test
# images of $32\times 32$ pixels, in 10 and 100 classes. They are read from the offline
# copy in `../shared/data` (or wherever `CONNECTIVITY_DATA` points), checked against
# their checksums and cached decoded ({numref}`fig-cifar-examples`).

# %% tags=["remove-input"]
page.data_table()

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Random CIFAR-10 test images with their labels.", "name": "fig-cifar-examples"}}
fig = page.plot_examples(study)

# %% [markdown]
# ## Training
#
# Each model is trained from a configuration and saved under a hash of that
# configuration; a rerun loads it, and a changed field can never load a model trained
# with another. The table lists the main fields of this build's configurations. The `ci` recipe takes from the fastest public CIFAR-10 recipes
# ([Page 2018](https://myrtle.ai/learn/how-to-train-your-resnet/);
# [Jordan 2024](https://arxiv.org/abs/2404.00498)) what applies to an
# unchanged ResNet or VGG-16-BN: a one-cycle schedule of Nesterov SGD (linear warm-up,
# linear decay), label smoothing for the two VGGs (not for the ResNet: Vrabel et al.'s
# modes need confident outputs, which smoothing discourages), random translations and
# flips, and — where the CPU has a fast path for it (AMX) — forward passes in bfloat16
# with the weights, the loss and the optimiser in float32 (the FLOP/s reached are in the
# table below). The library
# also has the whitening initialisation, alternating flips and lookahead of Jordan's
# recipe (`TrainConfig` fields); the `ci` profile does not use them. The networks are
# evaluated in float32, as every later chapter uses them.

# %% tags=["remove-input"]
page.config_table(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Test accuracy after each epoch (in the training precision, on curve_subset test images drawn at random, see the configuration table) against cumulative training time, as stored when the models were trained; dotted: the targets.", "name": "fig-accuracy-time"}}
fig = page.plot_accuracy_vs_time(study)

# %% [markdown]
# Where the weights of this build come from, and where they were trained (wall time
# includes the evaluation after each epoch; the accuracy is measured again in this
# build, in float32, and stored in the manifest when the model was written):

# %% tags=["remove-input"]
page.provenance_table(study)

# %% [markdown]
# {numref}`fig-accuracy-time` shows what each second of training bought. The table
# gives, per model, its size and training speed (FLOP/s of the forward and backward
# passes), what one float32 forward and backward pass to the input costs per image in
# the later chapters, and the test accuracy of the plain network in float32 — the
# network every later chapter uses. Averaging the logits of an image and its mirror
# image (flip test-time augmentation) changes the function, so it is shown apart. The
# last column is the share of test images classified correctly with a cross-entropy
# below 0.01: the "modes" Vrabel et al. connect.

# %% tags=["remove-input"]
page.summary_table(study)

# %% [markdown]
# Against the book's own targets (what the later chapters need
# of models trained once, by `make models`): {glue:text}`cifar10_resnet_says`;
# {glue:text}`cifar10_vgg_says`; {glue:text}`cifar100_vgg_says`.
#
# ## Beside the papers' models
#
# Each model stands in for a larger one of the papers: Gu & Borovykh fine-tune an
# ImageNet ResNet50, Vrabel et al. use torchvision's ImageNet GoogLeNet (and a CIFAR-10
# ResNet18 in their appendix), and their detector runs on the VGG-16s of the benchmark of
# Harder et al. (2021). The papers report none of their accuracies; where the code the
# papers trained with reports one, it is shown with its source. The later chapters say
# where the difference in model matters.

# %% tags=["remove-input"]
page.reference_table(study)

# %% [markdown]
# ## Where the ResNet errs
#
# The connectivity chapters only use pairs of test images that the network classifies
# correctly; {numref}`fig-confusion` shows where the CIFAR-10 ResNet errs and
# {numref}`fig-misclassified` a random sample of its errors, labelled
# *true → predicted*.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Confusion matrix of the CIFAR-10 ResNet on the test set (rows: true class, normalised).", "name": "fig-confusion"}}
fig = page.plot_confusion(study)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Misclassified CIFAR-10 test images, true → predicted class.", "name": "fig-misclassified"}}
fig = page.plot_misclassified(study)
plt.show()

# %% [markdown]
# ## What reproduced here
#
# This chapter compares nothing with a paper: the accuracies are checks against the
# book's own targets.

# %% tags=["remove-input"]
what_reproduced()
