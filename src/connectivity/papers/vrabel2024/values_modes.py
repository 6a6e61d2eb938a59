"""Paper values of Vrabel et al. (2024) for this part of the chapter (see the package docstring)."""

from connectivity.papers import PaperValue, index

VALUES: dict[str, PaperValue] = index([])
