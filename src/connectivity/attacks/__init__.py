"""Adversarial examples: the targeted attack of Vrabel et al. (2024) §4.2 and the five
untargeted attacks of the detection benchmark of Harder et al. (2021).

The code lives in :mod:`.untargeted` while it is split into one module per attack.
"""

from .untargeted import (
    UNTARGETED,
    AttackResult,
    TargetedAttackConfig,
    TargetedAttackResult,
    UntargetedConfig,
    carlini_wagner_l2,
    deepfool,
    linf_sign_attack,
    targeted_attack,
    untargeted_attack,
)

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
