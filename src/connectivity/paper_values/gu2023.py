"""Every number and claim of Gu & Borovykh (2023) that the book compares with.

B. Gu, A. Borovykh, *On original and latent space connectivity in deep neural
networks*, arXiv:2311.06816. Table 1: a ResNet50 pretrained on ImageNet and
fine-tuned on CIFAR-10; 25 pairs of same-class points; per space, the number of pairs
(i) joined by a straight path all classified as the class, (ii) not, but joined by a
nonlinear (NEB) path all classified as the class, (iii) joined by neither.

The last-layer column (25 / 0 / 0) is data here but is not compared: the network after
its pooled features is one affine layer, so a class region is an intersection of
half-spaces (convex) and every pair of correctly classified points is linearly
connected, trained or not. The chapter records it as a ``check``.
"""

from connectivity.paper_values import PaperValue, ReferenceModel, index

_TABLE1 = "Table 1"

# the network of Table 1 (§4); neither the paper nor its code reports its accuracy
MODEL = ReferenceModel(
    paper="Gu & Borovykh 2023",
    used_in="Table 1, Figs. 2-3",
    architecture="ResNet50, pretrained on ImageNet (inputs at 224 px)",
    data="CIFAR-10",
    training="fine-tuned with cross-entropy and Adam; epochs not reported",
    accuracy=None,
    accuracy_source="not reported",
)
PAPER_PAIRS = 25  # pairs per space in Table 1
_SPACES = {
    "original": "original (pixel) space",
    "intermediate": "first hidden layer (ResNet50 layer1)",
    "last": "last layer (pooled features)",
}
_COUNTS = {
    "original": {"linear": 19, "nonlinear": 6, "none": 0},
    "intermediate": {"linear": 14, "nonlinear": 11, "none": 0},
    "last": {"linear": 25, "nonlinear": 0, "none": 0},
}
# what §4 compares each space's linear count with ("the first intermediate layer contains
# less linearly connectable datapoints compared to both original input space and the last
# layer"): the values that set a share's equivalence margin (stats.ranking_margin)
COMPARED_WITH = {"original": ("intermediate",), "intermediate": ("original", "last")}
_KIND_WORDS = {
    "linear": "pairs whose straight path is all classified as their class",
    "nonlinear": "pairs whose straight path is not, but a NEB path is, all their class",
    "none": "pairs joined by neither path",
}


def _count(space: str, kind: str) -> PaperValue:
    return PaperValue(
        id=f"gu2023.table1.{space}.{kind}",
        claim=f"Table 1, {_SPACES[space]}: {_KIND_WORDS[kind]}",
        value=_COUNTS[space][kind],
        metric=f"number of the {PAPER_PAIRS} same-class pairs of correctly classified test images: "
        f"{_KIND_WORDS[kind]} (every checked point's argmax = the class); this book: mean "
        f"over its pair draws, scaled to {PAPER_PAIRS} pairs",
        where=_TABLE1,
        unit="pairs of 25",
    )


def _all_connected(space: str) -> PaperValue:
    return PaperValue(
        id=f"gu2023.claim.all_connected.{space}",
        claim=f"Every same-class pair is joined by a same-class path, linear or not, in the "
        f"{_SPACES[space]}",
        value=True,
        metric="pairs joined by neither the straight path nor a NEB band, over every draw; a "
        "pair NEB leaves unconnected is first run again at the paper profile's NEB budget. A "
        "universal claim: it stands when no pair stays unconnected (the 95 % Clopper–Pearson "
        "upper bound on the unconnected share says how small a share that shows) and falls "
        "at any pair that does",
        where="Abstract ('paths, linear or nonlinear, connecting same-class inputs exist in all "
        f"cases studied'); Table 1: no path exists for 0 of {PAPER_PAIRS}",
        kind="qualitative",
    )


VALUES: dict[str, PaperValue] = index(
    [_count(space, kind) for space in _COUNTS for kind in _COUNTS[space]]
    + [_all_connected(space) for space in ("original", "intermediate")]
    + [
        PaperValue(
            id="gu2023.claim.majority_linear.original",
            claim="Most same-class pairs are linearly connected in the original space",
            value=True,
            metric="share of pairs whose straight path is all their class > 1/2 (one-sided "
            "exact binomial test over the pairs of every draw)",
            where="§4 ('The majority of pairs ... can be connected by a linear path in both "
            "the original input space as well as the latent representation spaces'); "
            "Table 1: 19/25",
            kind="qualitative",
        ),
        PaperValue(
            id="gu2023.claim.majority_linear.intermediate",
            claim="Most same-class pairs are linearly connected in the first hidden layer",
            value=True,
            metric="share of pairs whose straight path in the first hidden layer is all "
            "their class > 1/2 (one-sided exact binomial test over the pairs of every draw)",
            where="§4 (as above); Table 1: 14/25",
            kind="qualitative",
        ),
        PaperValue(
            id="gu2023.claim.intermediate_fewer_than_original",
            claim="The first hidden layer has fewer linearly connected pairs than the "
            "original space",
            value=True,
            metric="same pairs in both spaces: among the pairs linear in exactly one of the "
            "two, more are linear in the original space (one-sided exact sign test, "
            "McNemar's exact test)",
            where="§4 ('the first intermediate layer contains less linearly connectable "
            "datapoints compared to both original input space and the last layer'); "
            "Table 1: 14 vs 19",
            kind="qualitative",
        ),
        PaperValue(
            id="gu2023.claim.intermediate_fewer_than_last",
            claim="The first hidden layer has fewer linearly connected pairs than the last layer",
            value=True,
            metric="same pairs in both spaces: among the pairs linear in exactly one of the "
            "two, more are linear in the last layer (one-sided exact sign test)",
            where="§4 (as above); Table 1: 14 vs 25",
            kind="qualitative",
        ),
    ]
)
