"""Adversarial examples: the targeted attack of Vrabel et al. (2024) §4.2 and the five
untargeted attacks of the detection benchmark of Harder et al. (2021).

Every model of this book takes pixels in [0, 1] and normalises them in its first stage
(:class:`connectivity.models.Normalize`). The attacks work where their originals did:

* :func:`targeted_attack` (Vrabel et al. §4.2) optimises in the model's *normalised*
  coordinates ``z = (x - mean) / std``, as the official code does (it applies Adam with
  lr 0.005, λ_mse 0.1 and λ_hf 1e-8 to ImageNet-normalised tensors), without pixel bounds;
* the untargeted attacks work in pixel space with bounds (0, 1), as foolbox 3 does for the
  benchmark (``PyTorchModel(model, bounds=(0, 1), preprocessing=...)``), with foolbox's
  defaults: FGSM (ε = 0.03), BIM (10 steps of 0.2 ε), PGD (``LinfPGD``: 40 steps of
  ε/30 from a uniform random start — foolbox 3.0–3.3.4 all use 40), L2 DeepFool (50 steps,
  10 candidate classes, overshoot 0.02) and L2 Carlini–Wagner (binary search over the
  constant c from 1e-3, 9 search steps, Adam steps of 0.01, abort-early).

Everything is batched (examples that are done drop out of the batch), runs on the
model's device and returns CPU tensors.

One attack per module, every name importable from here:

* :mod:`.targeted` - the targeted attack of Vrabel et al. §4.2, its config and result;
* :mod:`.linf_sign` - FGSM, BIM and PGD (steps along the sign of the gradient);
* :mod:`.deepfool` - L2 DeepFool;
* :mod:`.carlini_wagner` - L2 Carlini–Wagner;
* :mod:`.untargeted` - the benchmark's five attacks by name, their config and result;
* :mod:`.adam` - Adam on rows that drop out (the targeted attack and Carlini–Wagner).

Example::

    cfg = UntargetedConfig(cw_steps=100)
    res = untargeted_attack(model, x, y, "cw", cfg)      # AttackResult
    res.x[res.success]                                   # the adversarials
"""

from .carlini_wagner import carlini_wagner_l2
from .deepfool import deepfool
from .linf_sign import linf_sign_attack
from .targeted import TargetedAttackConfig, TargetedAttackResult, targeted_attack
from .untargeted import UNTARGETED, AttackResult, UntargetedConfig, untargeted_attack

__all__ = [
    "UNTARGETED",
    "AttackResult",
    "TargetedAttackConfig",
    "TargetedAttackResult",
    "UntargetedConfig",
    "carlini_wagner_l2",
    "deepfool",
    "linf_sign_attack",
    "targeted_attack",
    "untargeted_attack",
]
