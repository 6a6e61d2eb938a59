"""The Lancione chapter: paper values (:mod:`.values`), one settings class per notebook
(:mod:`.settings`), the study's models defined once (:mod:`.study`) and one orchestration
module per page (:mod:`.question`, :mod:`.methods`, :mod:`.results`, :mod:`.future_work`).

The chapter trains hundreds of small networks with small steps. OpenMP's default of
*spinning* worker threads makes such steps 20-50x slower as soon as another process
competes for the cores (measured: 140 s instead of 2.6 s per epoch of ten autoencoders);
passive waiting costs nothing on an idle machine. It must be set before torch loads
OpenMP, hence here, before any other import of the chapter (an explicit setting wins).
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .values import VALUES  # noqa: E402

__all__ = ["VALUES"]
