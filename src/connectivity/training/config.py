"""What determines a trained classifier: :class:`TrainConfig`, whose fields are the
cache key of its results, the choices those fields take, and the test split it is
evaluated on (:func:`evaluation_split`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from ..data import SUBSET_RULE, Dataset, check_name, image_subset, load_dataset
from ..models import ARCHITECTURES

NUM_CLASSES = {"mnist": 10, "cifar10": 10, "cifar100": 100}
SCHEDULES = ("onecycle", "triangle", "cosine", "step", "constant")
FLIPS = ("random", "alternating", "none")
PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class FineTune:
    """A second stage of training: the weights of the config's first stage (every other
    field of :class:`TrainConfig`) trained ``epochs`` more with its own learning rate,
    schedule and label smoothing, the rest of the recipe unchanged. ``epochs = 0``: no
    second stage.

    Vrabel et al. need modes (real images of cross-entropy below 1e-4, §4.1), which a
    label-smoothed network cannot give (its cross-entropy is bounded below); an
    unsmoothed second stage is the way there without training it again from scratch
    (3 epochs were too few for the book's ci VGGs: see
    :mod:`connectivity.shared_classifiers`).

    >>> FineTune(epochs=2, lr=0.01).epochs
    2
    """

    epochs: int = 0
    lr: float = 0.01
    schedule: str = "cosine"  # see SCHEDULES
    label_smoothing: float = 0.0


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a trained classifier (the cache key)."""

    dataset: str = "cifar10"
    arch: str = "cifar_resnet"
    arch_kwargs: dict = field(default_factory=dict)
    epochs: int = 5
    batch_size: int = 256
    optimizer: str = "sgd"  # "sgd" (Nesterov) or "adam"
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    schedule: str = "onecycle"  # see SCHEDULES
    warmup: float = 0.2  # fraction of the steps spent warming up ("triangle")
    final_lr: float = 0.0  # learning rate at the end, as a fraction of lr ("triangle")
    label_smoothing: float = 0.0
    label_smoothing_epochs: int | None = None  # smooth only the first n epochs (None: all)
    augment: bool = True  # random translation (zero padding) + horizontal flip
    translate: int = 4  # pixels of random translation
    flip: str = "random"  # see FLIPS
    precision: str = "fp32"  # "fp32" or "bf16" (autocast forward pass, fp32 master weights)
    whiten_init: bool = False  # first conv starts as a patch-whitening filter bank
    dirac_init: bool = False  # other 3x3 convs start as partial identities
    bn_momentum: float = 0.1  # PyTorch convention: weight of the new batch statistics
    bn_scale: bool = True  # train BatchNorm scales (False: fixed at 1)
    bias_lr_scale: float = 1.0  # learning-rate factor of BatchNorm biases (weight decay / factor)
    lookahead: bool = False  # EMA of the weights copied back every 5 steps after 30 % of training
    train_subset: int | None = None  # first n training images (after a seeded shuffle)
    test_subset: int | None = None  # evaluate on n test images (smoke runs; see image_subset)
    # the learning curve (test accuracy after each epoch) on n of the evaluation images
    # (None: all of them); the curve only watches the training, the weights do not depend on it
    curve_subset: int | None = None
    seed: int = 0
    fine_tune: FineTune = field(default_factory=FineTune)  # a second stage (epochs 0: none)

    def __post_init__(self) -> None:
        self.validate()

    def size_words(self) -> str:
        """The architecture's size options in words, for prose: ``"blocks 1-1-1-1,
        width 16"`` (lists joined by hyphens), or ``"default size"`` without any.

        >>> TrainConfig(arch_kwargs={"blocks": [1, 1, 1, 1], "width": 16}).size_words()
        'blocks 1-1-1-1, width 16'
        """
        if not self.arch_kwargs:
            return "default size"
        return ", ".join(
            f"{k} {'-'.join(map(str, v)) if isinstance(v, (list, tuple)) else v}"
            for k, v in self.arch_kwargs.items()
        )

    def validate(self) -> None:
        check_name(self.dataset)
        if self.arch not in ARCHITECTURES:
            raise ValueError(
                f"unknown architecture {self.arch!r}; choose one of {', '.join(ARCHITECTURES)}"
            )
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            raise ValueError(f"epochs, batch_size and lr must be positive: {self}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"unknown optimizer {self.optimizer!r}; choose sgd or adam")
        for name, value, choices in (
            ("schedule", self.schedule, SCHEDULES),
            ("flip", self.flip, FLIPS),
            ("precision", self.precision, PRECISIONS),
        ):
            if value not in choices:
                raise ValueError(f"unknown {name} {value!r}; choose one of {', '.join(choices)}")
        if not (0 <= self.warmup < 1 and 0 <= self.final_lr <= 1 and 0 <= self.label_smoothing < 1):
            raise ValueError("warmup in [0, 1), final_lr in [0, 1], label_smoothing in [0, 1)")
        if not (0 < self.bn_momentum <= 1 and self.bias_lr_scale > 0 and self.translate >= 0):
            raise ValueError("bn_momentum in (0, 1], bias_lr_scale > 0, translate >= 0")
        for name in ("train_subset", "test_subset", "curve_subset"):
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"{name} must be None (all images) or positive")
        ft = self.fine_tune
        if ft.epochs < 0 or ft.lr <= 0 or not 0 <= ft.label_smoothing < 1:
            raise ValueError(
                f"fine_tune: epochs >= 0, lr > 0 and label_smoothing in [0, 1), got {ft}"
            )
        if ft.schedule not in SCHEDULES:
            raise ValueError(
                f"unknown fine_tune schedule {ft.schedule!r}; choose one of {', '.join(SCHEDULES)}"
            )

    @property
    def fine_tuned(self) -> bool:
        """Whether this recipe has a second stage."""
        return self.fine_tune.epochs > 0

    def first_stage(self) -> TrainConfig:
        """The recipe without its second stage: the model a fine-tune starts from."""
        return dataclasses.replace(self, fine_tune=FineTune())

    def second_stage(self) -> TrainConfig:
        """The second stage as a recipe of its own for the training loop: the fine-tune's
        epochs, learning rate, schedule and smoothing, every other field unchanged."""
        ft = self.fine_tune
        return dataclasses.replace(
            self,
            epochs=ft.epochs,
            lr=ft.lr,
            schedule=ft.schedule,
            label_smoothing=ft.label_smoothing,
            label_smoothing_epochs=None,
            fine_tune=FineTune(),
        )

    def cache_key(self) -> dict:
        """The fields that name this config's results in the cache: all of them, except
        fields added later while at their default (results cached before they existed
        were computed that way and keep their keys); with a subset, how it is drawn."""
        key = dataclasses.asdict(self)
        if not self.fine_tuned:
            del key["fine_tune"]
        for name, default in _KEY_NEUTRAL_DEFAULTS.items():
            if key[name] == default:
                del key[name]
        if self.test_subset is not None or self.curve_subset is not None:
            key["subset_rule"] = SUBSET_RULE
        return key


# fields of TrainConfig added after results were cached, with their defaults (and
# fine_tune, left out of the key without a second stage)
_KEY_NEUTRAL_DEFAULTS = {"test_subset": None, "curve_subset": None}


def evaluation_split(cfg: TrainConfig, test: Dataset | None = None) -> Dataset:
    """The test split ``cfg`` evaluates on: the whole one, or ``test_subset`` of its
    images (:func:`image_subset`); from ``test`` when the caller has loaded it already,
    else loaded here."""
    if test is None:
        test = load_dataset(cfg.dataset, "test")
    elif (test.name, test.split) != (cfg.dataset, "test"):
        raise ValueError(f"{test.name}/{test.split} is not the test split of {cfg.dataset}")
    return image_subset(test, cfg.test_subset)
