"""The decoders-and-paths page's scorecard records and the sentences that state their
outcomes: measurements only (the decoders' test errors, how much the decoded NEB path
differs from the decoded straight path); the paper reports neither."""

from __future__ import annotations

from connectivity import prose, scorecard

from .study import DecodersAndPathsStudy

SECTION_DECODERS = "The decoders"
SECTION_FIG3 = "Figure 3: the first hidden layer and the last layer, decoded"


def report(study: DecodersAndPathsStudy) -> prose.PageReport[dict[str, scorecard.Record]]:
    """The page's report: its scorecard records (:func:`records`, by short name) and the
    sentences that state their outcomes (:func:`sentences`), glued."""
    recs = records(study)
    return prose.publish(recs, sentences(study, recs))


def records(study: DecodersAndPathsStudy) -> dict[str, scorecard.Record]:
    """Write the page's measurements; returns them by short name: ``intermediate`` and
    ``last`` (the decoders' test MSE) and, where Fig. 3 has a NEB path,
    ``fig3.difference``."""
    recs = {}
    for space, label in (("intermediate", "first-hidden-layer"), ("last", "last-layer")):
        d = study.decoders[space]
        recs[space] = scorecard.measure(
            f"gu2023.decoder.{space}.test_mse",
            f"{label} decoder: test MSE (pixels in [0, 1], {d.image_size[0]}×{d.image_size[1]})",
            round(d.test_mse, 5),
            section=SECTION_DECODERS,
            note=f"{study.settings.decoder_test_images} test images; the paper reports no "
            "decoder error",
        )
    if study.fig3_difference is not None:
        recs["fig3.difference"] = scorecard.measure(
            "gu2023.fig3.decoded_difference",
            "Fig. 3 pair, first hidden layer: mean absolute difference between the decoded "
            "straight and NEB paths at the same t, relative to that between the decoded "
            "endpoints",
            round(study.fig3_difference, 4),
            section=SECTION_FIG3,
            note="t of the NEB strip's pivots (pivot index / (N + 1)); the paper: the "
            "misclassified images 'do not differ strongly' from the correctly classified ones",
        )
    return recs


def sentences(study: DecodersAndPathsStudy, recs: dict[str, scorecard.Record]) -> dict[str, str]:
    """The page's sentences, by glue name: ``decoders_text``, ``fig2_text``, ``fig3_text``
    and ``fig3_difference`` (empty without a NEB path in Fig. 3); ``recs`` as
    :func:`records` returns them."""
    mse_i, mse_l = study.decoders["intermediate"].test_mse, study.decoders["last"].test_mse
    return {
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
        "fig2_text": _fig2_sentence(study),
        "fig3_text": _fig3_sentence(study),
        "fig3_difference": _difference_sentence(study, recs.get("fig3.difference")),
    }


def _difference_sentence(study: DecodersAndPathsStudy, rec: scorecard.Record | None) -> str:
    """The paper's 'the misclassified images do not differ strongly from the correctly
    classified ones' by a stated rule (the paper gives none): two decoded images look
    alike through a decoder when they differ by less than the decoder's own error on
    test images (root mean square over pixels, both), since a smaller difference cannot
    be told from what the decoder gets wrong. Over all inner points of the matched paths:
    the page does not classify the straight path at the NEB band's t."""
    if rec is None:
        return ""
    diff = study.fig3_matched[1:-1].double() - study.fig3[2].images[1:-1].double()
    rms = float(diff.pow(2).mean().sqrt())
    decoder = study.decoders["intermediate"].test_mse ** 0.5
    return (
        f"Decoded, the straight and the NEB path differ by {rec.reproduced:.0%} of the "
        "difference between the two decoded endpoints (mean absolute pixel difference), "
        f"{rms:.3f} root mean square over the inner points: "
        + (
            f"less than the decoder's own error on test images ({decoder:.3f}), so through "
            "it the straight path's images, those that leave the class among them, look "
            "like the NEB path's."
            if rms < decoder
            else f"more than the decoder's own error on test images ({decoder:.3f}), so it "
            "shows them apart."
        )
        + " (The paper gives no threshold for 'do not differ strongly'; this page calls two "
        "decoded images alike when they differ by less than the decoder's error.)"
    )


def _fig2_sentence(study: DecodersAndPathsStudy) -> str:
    n = len(study.nonlinear_pairs("original"))
    total = study.settings.n_pairs
    if n == 0:
        return (
            f"In this draw no pair of {total} is only nonlinearly connected in the original "
            "space, so there is nothing to show."
        )
    shown = len(study.fig2)
    return (
        f"In this draw {n} of {total} pairs are only nonlinearly connected in the original "
        f"space; the figure shows {'the first two' if shown == 2 else 'the only one'}."
    )


def _fig3_sentence(study: DecodersAndPathsStudy) -> str:
    n = len(study.nonlinear_pairs("intermediate"))
    if study.fig3_pair is None:
        return (
            "In this draw no pair is only nonlinearly connected in the first hidden layer, "
            "so there is nothing to show."
        )
    also = (
        "it is also only nonlinearly connected in the original space"
        if study.fig3_also_original
        else "no such pair is also only nonlinearly connected in the original space"
    )
    last = study.fig3[0]
    return (
        f"In this draw {n} of {study.settings.n_pairs} pairs are only nonlinearly connected "
        f"in the first hidden layer; the figure shows pair {study.fig3_pair} ({also}). In the "
        "last layer its straight path "
        + (
            "stays in the class, as the affine tail guarantees."
            if last.all_target
            else "leaves the class, which the affine tail forbids: a bug."
        )
    )
