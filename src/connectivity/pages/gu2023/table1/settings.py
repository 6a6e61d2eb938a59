"""Settings of the Table 1 page (notebook ``gu2023/01_table1``): the shared pair and
path settings (:class:`~connectivity.pages.gu2023.chapter_settings.ConnectSettings`), the
pair draws, the NEB budget of the rerun of unconnected pairs and the stages of the
depth sweep."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import ParameterError, param

from ..chapter_settings import ConnectSettings

# the paper profile's NEB budget (pivots, iterations): a pair NEB leaves unconnected at a
# smaller profile's budget is rerun at this one before it counts as unconnected
_PAPER_NEB = ConnectSettings.resolve("paper").neb
PAPER_BUDGET = [_PAPER_NEB.n_pivots, _PAPER_NEB.steps]
# the toy profiles rerun at a toy budget: their tests and notebooks run in seconds
_TOY_BUDGET = [8, 40]


@dataclass(frozen=True)
class Table1Settings(ConnectSettings):
    """§3-4, Table 1: linear, nonlinear or no same-class path, per space."""

    pair_seeds: list[int] = param(
        [0, 1, 2],
        lo=0,
        doc="seeds of the pair draws (the paper draws one set of 25 pairs; this book pools "
        "several)",
    )
    rerun_budget: list[int] = param(
        PAPER_BUDGET,
        lo=1,
        doc="NEB pivots and iterations of the rerun of the pairs NEB left unconnected in a "
        "compared space, before they count as unconnected (the paper profile's NEB budget)",
    )
    depth_layers: list[str] = param(
        ["input", "maxpool", "layer1", "layer2", "layer3", "layer4", "flatten"],
        doc="every stage of the depth sweep (beyond the paper; first pair draw)",
    )

    OVERRIDES = {
        "ci": {
            **ConnectSettings.OVERRIDES["ci"],
            "depth_layers": ["input", "stem", "stage1", "stage2", "stage3", "stage4", "pool"],
        },
        "smoke": {
            **ConnectSettings.OVERRIDES["smoke"],
            "pair_seeds": [0, 1],
            "rerun_budget": _TOY_BUDGET,
            "depth_layers": ["input", "stage2", "pool"],
        },
        "smoke-paper": {
            **ConnectSettings.OVERRIDES["smoke-paper"],
            "pair_seeds": [0, 1],
            "rerun_budget": _TOY_BUDGET,
            "depth_layers": ["input", "layer2", "flatten"],
        },
    }

    def validate(self) -> None:
        if len(self.pair_seeds) < 2 or len(set(self.pair_seeds)) != len(self.pair_seeds):
            raise ParameterError(f"pair_seeds: at least two different draws, got {self.pair_seeds}")
        if len(self.rerun_budget) != 2 or (
            self.rerun_budget[0] < self.neb.n_pivots or self.rerun_budget[1] < self.neb.steps
        ):
            raise ParameterError(
                f"rerun_budget: [pivots, iterations], at least the NEB budget "
                f"[{self.neb.n_pivots}, {self.neb.steps}], got {self.rerun_budget}"
            )
