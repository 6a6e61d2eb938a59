"""The question page's figure and tables."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from connectivity import plotting

from .study import QuestionStudy


def latent_figure(study: QuestionStudy):
    fig, ax = plt.subplots(figsize=(6.5, 5.5))
    plotting.latent_scatter(study.codes, study.labels, ax=ax, s=2)
    ax.legend(markerscale=4, fontsize=8, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    return fig


def loss_table(study: QuestionStudy) -> pd.DataFrame:
    return (
        pd.DataFrame({"epoch": range(1, len(study.vae.loss) + 1), "training loss": study.vae.loss})
        .set_index("epoch")
        .T.round(2)
    )


def regions_table(study: QuestionStudy) -> pd.DataFrame:
    return pd.DataFrame({"regions": study.regions}).rename_axis("digit").T
