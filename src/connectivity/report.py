"""Helpers for the book's pages."""

from __future__ import annotations

from typing import Any


def plain(value: Any) -> Any:
    """numpy / torch scalars as Python numbers (their repr is what myst-nb formats)."""
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 0) == 0:
        return value.item()
    return value


def glue(name: str, value: Any, display: bool = False) -> None:
    """``myst_nb.glue`` for a number or string used in the text with ``{glue:text}``;
    scalars are converted first, so that format specs like ``:.3f`` work."""
    from myst_nb import glue as _glue

    _glue(name, plain(value), display=display)
