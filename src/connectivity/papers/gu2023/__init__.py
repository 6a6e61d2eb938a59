"""Paper values, chapter settings and orchestration for the gu2023 chapter."""

from .values import VALUES

__all__ = ["VALUES"]
