"""The Lancione chapter: paper values (:mod:`.values`), one settings class per notebook
(:mod:`.settings`), the study's models defined once (:mod:`.trainings`) and one orchestration
module per page (:mod:`.question`, :mod:`.methods`, :mod:`.results`, :mod:`.future_work`).

The chapter trains hundreds of small networks with small steps: the book runner gives
its kernel OpenMP's passive waiting (:data:`connectivity.kernels.WAITING`; spinning
threads made them 20-50x slower as soon as another process competed for the cores,
measured 140 s instead of 2.6 s per epoch of ten autoencoders).
"""

from .values import VALUES

__all__ = ["VALUES"]
