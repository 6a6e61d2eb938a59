"""Every number and claim of the paper that the book compares with."""

from connectivity.papers import PaperValue, index

VALUES: dict[str, PaperValue] = index([])
