"""What the decoders-and-paths page computes: the two decoders of App. A and the strips
of Figs. 2-3, from the Table 1 page's first pair draw (the same cached runs).

:func:`run` is a few steps: the shared classifier and its pair runs
(:mod:`..connect`), :func:`train_decoders` (Tables 2-4, :mod:`connectivity.decoders`),
:func:`decode_examples`, :func:`figure2` and :func:`figure3` (the strips shown), and
:func:`straight_at_band_t` with :func:`decoded_difference` (how much the decoded NEB
path differs from the decoded straight path):

* Fig. 2: two pairs that are only nonlinearly connected in the original space - for
  each, the straight path (with its worst point) and the NEB path, images and softmax;
* Fig. 3: one pair only nonlinearly connected in the first hidden layer (preferably
  also in the original space): (R) its straight path and (C) its NEB path there,
  decoded; (L) its straight path in the last layer, decoded - linear there, as every
  pair is.

No records, sentences or figures here (``report``, ``figures``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from connectivity.data import Dataset, image_subset, load_dataset
from connectivity.decoders import (
    TrainedDecoder,
    intermediate_decoder,
    last_layer_decoder,
    train_decoder,
)
from connectivity.input_paths import evaluate_linear, evaluate_path
from connectivity.models import model_device, split_model

from ..connect import LayerRun, connect, load_classifier, nonlinear_pairs
from .settings import DecodersAndPathsSettings

SHOWN_SPACES = ("original", "intermediate", "last")  # the spaces of the figures


@dataclass
class Strip:
    """Points along one path as shown: ``images`` (K, 3, H, W) (decoded in a latent
    space), the softmax ``probs`` (K, classes) at those points, their path parameters
    ``t`` (K,) (for a NEB band: pivot index / (N + 1)), the pair's class, whether every
    checked point of the path is that class, and the strip index of the straight
    path's worst point (largest cross-entropy of the class among all checked points)."""

    title: str
    images: torch.Tensor
    probs: torch.Tensor
    t: torch.Tensor
    target: int
    all_target: bool
    worst: int | None = None


@dataclass
class DecodersAndPathsStudy:
    """Everything the page shows: the decoders, test ``examples`` (n, 3, H, W) and their
    ``decoded`` images per space, the first pair draw's ``runs`` per space, the strips of
    Fig. 2 (per shown pair: [straight, NEB]) and Fig. 3 ([(L) last straight,
    (R) intermediate straight, (C) intermediate NEB]), the Fig. 3 pair and whether it is
    also only nonlinearly connected in the original space, the straight path of (R)
    decoded at the t of (C)'s pivots (K, 3, H, W) (the two strips compared point by
    point: their shown points sit at other t otherwise) and that comparison
    (:func:`decoded_difference`)."""

    settings: DecodersAndPathsSettings
    classes: list[str]
    decoders: dict[str, TrainedDecoder]  # "intermediate", "last"
    examples: torch.Tensor
    decoded: dict[str, torch.Tensor]
    runs: dict[str, LayerRun]  # "original", "intermediate", "last" (first pair draw)
    fig2: list[list[Strip]]
    fig3: list[Strip]
    fig3_pair: int | None
    fig3_also_original: bool
    fig3_matched: torch.Tensor | None = None
    fig3_difference: float | None = None

    def nonlinear_pairs(self, space: str) -> list[int]:
        return nonlinear_pairs(self.runs[space])


# ------------------------------------------------------------------ strips


def shown_indices(n_points: int, k: int, worst: int | None = None) -> torch.Tensor:
    """``k`` indices spread evenly over ``n_points`` (ends included), the one nearest to
    ``worst`` replaced by it (the ends are never replaced) -> sorted (k,).

    >>> shown_indices(11, 3, worst=7).tolist()
    [0, 7, 10]
    """
    idx = torch.linspace(0, n_points - 1, k).round().long()
    if worst is not None and worst not in idx.tolist():
        inner = idx[1:-1]
        j = int((inner - worst).abs().argmin()) + 1
        idx[j] = worst
    return idx.sort().values


def linear_strip(
    tail, z1, z2, target: int, n_linear: int, k: int, decode=None, title: str = ""
) -> Strip:
    """The straight path z1 -> z2 (each (1, *S)) checked at ``n_linear`` points, shown at
    ``k`` of them including its worst point."""
    device = model_device(tail)
    z1, z2 = z1.to(device), z2.to(device)
    tgt = torch.tensor([target], device=device)
    full = evaluate_linear(tail, z1, z2, n_linear, tgt)
    worst = int(full["loss"][0].argmax())
    pick = shown_indices(n_linear, k, worst).to(device)
    t = torch.linspace(0, 1, n_linear, device=device, dtype=z1.dtype)[pick]
    pts = z1 + t.view(-1, *[1] * (z1.dim() - 1)) * (z2 - z1)
    at_worst = int((pick == worst).nonzero()[0, 0])
    return _shown(tail, pts, t, target, bool(full["all_target"][0]), decode, title, at_worst)


def band_strip(
    tail, band: torch.Tensor, target: int, all_target: bool, k: int, decode=None, title: str = ""
) -> Strip:
    """``k`` pivots (ends included) of a NEB band (N + 2, *S)."""
    device = model_device(tail)
    band = band.to(device)
    pick = shown_indices(len(band), k).to(device)
    return _shown(tail, band[pick], pick / (len(band) - 1), target, all_target, decode, title)


def _shown(
    tail, pts, t, target: int, all_target: bool, decode, title: str, worst: int | None = None
) -> Strip:
    """The :class:`Strip` of the points ``pts`` (K, *S) of a path at parameters ``t``
    (K,): the class probabilities there, and the images (decoded in a latent space)."""
    tgt = torch.tensor([target], device=pts.device)
    probs = evaluate_path(tail, pts.unsqueeze(0), tgt)["probs"][0]
    images = pts if decode is None else decode(pts)
    return Strip(title, images.detach().cpu(), probs.cpu(), t.cpu(), target, all_target, worst)


def _all_words(all_target: bool) -> str:
    return "every point of the class" if all_target else "some points leave the class"


@dataclass
class SplitRuns:
    """The first pair draw's ``runs`` per space, with the model split there
    (``parts[space]`` = (head, tail)): where the strips are drawn from."""

    settings: DecodersAndPathsSettings
    test: Dataset
    runs: dict[str, LayerRun]
    parts: dict[str, tuple[torch.nn.Module, torch.nn.Module]]
    device: torch.device

    def latents(self, space: str, pair: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The two images of ``pair`` in ``space``, each (1, *S)."""
        head = self.parts[space][0]
        i, j = self.runs[space].pairs[pair].tolist()
        with torch.no_grad():
            x = self.test.x
            return head(x[i : i + 1].to(self.device)), head(x[j : j + 1].to(self.device))

    def straight(self, space: str, pair: int, decode: Callable | None, title: str) -> Strip:
        """The straight path of ``pair`` in ``space``, its title ending in whether every
        checked point is of the class."""
        z1, z2 = self.latents(space, pair)
        target = int(self.runs[space].target[pair])
        s = self.settings
        tail = self.parts[space][1]
        strip = linear_strip(tail, z1, z2, target, s.n_linear, s.strip_points, decode, title)
        strip.title += f": {_all_words(strip.all_target)}"
        return strip

    def strips(
        self, space: str, pair: int, decode: Callable | None, label: str, neb_label=None
    ) -> list[Strip]:
        """[straight path] of ``pair`` in ``space``, and its NEB path where NEB ran."""
        c = self.runs[space].connection
        name = self.test.classes[int(self.runs[space].target[pair])]
        out = [self.straight(space, pair, decode, f"{label}straight path ({name})")]
        if pair in c.neb_index.tolist():
            j = c.neb_index.tolist().index(pair)
            ok = c.category[pair] == "nonlinear"
            title = f"{neb_label or label}NEB path ({name}): {_all_words(ok)}"
            target = int(self.runs[space].target[pair])
            tail = self.parts[space][1]
            out.append(
                band_strip(tail, c.bands[j], target, ok, self.settings.strip_points, decode, title)
            )
        return out


# ------------------------------------------------------------------ the page's steps


def run(settings: DecodersAndPathsSettings) -> DecodersAndPathsStudy:
    """Decoders, decoded examples and the strips of Figs. 2-3 (cached pieces)."""
    s = settings
    trained = load_classifier(s)
    model = trained.model
    device = model_device(model)
    train, test = load_dataset("cifar10", "train"), load_dataset("cifar10", "test")
    layers = s.spaces.as_dict()
    runs = {space: connect(s, trained, test, layers[space], s.pair_seed) for space in SHOWN_SPACES}
    parts = {space: split_model(model, layers[space]) for space in layers}
    decoders = train_decoders(s, trained.path, parts, train, test)
    examples, decoded = decode_examples(s, test, parts, decoders, device)
    split = SplitRuns(s, test, runs, parts, device)
    fig2 = figure2(split)
    fig3, pick, both = figure3(split, decoders)
    matched = straight_at_band_t(split, decoders, fig3, pick)
    difference = decoded_difference(matched, fig3[2]) if matched is not None else None
    return DecodersAndPathsStudy(
        s,
        test.classes,
        decoders,
        examples,
        decoded,
        runs,
        fig2,
        fig3,
        pick,
        both,
        matched,
        difference,
    )


def train_decoders(
    s: DecodersAndPathsSettings, model_key: str, parts, train: Dataset, test: Dataset
) -> dict[str, TrainedDecoder]:
    """The decoders of the first hidden layer (Table 2) and of the last layer (Table 3),
    trained as Table 4 says (cached by ``model_key``, the layer and their settings)."""
    g = torch.Generator().manual_seed(0)
    x_train = train.x[torch.randperm(len(train), generator=g)[: s.decoder_train_images]]
    x_test = image_subset(test, s.decoder_test_images).x  # all classes, not the first one
    image = tuple(test.x.shape[1:])
    device = model_device(parts["intermediate"][0])
    with torch.no_grad():
        z_int = parts["intermediate"][0](x_test[:1].to(device)).shape[1:]
        z_last = parts["last"][0](x_test[:1].to(device)).shape[1:]
    ci, cl = s.intermediate_decoder, s.last_decoder
    size = ci.image_size or image[-1]
    torch.manual_seed(0)
    dec_int = intermediate_decoder(tuple(z_int), (image[0], size, size), ci)
    dec_last = last_layer_decoder(int(z_last.numel()), image, cl)
    layers = s.spaces.as_dict()
    return {
        "intermediate": train_decoder(
            parts["intermediate"][0],
            dec_int,
            x_train,
            x_test,
            ci.epochs,
            ci.batch_size,
            ci.lr,
            key={"model": model_key, "layer": layers["intermediate"]},
            desc="intermediate decoder",
        ),
        "last": train_decoder(
            parts["last"][0],
            dec_last,
            x_train,
            x_test,
            cl.epochs,
            cl.batch_size,
            cl.lr,
            key={"model": model_key, "layer": layers["last"]},
            desc="last-layer decoder",
        ),
    }


def decode_examples(
    s: DecodersAndPathsSettings, test: Dataset, parts, decoders: dict[str, TrainedDecoder], device
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """``s.n_examples`` test images (n, 3, H, W) and their decodings from each space."""
    examples = image_subset(test, s.n_examples).x  # CIFAR test sets are sorted by class
    with torch.no_grad():
        decoded = {sp: decoders[sp](parts[sp][0](examples.to(device))).cpu() for sp in decoders}
    return examples, decoded


def figure2(split: SplitRuns) -> list[list[Strip]]:
    """Fig. 2: the first two pairs only nonlinearly connected in the original space, each
    [straight, NEB] in pixels."""
    return [
        split.strips("original", p, None, f"pair {p}: ")
        for p in nonlinear_pairs(split.runs["original"])[:2]
    ]


def figure3(
    split: SplitRuns, decoders: dict[str, TrainedDecoder]
) -> tuple[list[Strip], int | None, bool]:
    """Fig. 3: [(L) last straight, (R) intermediate straight, (C) intermediate NEB] of
    the first pair only nonlinearly connected in the first hidden layer, preferably also
    in the original space; that pair (None: none) and whether it is also one there."""
    nonlin = {sp: nonlinear_pairs(split.runs[sp]) for sp in ("original", "intermediate")}
    both = [p for p in nonlin["intermediate"] if p in nonlin["original"]]
    pick = (both or nonlin["intermediate"] or [None])[0]
    fig3 = []
    if pick is not None:
        name = split.test.classes[int(split.runs["last"].target[pick])]
        last = split.straight(
            "last", pick, decoders["last"], f"(L) last layer, decoded: straight path ({name})"
        )
        fig3 = [last] + split.strips(
            "intermediate",
            pick,
            decoders["intermediate"],
            "(R) first hidden layer, decoded: ",
            "(C) first hidden layer, decoded: ",
        )
    return fig3, pick, bool(both)


def straight_at_band_t(
    split: SplitRuns, decoders: dict[str, TrainedDecoder], fig3: list[Strip], pick: int | None
) -> torch.Tensor | None:
    """The Fig. 3 pair's straight path in the first hidden layer decoded at the t of the
    (C) strip's pivots (K, 3, H, W); None without a (C) strip."""
    if len(fig3) != 3:
        return None
    z1, z2 = split.latents("intermediate", pick)
    t = fig3[2].t.to(split.device, z1.dtype).view(-1, *[1] * (z1.dim() - 1))
    with torch.no_grad():
        return decoders["intermediate"](z1 + t * (z2 - z1)).cpu()


def decoded_difference(straight: torch.Tensor, band: Strip) -> float:
    """Mean |straight − band| over the band strip's inner points, relative to the mean
    |difference| of its decoded endpoints; ``straight`` (K, 3, H, W) is the straight path
    decoded at the band strip's t (both strips share their endpoints)."""
    ends = (band.images[-1] - band.images[0]).abs().mean().clamp_min(1e-12)
    inner = (straight[1:-1] - band.images[1:-1]).abs().mean()
    return float(inner / ends)
