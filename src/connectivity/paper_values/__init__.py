"""What the papers report, as data: one module per paper (Vrabel et al.'s in two).

Every number or qualitative claim that the book compares with is a
:class:`PaperValue` in the ``VALUES`` of its paper's module (:mod:`.gu2023`,
:mod:`.vrabel2024_modes`, :mod:`.vrabel2024_adversarial`, :mod:`.lancione`), with the
metric's exact definition and where in the paper it stands. The pages, the scorecard
and the tests read them from here, below all of them: no paper number is typed in a
notebook.

>>> from connectivity.paper_values import paper_value
>>> paper_value("gu2023.table1.original.linear").value   # doctest: +SKIP
19
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Literal

PAPER_MODULES = ("gu2023", "vrabel2024_modes", "vrabel2024_adversarial", "lancione")

Kind = Literal["quantitative", "qualitative"]


@dataclass(frozen=True)
class PaperValue:
    """One number (``quantitative``) or directional claim (``qualitative``) of a paper.

    ``value`` is the number for a quantitative value; for a qualitative claim it is
    ``True`` when the paper asserts the claim (``claim`` says it in words) and
    ``False`` when the paper's own data contradict it.
    """

    id: str  # the scorecard id of the record that compares with it
    claim: str  # what is claimed or measured, in words
    value: float | int | bool
    metric: str  # the exact definition of the quantity
    where: str  # table, figure or section of the paper
    kind: Kind = "quantitative"
    unit: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("quantitative", "qualitative"):
            raise ValueError(
                f"{self.id}: kind must be quantitative or qualitative, not {self.kind!r}"
            )
        if self.kind == "qualitative" and not isinstance(self.value, bool):
            raise ValueError(f"{self.id}: a qualitative claim's value is True or False")
        if self.kind == "quantitative" and isinstance(self.value, bool):
            raise ValueError(f"{self.id}: a quantitative value must be a number")


@dataclass(frozen=True)
class ReferenceModel:
    """A model a paper computed with, for the table that puts each of the book's models
    beside the papers' (the classifiers chapter). Not compared by a verdict: the
    accuracies are of other architectures, data or training budgets.

    ``accuracy`` is the test accuracy in %, or ``None`` where neither the paper nor its
    code reports one; ``accuracy_source`` says who reports it.
    """

    paper: str  # short citation
    used_in: str  # the sections that compute with it
    architecture: str
    data: str
    training: str
    accuracy: float | None
    accuracy_source: str

    def __post_init__(self) -> None:
        if self.accuracy is not None and not 0 <= self.accuracy <= 100:
            raise ValueError(f"{self.paper}: accuracy is in % (0-100), got {self.accuracy}")
        if self.accuracy is None and self.accuracy_source != "not reported":
            raise ValueError(f"{self.paper}: an accuracy nobody reports has source 'not reported'")


def index(values: list[PaperValue]) -> dict[str, PaperValue]:
    """``{id: value}``, refusing duplicate ids."""
    out: dict[str, PaperValue] = {}
    for v in values:
        if v.id in out:
            raise ValueError(f"duplicate paper value id {v.id!r}")
        out[v.id] = v
    return out


def all_values() -> dict[str, PaperValue]:
    """Every paper value of every paper module, by id."""
    out: dict[str, PaperValue] = {}
    for name in PAPER_MODULES:
        for pid, value in importlib.import_module(f"{__name__}.{name}").VALUES.items():
            if pid in out:
                raise ValueError(f"paper value id {pid!r} in two modules")
            out[pid] = value
    return out


def paper_value(id: str) -> PaperValue:
    """The paper value recorded under ``id`` (a ``KeyError`` names the near ids)."""
    values = all_values()
    if id not in values:
        import difflib

        near = difflib.get_close_matches(id, list(values), n=3)
        raise KeyError(f"no paper value {id!r} in connectivity.paper_values; near: {near}")
    return values[id]
