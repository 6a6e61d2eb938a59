"""Paper values, chapter settings and orchestration for the lancione chapter."""

from .values import VALUES

__all__ = ["VALUES"]
