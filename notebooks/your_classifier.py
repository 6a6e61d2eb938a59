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
# # Your classifier
#
# This book asks the papers' questions of its own classifiers. The same questions can be
# asked of yours — a robustly trained network, another architecture, a checkpoint from
# your own training: Gu & Borovykh's Table 1 takes it as its parameter `checkpoint`, and
# so do Vrabel et al.'s §4.1 (the bypass) and §4.2 (adversarial barriers), which work in
# the input space and so also take an opaque program (TorchScript, `torch.export`) with
# its `mean` and `std`, and their detection page, whose detectors read the layers you name
# by module path (`detector_layers`; torchvision's VGGs and ResNets have defaults).
# This page shows the way end to end with a file it writes itself: the CIFAR-10 ResNet
# of the [classifiers chapter](classifiers.ipynb) (in the `ci` profile the committed
# one), saved as you would save yours, then passed to Table 1 for one draw of pairs.

# %% tags=["parameters"]
profile: str = "ci"  # "paper", "ci", "smoke" or "smoke-paper"
n_pairs: int = None  # same-class test pairs of the one draw
pair_seed: int = None  # seed of the pair draw

# %% tags=["remove-cell"]
from connectivity.pages.your_classifier import YourClassifierSettings

settings = YourClassifierSettings.from_notebook(globals())

from connectivity.pages import your_classifier as page
from connectivity.prose import what_reproduced

# %% [markdown]
# ## 1. Save the classifier
#
# A checkpoint is the network's state dict, written by
# `torch.save(model.state_dict(), "mine.pt")` (one nested under `state_dict` or `model`,
# as training frameworks write it, is read too). The page runs it as it runs its own
# models: pixels in $[0, 1]$, normalised by the mean and standard deviation you name.
# This page saves the book's ResNet that way:

# %% tags=["remove-cell"]
study = page.run(settings)
records = page.report(study)

# %% [markdown]
# ## 2. Name it in the page's parameters
#
# `checkpoint` is a dict: `path`, `architecture` (a torchvision name such as `resnet18`,
# or the book's: `cifar_resnet`, `cifar_vgg16_bn`, `book:resnet50`), `dataset`
# (`cifar10`, `cifar100`, or an image folder with one sub-folder per class), `mean` and
# `std` (three values each; the book's architectures keep theirs in the file), and where
# needed `arch_kwargs` and `input_size`. The spaces are module paths of your network, as
# `model.named_modules()` names them (`spaces`); torchvision's ResNets and the book's
# have defaults. From the command line:
#
# ```bash
# python -m connectivity.runner --only gu2023/01_table1 --no-build \
#   -p checkpoint '{"path": "mine.pt", "architecture": "resnet18", "dataset": "cifar10",
#                   "mean": [0.4914, 0.4822, 0.4465], "std": [0.247, 0.2435, 0.2616]}'
# ```
#
# This page passed:

# %% tags=["remove-input"]
page.checkpoint_table(study)

# %% [markdown]
# ## 3. The checks before any work
#
# The file is read with `torch.load(weights_only=True)`, so a checkpoint from elsewhere
# runs no code; its sha256 is printed; the network must have as many outputs as the data
# set has classes, give finite logits of the right shape on a probe batch, and have
# every named layer; and the page measures its test accuracy itself. Each failure stops
# the page with what was expected. Here:

# %% tags=["remove-input"]
print(page.checks_text(study))

# %% [markdown]
# ## 4. The records
#
# {glue:text}`table1_classifier` {glue:text}`yours_run`
#
# {glue:text}`table1_claims`
#
# A *context* row shows the paper's value beside this classifier's; a *measurement* has
# none. The [scorecard](scorecard.ipynb) lists them under "Readers' classifiers", apart
# from the book's own.

# %% tags=["remove-input"]
what_reproduced()
