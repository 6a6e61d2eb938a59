"""Settings of the "Your classifier" page (notebook ``your_classifier``): one draw of
Gu & Borovykh's Table 1 on a classifier saved to a file and passed back as Table 1's
``checkpoint`` (:meth:`YourClassifierSettings.table1`)."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import Settings, param

from ..gu2023.table1.settings import Table1Settings


@dataclass(frozen=True)
class YourClassifierSettings(Settings):
    """The how-to of a reader's classifier: the shared CIFAR-10 ResNet of the profile
    saved to a file, then one pair draw of Table 1 on that file."""

    n_pairs: int = param(25, lo=2, hi=10_000, doc="same-class test pairs of the one draw")
    pair_seed: int = param(0, lo=0, doc="seed of the pair draw")

    OVERRIDES = {"ci": {"n_pairs": 8}, "smoke": {"n_pairs": 4}, "smoke-paper": {"n_pairs": 3}}

    def table1(self, checkpoint: dict) -> Table1Settings:
        """Table 1's settings for ``checkpoint``: the profile's, with this page's pairs,
        one draw, the spaces of the checkpoint's architecture, no depth sweep and no
        rerun of unconnected pairs at a larger NEB budget (the profile's budget)."""
        neb = Table1Settings.resolve(self.profile).neb
        return Table1Settings.resolve(
            self.profile,
            checkpoint=checkpoint,
            n_pairs=self.n_pairs,
            pair_seeds=[self.pair_seed],
            depth_layers=[],
            rerun_budget=[neb.n_pivots, neb.steps],
        )
