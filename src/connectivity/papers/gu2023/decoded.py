"""Gu & Borovykh (2023) §4 and App. A: decoders and the paths of Figs. 2-3.

:func:`run` trains the two decoders of App. A (Tables 2-4, :mod:`connectivity.decoders`)
and builds the strips the figures show from the Table 1 page's first pair draw (the
same cached runs):

* Fig. 2: two pairs that are only nonlinearly connected in the original space - for
  each, the straight path (with its worst point) and the NEB path, images and softmax;
* Fig. 3: one pair only nonlinearly connected in the first hidden layer (preferably
  also in the original space): (R) its straight path and (C) its NEB path there,
  decoded; (L) its straight path in the last layer, decoded - linear there, as every
  pair is.

:func:`record` writes the page's measurements and glues its outcome sentences;
:func:`figure_strips` and :func:`figure_examples` draw the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from connectivity import prose, scorecard
from connectivity.classifiers import shared_classifier
from connectivity.data import image_subset, load_dataset
from connectivity.decoders import (
    TrainedDecoder,
    intermediate_decoder,
    last_layer_decoder,
    train_decoder,
)
from connectivity.input_paths import evaluate_linear, evaluate_path
from connectivity.models import model_device, split_model
from connectivity.neb import LayerRun, connect_in_layer

from .settings import PathsSettings

SECTION_DECODERS = "The decoders"
SECTION_FIG3 = "Figure 3: the first hidden layer and the last layer, decoded"


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
class PathsResult:
    settings: PathsSettings
    classes: list[str]
    decoders: dict[str, TrainedDecoder]  # "intermediate", "last"
    examples: torch.Tensor  # (n, 3, H, W) test images
    decoded: dict[str, torch.Tensor]  # their decodings per space
    runs: dict[str, LayerRun]  # "original", "intermediate", "last" (first pair draw)
    fig2: list[list[Strip]]  # per shown pair: [straight, NEB]
    fig3: list[Strip]  # [(L) last straight, (R) intermediate straight, (C) intermediate NEB]
    fig3_pair: int | None
    fig3_also_original: bool
    # the straight path of (R) decoded at the t of (C)'s pivots (K, 3, H, W): the two
    # strips compared point by point (their shown points sit at other t otherwise)
    fig3_matched: torch.Tensor | None = None

    def nonlinear_pairs(self, space: str) -> list[int]:
        return [i for i, c in enumerate(self.runs[space].connection.category) if c == "nonlinear"]


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
    probs = evaluate_path(tail, pts.unsqueeze(0), tgt)["probs"][0]
    images = pts if decode is None else decode(pts)
    return Strip(
        title,
        images.detach().cpu(),
        probs.cpu(),
        t.cpu(),
        target,
        bool(full["all_target"][0]),
        int((pick == worst).nonzero()[0, 0]),
    )


def band_strip(
    tail, band: torch.Tensor, target: int, all_target: bool, k: int, decode=None, title: str = ""
) -> Strip:
    """``k`` pivots (ends included) of a NEB band (N + 2, *S)."""
    device = model_device(tail)
    band = band.to(device)
    pick = shown_indices(len(band), k).to(device)
    pts = band[pick]
    tgt = torch.tensor([target], device=device)
    probs = evaluate_path(tail, pts.unsqueeze(0), tgt)["probs"][0]
    images = pts if decode is None else decode(pts)
    return Strip(
        title,
        images.detach().cpu(),
        probs.cpu(),
        (pick / (len(band) - 1)).cpu(),
        target,
        all_target,
    )


def run(settings: PathsSettings) -> PathsResult:
    """Decoders, decoded examples and the strips of Figs. 2-3 (cached pieces)."""
    s = settings
    trained = shared_classifier(s.profile, "cifar10_resnet", s.classifier_changes or None)
    model = trained.model.eval()
    device = model_device(model)
    train, test = load_dataset("cifar10", "train"), load_dataset("cifar10", "test")
    layers = s.spaces.as_dict()
    runs = {
        space: connect_in_layer(
            model,
            trained.path,
            test,
            layers[space],
            s.pair_seed,
            n_pairs=s.n_pairs,
            n_linear=s.n_linear,
            neb=s.neb,
            check_every=s.check_every,
        )
        for space in ("original", "intermediate", "last")
    }
    parts = {space: split_model(model, layers[space]) for space in layers}
    decoders = _train_decoders(s, trained.path, parts, train, test)
    examples = image_subset(test, s.n_examples).x  # CIFAR test sets are sorted by class
    with torch.no_grad():
        decoded = {sp: decoders[sp](parts[sp][0](examples.to(device))).cpu() for sp in decoders}

    def latents(space, pair):
        head = parts[space][0]
        i, j = runs[space].pairs[pair].tolist()
        with torch.no_grad():
            return head(test.x[i : i + 1].to(device)), head(test.x[j : j + 1].to(device))

    def strips(space, pair, decode, label, neb_label=None):
        run_ = runs[space]
        c, tail = run_.connection, parts[space][1]
        target = int(run_.target[pair])
        name = test.classes[target]
        z1, z2 = latents(space, pair)
        straight = linear_strip(
            tail,
            z1,
            z2,
            target,
            s.n_linear,
            s.strip_points,
            decode,
            f"{label}straight path ({name})",
        )
        straight.title += f": {_all_words(straight.all_target)}"
        out = [straight]
        if pair in c.neb_index.tolist():
            j = c.neb_index.tolist().index(pair)
            ok = c.category[pair] == "nonlinear"
            out.append(
                band_strip(
                    tail,
                    c.bands[j],
                    target,
                    ok,
                    s.strip_points,
                    decode,
                    f"{neb_label or label}NEB path ({name}): {_all_words(ok)}",
                )
            )
        return out

    nonlin = {
        sp: [i for i, c in enumerate(runs[sp].connection.category) if c == "nonlinear"]
        for sp in ("original", "intermediate")
    }
    fig2 = [strips("original", p, None, f"pair {p}: ") for p in nonlin["original"][:2]]
    both = [p for p in nonlin["intermediate"] if p in nonlin["original"]]
    pick = (both or nonlin["intermediate"] or [None])[0]
    fig3 = []
    if pick is not None:
        z1, z2 = latents("last", pick)
        target = int(runs["last"].target[pick])
        last = linear_strip(
            parts["last"][1],
            z1,
            z2,
            target,
            s.n_linear,
            s.strip_points,
            decoders["last"],
            f"(L) last layer, decoded: straight path ({test.classes[target]})",
        )
        last.title += f": {_all_words(last.all_target)}"
        fig3 = [last] + strips(
            "intermediate",
            pick,
            decoders["intermediate"],
            "(R) first hidden layer, decoded: ",
            "(C) first hidden layer, decoded: ",
        )
    matched = None
    if len(fig3) == 3:
        z1, z2 = latents("intermediate", pick)
        t = fig3[2].t.to(device, z1.dtype).view(-1, *[1] * (z1.dim() - 1))
        with torch.no_grad():
            matched = decoders["intermediate"](z1 + t * (z2 - z1)).cpu()
    return PathsResult(
        s, test.classes, decoders, examples, decoded, runs, fig2, fig3, pick, bool(both), matched
    )


def _all_words(all_target: bool) -> str:
    return "every point of the class" if all_target else "some points leave the class"


def _train_decoders(
    s: PathsSettings, model_key: str, parts, train, test
) -> dict[str, TrainedDecoder]:
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


# ------------------------------------------------------------------ records and sentences


def record(result: PathsResult) -> dict[str, str]:
    """Measurements of the page (decoder errors, how much the decoded NEB path differs
    from the decoded straight path) and its glued sentences; returns the sentences."""
    recs = {}
    for space, label in (("intermediate", "first-hidden-layer"), ("last", "last-layer")):
        d = result.decoders[space]
        recs[space] = scorecard.measure(
            f"gu2023.decoder.{space}.test_mse",
            f"{label} decoder: test MSE (pixels in [0, 1], {d.image_size[0]}×{d.image_size[1]})",
            round(d.test_mse, 5),
            section=SECTION_DECODERS,
            note=f"{result.settings.decoder_test_images} test images; the paper reports no "
            "decoder error",
        )
    mse_i, mse_l = result.decoders["intermediate"].test_mse, result.decoders["last"].test_mse
    sentences = {
        "decoders_text": (
            f"The first-hidden-layer decoder's test MSE is {mse_i:.4f} and the last-layer "
            f"decoder's {mse_l:.4f}: "
            + (
                "the first hidden layer keeps more of the image than the pooled features."
                if mse_i < mse_l
                else "at this scale the first-hidden-layer decoder does not recover more of the "
                "image than the last-layer one (it is narrow and briefly trained)."
            )
        ),
        "fig2_text": _fig2_sentence(result),
        "fig3_text": _fig3_sentence(result),
    }
    if len(result.fig3) == 3:
        diff = _decoded_difference(result.fig3_matched, result.fig3[2])
        rec = scorecard.measure(
            "gu2023.fig3.decoded_difference",
            "Fig. 3 pair, first hidden layer: mean absolute difference between the decoded "
            "straight and NEB paths at the same t, relative to that between the decoded "
            "endpoints",
            round(diff, 4),
            section=SECTION_FIG3,
            note="t of the NEB strip's pivots (pivot index / (N + 1)); the paper: the "
            "misclassified images 'do not differ strongly' from the correctly classified ones",
        )
        sentences["fig3_difference"] = (
            f"Decoded, the straight and the NEB path differ by {rec.reproduced:.0%} of the "
            "difference between the two decoded endpoints (mean absolute pixel difference)"
            + (
                ", so the images that leave the class look much like those that stay in it."
                if diff < 0.25
                else "."
            )
        )
    else:
        sentences["fig3_difference"] = ""
    for name, text in sentences.items():
        prose.glue(name, text)
    return sentences


def _decoded_difference(straight: torch.Tensor, band: Strip) -> float:
    """Mean |straight − band| over the band strip's inner points, relative to the mean
    |difference| of its decoded endpoints; ``straight`` (K, 3, H, W) is the straight path
    decoded at the band strip's t (both strips share their endpoints)."""
    ends = (band.images[-1] - band.images[0]).abs().mean().clamp_min(1e-12)
    inner = (straight[1:-1] - band.images[1:-1]).abs().mean()
    return float(inner / ends)


def _fig2_sentence(result: PathsResult) -> str:
    n = len(result.nonlinear_pairs("original"))
    total = result.settings.n_pairs
    if n == 0:
        return (
            f"In this draw no pair of {total} is only nonlinearly connected in the original "
            "space, so there is nothing to show."
        )
    shown = len(result.fig2)
    return (
        f"In this draw {n} of {total} pairs are only nonlinearly connected in the original "
        f"space; the figure shows {'the first two' if shown == 2 else 'the only one'}."
    )


def _fig3_sentence(result: PathsResult) -> str:
    n = len(result.nonlinear_pairs("intermediate"))
    if result.fig3_pair is None:
        return (
            "In this draw no pair is only nonlinearly connected in the first hidden layer, "
            "so there is nothing to show."
        )
    also = (
        "it is also only nonlinearly connected in the original space"
        if result.fig3_also_original
        else "no such pair is also only nonlinearly connected in the original space"
    )
    last = result.fig3[0]
    return (
        f"In this draw {n} of {result.settings.n_pairs} pairs are only nonlinearly connected "
        f"in the first hidden layer; the figure shows pair {result.fig3_pair} ({also}). In the "
        "last layer its straight path "
        + (
            "stays in the class, as the affine tail guarantees."
            if last.all_target
            else "leaves the class, which the affine tail forbids: a bug."
        )
    )


# ------------------------------------------------------------------ figures


def figure_strips(strips: list[Strip], classes: list[str], size: float = 1.0):
    """Each strip as a row of images above a row of softmax bars (the pair's class in red,
    the straight path's worst point framed in red); at most 10 inches wide."""
    import matplotlib.pyplot as plt

    from connectivity.plotting import to_image

    if not strips:
        fig, ax = plt.subplots(figsize=(6, 0.6))
        ax.axis("off")
        ax.text(0, 0.5, "no such pair in this draw", fontsize=10, va="center")
        return fig
    k = max(len(st.t) for st in strips)
    size = min(size, 10 / k)
    fig = plt.figure(figsize=(k * size, len(strips) * size * 2.0))
    gs = fig.add_gridspec(
        2 * len(strips), k, height_ratios=[1, 0.7] * len(strips), hspace=0.35, wspace=0.08
    )
    n_cls = strips[0].probs.shape[1]
    for r, st in enumerate(strips):
        colors = ["red" if c == st.target else "0.6" for c in range(n_cls)]
        for j in range(len(st.t)):
            ax = fig.add_subplot(gs[2 * r, j])
            ax.imshow(to_image(st.images[j]))
            ax.set_xticks([])
            ax.set_yticks([])
            edge = "red" if j == st.worst else "none"
            for spine in ax.spines.values():
                spine.set_visible(edge != "none")
                spine.set_color(edge)
                spine.set_linewidth(2)
            ax.set_xlabel(f"t={float(st.t[j]):.2f}", fontsize=7, labelpad=1)
            if j == 0:
                ax.set_title(st.title, loc="left", fontsize=9)
            ax = fig.add_subplot(gs[2 * r + 1, j])
            ax.bar(range(n_cls), st.probs[j].numpy(), color=colors)
            ax.set_ylim(0, 1)
            ax.set_xticks([])
            if j:
                ax.set_yticks([])
            pred = int(st.probs[j].argmax())
            ax.set_title(
                classes[pred], fontsize=7, pad=1, color="black" if pred == st.target else "red"
            )
    return fig


def figure_examples(result: PathsResult, size: float = 1.1):
    """Test images (top) and their decodings from the first hidden layer and the pooled
    features."""
    import matplotlib.pyplot as plt

    from connectivity.plotting import to_image

    rows = [
        ("test image", result.examples),
        ("from first hidden layer", result.decoded["intermediate"]),
        ("from pooled features", result.decoded["last"]),
    ]
    n = len(result.examples)
    size = min(size, 10 / n)
    fig, axes = plt.subplots(3, n, figsize=(n * size, 3 * size * 1.1), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for j in range(n):
            ax = axes[r, j]
            ax.imshow(to_image(images[j]))
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(label, fontsize=8)
    fig.tight_layout()
    return fig
