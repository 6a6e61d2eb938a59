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
# | Vrabel et al. §4.2.1 (detection) | VGG-16 on CIFAR-10 and CIFAR-100, SGD lr 0.1, 50 epochs {cite}`harder2021` | VGG-16-BN {cite}`simonyan2015` with fewer channels, trained from scratch |
#
# The `paper` profile trains the papers' models instead (on a GPU; ResNet50 needs the
# torchvision ImageNet weights on the machine). All models take pixels in $[0, 1]$ and
# normalise internally, so that paths, attacks and pictures share one space.

# %% tags=["parameters"]
profile = "ci"  # "ci" (2 CPU cores), "paper" (the papers' models, for a GPU), "smoke"
cifar10_resnet = None  # dict of TrainConfig fields overriding the CIFAR-10 ResNet's
cifar10_vgg = None  # dict of TrainConfig fields overriding the CIFAR-10 VGG's
cifar100_vgg = None  # dict of TrainConfig fields overriding the CIFAR-100 VGG's
n_examples = None  # sample images shown per data set

# %% tags=["remove-cell"]
from connectivity.classifiers import ClassifierSettings

settings = ClassifierSettings.from_notebook(globals())

import matplotlib.pyplot as plt
import pandas as pd
import torch

from connectivity import plotting, scorecard
from connectivity.classifiers import configs
from connectivity.data import load_dataset
from connectivity.prose import glue, what_reproduced
from connectivity.training import predict, train_classifier

torch.manual_seed(0)
plotting.setup()

# %% [markdown]
# ## The data
#
# CIFAR-10 and CIFAR-100 {cite}`krizhevsky2009`: 50,000 training and 10,000 test
# images of $32\times 32$ pixels, in 10 and 100 classes. They are read from the offline
# copy in `../shared/data` (or wherever `CONNECTIVITY_DATA` points), checked against
# their checksums and cached decoded ({numref}`fig-cifar-examples`).

# %% tags=["hide-input"]
data = {
    name: (load_dataset(name, "train"), load_dataset(name, "test"))
    for name in ("cifar10", "cifar100")
}
pd.DataFrame(
    [
        {
            "dataset": n,
            "train": len(tr),
            "test": len(te),
            "classes": tr.num_classes,
            "image": "×".join(map(str, tr.x.shape[1:])),
            "source": tr.source,
        }
        for n, (tr, te) in data.items()
    ]
).set_index("dataset")

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Random CIFAR-10 test images with their labels.", "name": "fig-cifar-examples"}}
test10 = data["cifar10"][1]
idx = torch.randperm(len(test10), generator=torch.Generator().manual_seed(0))[: settings.n_examples]
fig = plotting.image_grid(test10.x[idx], [test10.classes[i] for i in test10.y[idx]])

# %% [markdown]
# ## Training
#
# Each model is trained from a configuration (architecture, optimiser, schedule,
# epochs, seed) and saved under a hash of that configuration; a rerun loads it. The
# table lists the configurations of this build.

# %% tags=["remove-input"]
pd.DataFrame(
    [
        {
            "model": k,
            **{
                f: getattr(c, f)
                for f in (
                    "dataset",
                    "arch",
                    "arch_kwargs",
                    "epochs",
                    "batch_size",
                    "optimizer",
                    "lr",
                    "schedule",
                )
            },
        }
        for k, c in configs(settings).items()
    ]
).set_index("model")

# %% tags=["remove-cell"]
trained = {key: train_classifier(cfg) for key, cfg in configs(settings).items()}

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Training (augmented) and test accuracy per epoch of the three models.", "name": "fig-training-curves"}}
fig = plotting.training_curves({k: t.history for k, t in trained.items()})

# %% tags=["remove-input"]
pd.DataFrame(
    [
        {
            "model": k,
            "parameters": sum(p.numel() for p in t.model.parameters()),
            "epochs": t.config.epochs,
            "train time (s)": round(sum(t.history["seconds"]), 1),
            "test accuracy": round(t.test_accuracy, 4),
        }
        for k, t in trained.items()
    ]
).set_index("model")

# %% tags=["remove-cell"]
for key, t in trained.items():
    glue(f"{key}_acc", 100 * t.test_accuracy)
    scorecard.measure(
        f"models.{key}.accuracy",
        f"{key} test accuracy ({settings.profile} profile)",
        round(t.test_accuracy, 4),
        unit="fraction",
        section="Training",
        note="the papers report no test accuracy for their models",
    )

# %% [markdown]
# Test accuracy ({numref}`fig-training-curves`): CIFAR-10 ResNet
# {glue:text}`cifar10_resnet_acc:.1f` %, CIFAR-10 VGG {glue:text}`cifar10_vgg_acc:.1f` %,
# CIFAR-100 VGG {glue:text}`cifar100_vgg_acc:.1f` %.
#
# ## Where the ResNet errs
#
# The connectivity chapters only use pairs of test images that the network classifies
# correctly; {numref}`fig-confusion` shows where the CIFAR-10 ResNet errs and
# {numref}`fig-misclassified` a random sample of its errors, labelled
# *true → predicted*.

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Confusion matrix of the CIFAR-10 ResNet on the test set (rows: true class, normalised).", "name": "fig-confusion"}}
pred10 = predict(trained["cifar10_resnet"].model, test10.x).argmax(1)
fig = plotting.confusion_matrix_plot(test10.y, pred10, test10.classes)

# %% tags=["remove-input"] mystnb={"figure": {"caption": "Misclassified CIFAR-10 test images, true → predicted class.", "name": "fig-misclassified"}}
wrong = torch.nonzero(pred10 != test10.y).flatten()
wrong = wrong[
    torch.randperm(len(wrong), generator=torch.Generator().manual_seed(0))[: settings.n_examples]
]
fig = plotting.image_grid(
    test10.x[wrong], [f"{test10.classes[test10.y[i]]}→{test10.classes[pred10[i]]}" for i in wrong]
)
plt.show()

# %% [markdown]
# ## What reproduced here
#
# This chapter compares nothing with a paper: the accuracies are measurements.

# %% tags=["remove-input"]
what_reproduced()
