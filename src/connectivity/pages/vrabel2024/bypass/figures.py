"""The §4.1 page's figures (``plot_*``) and tables (``*_table``), drawn from a
:class:`~.study.BypassStudy`."""

from __future__ import annotations

import pandas as pd
import torch

from connectivity import plotting

from .study import BypassStudy, fig3_pattern


def plot_paths(study: BypassStudy):
    """Figs. 1–2: loss along the straight path and after each round, for the shown pairs."""
    res = study.result
    panels = []
    for p in study.shown():
        panels.append(
            {
                "curves": [r.curves[p] for r in res.rounds],
                "lengths": [r.lengths[p] for r in res.rounds],
                "title": f"pair {p} ({study.class_names[int(study.pairs.label[p])]})",
            }
        )
    return plotting.bypass_rounds_grid(panels, study.settings.bypass.threshold, ncols=2)


def plot_fig3(study: BypassStudy):
    """Fig. 3: images along AC (top), along A → B' → C (middle), their difference
    (bottom, amplified to the grey range), for the first bypassed pair."""
    if not len(study.bypassed):
        return None
    fig = fig3_pattern(study, int(study.bypassed[0]))
    amp = 0.5 / max(float(fig["diff"].abs().max()), 1e-8)
    images = torch.cat([fig["straight"], fig["bent"], 0.5 + amp * fig["diff"]])
    titles = [f"t = {t:.2f}" for t in fig["ts"]] * 3
    return plotting.image_grid(images, titles, ncols=len(fig["ts"]), size=1.3)


def lens_table(study: BypassStudy):
    """The three-lens comparison, one row per pair (empty without it)."""
    return study.lenses.table if study.lenses is not None else pd.DataFrame()


def pairs_table(study: BypassStudy):
    """One row per pair: class, endpoint losses, barrier height before and after, rounds."""
    res = study.result
    after = study.after_one.max_loss if study.after_one is not None else study.straight.max_loss
    return pd.DataFrame(
        {
            "class": [study.class_names[int(c)] for c in study.pairs.label],
            "CE of A": study.pairs.loss[:, 0].numpy(),
            "CE of C": study.pairs.loss[:, 1].numpy(),
            "straight barrier": study.straight.max_loss,
            "after round 1": after,
            "final": study.final.max_loss,
            "rounds to threshold": res.rounds_to_threshold.numpy(),
        }
    ).rename_axis("pair")
