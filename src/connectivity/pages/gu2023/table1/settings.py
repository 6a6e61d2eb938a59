"""Settings of the Table 1 page (notebook ``gu2023/01_table1``): the shared pair and
path settings (:class:`~connectivity.pages.gu2023.chapter_settings.ConnectSettings`), the
pair draws, the NEB budget of the rerun of unconnected pairs, the stages of the depth
sweep, and a reader's classifier (``checkpoint``,
:func:`connectivity.pages.readers.check_checkpoint`).

With a ``checkpoint`` the spaces and the depth sweep's stages are module paths of the
reader's network (``spaces`` and ``depth_layers``); left out, they default to those of
its architecture (:func:`reader_layers`: torchvision's ResNets and the book's ResNets),
and an architecture without defaults must name them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectivity import reader_checkpoint as rc
from connectivity.settings import ParameterError, coerce, param

from ...readers import CHECKPOINT_DOC, TORCHVISION_RESNETS, check_checkpoint, checkpoint_dict
from ..chapter_settings import ConnectSettings, Spaces

# the paper profile's NEB budget (pivots, iterations): a pair NEB leaves unconnected at a
# smaller profile's budget is rerun at this one before it counts as unconnected
_PAPER_NEB = ConnectSettings.resolve("paper").neb
PAPER_BUDGET = [_PAPER_NEB.n_pivots, _PAPER_NEB.steps]
# the toy profiles rerun at a toy budget: their tests and notebooks run in seconds
_TOY_BUDGET = [8, 40]


def reader_layers(architecture: str, arch_kwargs: dict | None = None) -> dict[str, Any] | None:
    """The default ``spaces`` (module paths by space) and ``depth_layers`` of a reader's
    network of ``architecture``, or None where there are none (the reader names them):

    * the book's ``cifar_resnet`` (its ``blocks`` in ``arch_kwargs``; 3 stages by
      default): the pixels, ``stage1``, the pooled features ``pool``, the last stage;
    * the book's torchvision ResNets (``book:resnet18``, ``book:resnet50``): ``layer1``,
      ``flatten``, ``layer4``, as the ``paper`` profile;
    * torchvision's ResNets (``resnet50``, ``wide_resnet50_2``, ``resnext50_32x4d``, ...):
      ``layer1``, the pooled features ``avgpool`` (then flatten and ``fc``: affine) and
      ``layer4``.

    >>> reader_layers("resnet18")["spaces"]["last"]
    'avgpool'
    >>> reader_layers("cifar_resnet", {"blocks": [1, 1]})["spaces"]["last_stage"]
    'stage2'
    >>> reader_layers("densenet121") is None
    True
    """
    base = architecture.removeprefix(rc.BOOK_PREFIX)
    if rc.is_book(architecture) and base == "cifar_resnet":
        n = len((arch_kwargs or {}).get("blocks") or (1, 1, 1))
        stages = [f"stage{i + 1}" for i in range(n)]
        return {
            "spaces": {
                "original": "input",
                "intermediate": "stage1",
                "last": "pool",
                "last_stage": stages[-1],
            },
            "depth_layers": ["input", "stem", *stages, "pool"],
        }
    if rc.is_book(architecture) and base in ("resnet18", "resnet50"):
        return {
            "spaces": dataclasses.asdict(Spaces()),
            "depth_layers": ["input", "maxpool", "layer1", "layer2", "layer3", "layer4", "flatten"],
        }
    if not rc.is_book(architecture) and architecture.startswith(TORCHVISION_RESNETS):
        return {
            "spaces": {
                "original": "input",
                "intermediate": "layer1",
                "last": "avgpool",
                "last_stage": "layer4",
            },
            "depth_layers": ["input", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool"],
        }
    return None


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
        doc="every stage of the depth sweep (beyond the paper; first pair draw); with a "
        "checkpoint, module paths of its network",
    )
    checkpoint: dict | None = param(None, doc=CHECKPOINT_DOC)

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

    @classmethod
    def resolve(cls, profile: str = "paper", **overrides: Any):
        """As :meth:`Settings.resolve`; with a ``checkpoint``, ``spaces`` and
        ``depth_layers`` not given take its architecture's (:func:`reader_layers`), and a
        partial ``spaces`` dict is completed from them."""
        if overrides.get("checkpoint") is not None:
            ckpt = checkpoint_dict(overrides["checkpoint"])
            overrides = {**overrides, "checkpoint": ckpt, **_reader_layers(ckpt, overrides)}
        return super().resolve(profile, **overrides)

    def validate(self) -> None:
        draws = 1 if self.checkpoint is not None else 2  # a reader may look at one draw
        if len(self.pair_seeds) < draws or len(set(self.pair_seeds)) != len(self.pair_seeds):
            raise ParameterError(
                f"pair_seeds: at least {'one draw' if draws == 1 else 'two different draws'}, "
                f"got {self.pair_seeds}"
            )
        if len(self.rerun_budget) != 2 or (
            self.rerun_budget[0] < self.neb.n_pivots or self.rerun_budget[1] < self.neb.steps
        ):
            raise ParameterError(
                f"rerun_budget: [pivots, iterations], at least the NEB budget "
                f"[{self.neb.n_pivots}, {self.neb.steps}], got {self.rerun_budget}"
            )
        if self.checkpoint is not None:
            if self.classifier_changes:
                raise ParameterError(
                    "classifier_changes retrains the book's shared classifier; with a "
                    "checkpoint the page runs the reader's: leave classifier_changes out"
                )
            ckpt = checkpoint_dict(self.checkpoint)
            check_checkpoint(ckpt, [*self.spaces.as_dict().values(), *self.depth_layers])


def _reader_layers(ckpt: dict, overrides: dict) -> dict[str, Any]:
    """``spaces`` and ``depth_layers`` for a reader's ``ckpt``: those given, completed
    from its architecture's defaults (:func:`reader_layers`). The file and its
    architecture are checked first (:func:`connectivity.pages.readers.check_checkpoint`),
    and an opaque program is refused unless every space is the input."""
    check_checkpoint(ckpt, [])
    given = overrides.get("spaces")
    if isinstance(given, Spaces):
        given = dataclasses.asdict(given)
    given = coerce("spaces", given, dict) if given is not None else {}
    names = [f.name for f in dataclasses.fields(Spaces)]
    if rc._archive_kind(Path(ckpt["path"]).expanduser()) is not None:  # a program
        check_checkpoint(ckpt, [given.get(n, f"its {n} space") for n in names[1:]])
        spaces = {n: given.get(n, rc.INPUT) for n in names}
        return {"spaces": spaces, "depth_layers": overrides.get("depth_layers") or [rc.INPUT]}
    defaults = reader_layers(str(ckpt["architecture"]), ckpt.get("arch_kwargs"))
    spaces = {**(defaults["spaces"] if defaults else {"original": rc.INPUT}), **given}
    missing = [n for n in names if n not in spaces]
    if missing:
        raise ParameterError(
            f"spaces: the page has no default layers for {ckpt.get('architecture')!r} (it has "
            "them for torchvision's ResNets and the book's): name the spaces by module "
            f"path, as model.named_modules() names them; missing: {', '.join(missing)} "
            "(e.g. spaces={'intermediate': 'features.10', 'last': 'avgpool', "
            "'last_stage': 'features.30'})"
        )
    depth = overrides.get("depth_layers")
    if depth is None:
        depth = defaults["depth_layers"] if defaults else [spaces[n] for n in names]
    return {"spaces": spaces, "depth_layers": depth}
