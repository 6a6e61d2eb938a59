"""Settings of the Table 1 page (notebook ``gu2023/01_table1``): the shared pair and
path settings (:class:`~connectivity.pages.gu2023.chapter_settings.ConnectSettings`), the
pair draws and the stages of the depth sweep."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import ParameterError, param

from ..chapter_settings import ConnectSettings


@dataclass(frozen=True)
class Table1Settings(ConnectSettings):
    """§3-4, Table 1: linear, nonlinear or no same-class path, per space."""

    pair_seeds: list[int] = param(
        [0, 1, 2],
        lo=0,
        doc="seeds of the pair draws (the paper draws one set; several measure the spread)",
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
            "depth_layers": ["input", "stage2", "pool"],
        },
        "smoke-paper": {
            **ConnectSettings.OVERRIDES["smoke-paper"],
            "pair_seeds": [0, 1],
            "depth_layers": ["input", "layer2", "flatten"],
        },
    }

    def validate(self) -> None:
        if len(self.pair_seeds) < 2 or len(set(self.pair_seeds)) != len(self.pair_seeds):
            raise ParameterError(
                f"pair_seeds: at least two different draws (their spread is the tolerance), "
                f"got {self.pair_seeds}"
            )
