"""Training classifiers from a config, cached by a hash of that config, one concept a module.

The recipe follows the fast public CIFAR-10 recipes (Page 2018, "How to train your
ResNet"; Jordan 2024, "94 % on CIFAR-10 in 3.29 seconds on a single GPU", airbench)
as far as it applies to an unchanged ResNet or VGG-16-BN; each ingredient is a
:class:`TrainConfig` field, so it is part of the cache key and can be switched off:

* ``precision="bf16"`` - forward pass under bfloat16 autocast (fp32 master weights,
  loss and optimiser in fp32); on CPUs with AMX/AVX512-BF16 the convolutions run
  several times faster. Falls back to fp32 with a warning where bfloat16 is not fast.
* ``whiten_init`` - the first convolution starts as a whitening of the training
  images' patches (PCA filters scaled by 1/sqrt(eigenvalue), in +/- pairs).
* ``dirac_init`` - the other 3x3 convolutions start as partial identities.
* ``schedule="triangle"`` - linear warm-up then linear decay, Nesterov SGD.
* ``label_smoothing`` (optionally only for the first ``label_smoothing_epochs``).
* ``flip="alternating"`` - every image is flipped in every other epoch, not at random.
* ``bn_momentum``, ``bn_scale`` (train the BatchNorm scales or keep them at 1),
  ``bias_lr_scale`` (larger learning rate for BatchNorm biases).
* ``lookahead`` - an exponential moving average of the weights, copied back into
  the network every few steps (hlb-CIFAR10 / airbench).

The modules, each re-exported here under the names callers import:

* :mod:`.config` - :class:`TrainConfig` (the cache key), its choices, the test split;
* :mod:`.precision` - the device and the precision training runs in there;
* :mod:`.results` - :class:`History` and :class:`TrainedModel`;
* :mod:`.evaluation` - ``predict``, ``accuracy`` and the float32 ``evaluate``;
* :mod:`.augmentation` - random translation and flips on tensors;
* :mod:`.initialisation` - the whitening and identity starts;
* :mod:`.optimisers` - parameter groups, learning-rate schedules, :class:`Lookahead`;
* :mod:`.loop` - ``fit`` (the one training loop) and ``minibatch_epochs``;
* :mod:`.cached` - ``train_classifier`` and ``train_with_snapshots``, cached.
"""

from ..data import Dataset as Dataset  # reached as training.Dataset by the tests
from ..models import build_model as build_model  # reached as training.build_model
from .augmentation import augment_batch
from .cached import train_classifier, train_with_snapshots
from .config import (
    FLIPS,
    NUM_CLASSES,
    PRECISIONS,
    SCHEDULES,
    FineTune,
    TrainConfig,
    evaluation_split,
)
from .evaluation import CONFIDENT_CE, Evaluation, accuracy, evaluate, predict
from .initialisation import dirac_init, first_conv, patch_whitening, whiten_first_conv
from .loop import build_classifier, fit, minibatch_epochs, training_flops_per_image
from .optimisers import Lookahead
from .optimisers import _triangle as _triangle  # reached as training._triangle by the tests
from .precision import (
    PRECISION_ENV,
    autocast,
    bf16_is_fast,
    default_device,
    effective_precision,
    precision_override,
)
from .results import History, TrainedModel

__all__ = [
    "CONFIDENT_CE",
    "FLIPS",
    "FineTune",
    "NUM_CLASSES",
    "PRECISIONS",
    "PRECISION_ENV",
    "SCHEDULES",
    "Evaluation",
    "History",
    "Lookahead",
    "TrainConfig",
    "TrainedModel",
    "accuracy",
    "augment_batch",
    "autocast",
    "bf16_is_fast",
    "build_classifier",
    "default_device",
    "dirac_init",
    "effective_precision",
    "evaluate",
    "evaluation_split",
    "first_conv",
    "fit",
    "minibatch_epochs",
    "patch_whitening",
    "precision_override",
    "predict",
    "train_classifier",
    "train_with_snapshots",
    "training_flops_per_image",
    "whiten_first_conv",
]
