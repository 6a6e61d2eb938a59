"""The classifiers page's figures (``plot_*``) and tables (``*_table``), drawn from a
:class:`~.study.ClassifiersStudy`; :func:`data_table` describes the data sets alone."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import torch

from connectivity import checkpoints, plotting
from connectivity.data import load_dataset
from connectivity.paper_values import ReferenceModel
from connectivity.paper_values import gu2023 as gu2023_values
from connectivity.paper_values import vrabel2024_adversarial as values_adversarial
from connectivity.paper_values import vrabel2024_modes as values_modes
from connectivity.shared_classifiers import ACCURACY_TARGETS, LABELS, configs

from .study import ClassifiersStudy

# the papers' models each of ours stands in for
REFERENCE_MODELS: dict[str, tuple[ReferenceModel, ...]] = {
    "cifar10_resnet": (gu2023_values.MODEL, values_modes.GOOGLENET, values_modes.RESNET18),
    "cifar10_vgg": (values_adversarial.BENCHMARK_MODELS["cifar10"],),
    "cifar100_vgg": (values_adversarial.BENCHMARK_MODELS["cifar100"],),
}
_CONFIG_FIELDS = (
    "dataset",
    "arch",
    "arch_kwargs",
    "epochs",
    "batch_size",
    "optimizer",
    "lr",
    "schedule",
    "label_smoothing",
    "fine_tune",
    "precision",
    "curve_subset",
)

# ------------------------------------------------------------------ tables


def data_table(names=("cifar10", "cifar100")):
    """One row per data set: sizes, classes, image shape, where it was read from."""
    rows = []
    for name in names:
        train, test = load_dataset(name, "train"), load_dataset(name, "test")
        rows.append(
            {
                "dataset": name,
                "train": len(train),
                "test": len(test),
                "classes": train.num_classes,
                "image": "×".join(map(str, train.x.shape[1:])),
                "source": train.source,
            }
        )
    return pd.DataFrame(rows).set_index("dataset")


def config_table(study: ClassifiersStudy):
    """The training configurations of this build (the recipe's other fields in the text):
    one row per field, one column per model, so that it fits the page."""
    rows = [
        {"model": LABELS[k], **{f: getattr(c, f) for f in _CONFIG_FIELDS}}
        for k, c in configs(study.settings).items()
    ]
    for row in rows:  # None: the learning curve uses every test image
        row["curve_subset"] = row["curve_subset"] or "all"
        ft = row["fine_tune"]
        row["fine_tune"] = (
            f"{ft.epochs} epochs, lr {ft.lr:g}, {ft.schedule}, smoothing {ft.label_smoothing:g}"
            if ft.epochs
            else "none"
        )
    table = pd.DataFrame(rows).set_index("model").T
    table.index.name = "field"
    return table.astype(str)


def _machine(where: dict) -> str:
    """A manifest's ``trained_on`` in words: the GPU, or the CPU with its cores and the
    instruction set torch used."""
    return (
        where["gpu"] or f"{where['cpu']} ({where['cores']} cores, {where['torch_cpu_capability']})"
    )


def provenance_table(study: ClassifiersStudy):
    """Where each model comes from: committed with the book (with the CPU or GPU, the
    precision and the commit it was trained at, and its stored accuracy beside this
    build's; a fine-tune's machines both, its wall time both stages'), cached, or trained
    in this build."""
    rows = []
    for key, t in study.trained.items():
        found = checkpoints.lookup(t.config.cache_key())
        row = {"model": LABELS[key], "accuracy (this build)": round(t.test_accuracy, 4)}
        if found is None:
            row["weights"] = "not committed: trained here (or cached by an earlier run)"
        else:
            entry = found[1]
            where = entry["trained_on"]
            first = entry.get("first_stage")  # a fine-tune: where its first stage was trained
            row.update(
                {
                    "weights": f"committed ({entry['bytes'] / 1e6:.1f} MB, sha256 "
                    f"{entry['sha256'][:10]}…)",
                    "accuracy (manifest)": round(entry["evaluation"]["accuracy"], 4),
                    "trained on": (f"{_machine(first['trained_on'])}, then " if first else "")
                    + _machine(where),
                    "precision": where["precision"],
                    "wall time (min)": round(
                        (entry["wall_seconds"] + (first["wall_seconds"] if first else 0)) / 60,
                        1,
                    ),
                    "commit": (entry["commit"] or "?")[:10],
                    "date": entry["date"][:10],
                }
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("model")


def summary_table(study: ClassifiersStudy):
    """Per model: size, training time and speed, float32 cost per image for later
    chapters, test accuracy of the plain network against its target, flip-TTA accuracy
    and the share of test images that are confident modes (CE < 0.01)."""
    rows = []
    for key, t in study.trained.items():
        h = t.history
        rows.append(
            {
                "model": LABELS[key],
                "parameters": sum(p.numel() for p in t.model.parameters()),
                "epochs": f"{t.config.epochs} + {t.config.fine_tune.epochs}"
                if t.config.fine_tuned
                else t.config.epochs,
                "precision": h.precision,
                "train time (s)": round(h.train_seconds, 1),
                "GFLOP/s": round(h.achieved_flops(t.images_per_epoch) / 1e9),
                "fwd+bwd ms/image (fp32)": round(study.gradient_ms[key], 3),
                "test accuracy": round(t.test_accuracy, 4),
                "target": ACCURACY_TARGETS[key],
                "flip-TTA accuracy": round(t.tta_accuracy, 4),
                "CE < 0.01": round(t.confident_fraction, 3),
            }
        )
    return pd.DataFrame(rows).set_index("model")


def reference_table(study: ClassifiersStudy):
    """Each of the book's models (with its test accuracy in this build) beside the papers'
    models it stands in for: where the paper uses it, its architecture, data and
    training, and its test accuracy where somebody reports one, with who does. Not a
    comparison: other networks, data or budgets. A styled table (text wraps, never cut)."""
    rows = []
    for key, t in study.trained.items():
        for ref in REFERENCE_MODELS[key]:
            reported = ref.accuracy is not None
            rows.append(
                {
                    "book model": f"{LABELS[key]}: {100 * t.test_accuracy:.2f} %",
                    "paper, where": f"{ref.paper}, {ref.used_in}",
                    "paper's model": f"{ref.architecture}; {ref.data}; {ref.training}",
                    "its accuracy": f"{ref.accuracy:.2f} % ({ref.accuracy_source})"
                    if reported
                    else "not reported",
                }
            )
    frame = pd.DataFrame(rows)
    return frame.style.hide(axis="index").set_properties(
        **{"text-align": "left", "white-space": "normal", "vertical-align": "top"}
    )


# ------------------------------------------------------------------ figures


def plot_examples(study: ClassifiersStudy):
    """``n_examples`` CIFAR-10 test images drawn at random (seed 0), with their labels."""
    test = study.cifar10_test
    n = study.settings.n_examples
    idx = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))[:n]
    return plotting.image_grid(test.x[idx], [test.classes[i] for i in test.y[idx]])


def plot_accuracy_vs_time(study: ClassifiersStudy):
    """Test accuracy after each epoch against cumulative training seconds, with the
    targets; returns the figure."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for k, (key, t) in enumerate(study.trained.items()):
        h = t.history
        ax.plot(h.cumulative_seconds, h.test_acc, "-o", ms=3, color=f"C{k}", label=LABELS[key])
        ax.axhline(ACCURACY_TARGETS[key], color=f"C{k}", ls=":", lw=1)
    ax.set_xlabel("training time (s, cumulative)")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def plot_confusion(study: ClassifiersStudy):
    """The CIFAR-10 ResNet's confusion matrix on its test split (rows: true class)."""
    test = study.resnet_test
    return plotting.confusion_matrix_plot(test.y, study.resnet_predicted, test.classes)


def plot_misclassified(study: ClassifiersStudy):
    """``n_examples`` of the CIFAR-10 ResNet's errors, drawn at random (seed 0),
    labelled *true → predicted*."""
    test, pred, n = study.resnet_test, study.resnet_predicted, study.settings.n_examples
    wrong = torch.nonzero(pred != test.y).flatten()
    wrong = wrong[torch.randperm(len(wrong), generator=torch.Generator().manual_seed(0))]
    labels = [f"{test.classes[test.y[i]]}→{test.classes[pred[i]]}" for i in wrong]
    return plotting.image_grid(test.x[wrong[:n]], labels[:n])
