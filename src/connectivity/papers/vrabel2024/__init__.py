"""Vrabel, Shem-Ur, Oz, Krueger (2024), *Input space mode connectivity in deep neural
networks* (arXiv:2409.05800): paper values, chapter settings and orchestration.

``VALUES`` merges the paper values of the two parts of the chapter: §4.1, §4.3–4.4,
§5 and App. D.1 (:mod:`.values_modes`) and §4.2 with the detector (:mod:`.values_adversarial`).
"""

from connectivity.papers import index

from .values_adversarial import VALUES as _ADVERSARIAL
from .values_modes import VALUES as _MODES

VALUES = index(list(_MODES.values()) + list(_ADVERSARIAL.values()))
