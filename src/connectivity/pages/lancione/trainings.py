"""The study's three models, defined once, and the trainings that the pages share.

* ``"PCA"``: the tied linear autoencoder of ``ae.ipynb`` (``LINEAR = True``,
  ``HIDDEN_DIM = [2]``: 784 -> 2 -> 2 -> 2 -> 784, decoder = encoder transposed);
* ``"AE"``: 784 -> 128 -> 32 -> 2 -> 32 -> 128 -> 784, tanh, sigmoid output (Tab. 1);
* ``"DAE"``: the same network trained on noisy inputs (noise factor 0.3).

Every training is cached by its parameters, so the methods page trains the study's
models once and the results page loads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from connectivity.data import Dataset, load_dataset
from connectivity.latent.collapse import CollapseCheck, check_collapse
from connectivity.latent.digit_pairs import ALL_PAIRS, DigitPair, digit_pair
from connectivity.latent.judge import wrong_reconstruction_rate
from connectivity.latent.metrics import edge_sharpness, silhouette_score
from connectivity.latent.pca import fit_pca
from connectivity.latent.stacked import (
    AESpec,
    AETrainConfig,
    TrainedStack,
    encode_each,
    reconstruct_each,
    train_cached,
)

from .chapter_settings import StudyTraining, SurveyConfig

MODELS = ("PCA", "AE", "DAE")
HARD_PAIRS = ((1, 7), (4, 9))


@dataclass(frozen=True)
class Mnist:
    train: Dataset
    test: Dataset

    def pair(self, digits, subset: str) -> DigitPair:
        return digit_pair(self.train, self.test, tuple(digits), subset)


def load_mnist() -> Mnist:
    return Mnist(load_dataset("mnist", "train"), load_dataset("mnist", "test"))


def model_spec(
    model: str, training: StudyTraining, latent: int = 2, activation: str = "tanh"
) -> AESpec:
    """The architecture of ``model`` (one of :data:`MODELS`)."""
    if model == "PCA":
        return AESpec(kind="linear", latent=latent, hidden=(latent,), tie=training.tie)
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    return AESpec(latent=latent, activation=activation)


def train_config(model: str, training: StudyTraining, epochs: int | None = None) -> AETrainConfig:
    """The study's training of ``model`` (``epochs`` overrides the study's count)."""
    default = {"PCA": training.epochs_linear, "AE": training.epochs_ae, "DAE": training.epochs_dae}
    return AETrainConfig(
        epochs=epochs or default[model],
        batch_size=training.batch_size,
        lr=training.lr,
        weight_decay=training.weight_decay,
        noise=training.noise if model == "DAE" else 0.0,
    )


def train_on_pairs(
    model: str,
    training: StudyTraining,
    pairs: list[DigitPair],
    seeds: list[int],
    *,
    epochs: int | None = None,
    latent: int = 2,
    activation: str = "tanh",
    desc: str = "",
) -> TrainedStack:
    """One training of ``model`` per (pair, seed), all at once, cached."""
    key = {"pairs": [list(p.digits) for p in pairs], "subset": training.subset, "mnist": "v1"}
    return train_cached(
        model_spec(model, training, latent, activation),
        train_config(model, training, epochs),
        seeds,
        [p.x_train for p in pairs],
        [p.x_val for p in pairs],
        key,
        desc=desc or model,
    )


def study_runs(pair: DigitPair, training: StudyTraining, n_seeds: int) -> dict[str, TrainedStack]:
    """The study's three models on ``pair``, trained from seeds 0 .. n_seeds - 1."""
    seeds = list(range(n_seeds))
    return {m: train_on_pairs(m, training, [pair] * n_seeds, seeds) for m in MODELS}


def train_on_full_batch(
    run: TrainedStack, pair: DigitPair, steps: int, lrs: list[float]
) -> TrainedStack:
    """The linear autoencoders of ``run`` trained on with full-batch Adam (the exact
    gradient of the training loss, from the data's moments): ``steps`` steps at each
    learning rate of ``lrs`` in turn. Cached like every training."""
    n = run.model.n_models
    for lr in lrs:
        cfg = AETrainConfig(epochs=steps, batch_size=len(pair.x_train), lr=lr, weight_decay=0.0)
        key = {"pairs": [list(pair.digits)] * n, "n_train": len(pair.x_train), "full_batch": True}
        run = train_cached(
            run.model.spec,
            cfg,
            run.model.seeds,
            [pair.x_train] * n,
            None,
            key,
            run,
            desc=f"linear AE, full batch, lr {lr:g}",
        )
    return run


# ------------------------------------------------------------------------- survey
def survey_pairs(n: int) -> list[tuple[int, int]]:
    """The ``n`` digit pairs of the survey: all 45, or the hard pairs and the first others."""
    rest = [p for p in ALL_PAIRS if p not in HARD_PAIRS]
    return sorted(list(HARD_PAIRS) + rest[: max(n - len(HARD_PAIRS), 0)])


@dataclass(frozen=True)
class SurveyRun:
    """One training of the survey."""

    pair: tuple[int, int]
    model: str
    slot: int  # which of the pair's trainings (0 .. seeds - 1)
    seed: int
    attempt: int  # 0 = first training, k = k-th rerun after a collapse
    silhouette: float
    val_loss: float
    check: CollapseCheck
    wrong: float | None = None  # wrong-reconstruction rate (with a judge)
    sharpness: float | None = None  # edges kept by the reconstructions (edge_sharpness)

    @property
    def collapsed(self) -> bool:
        return self.check.collapsed


@dataclass
class Survey:
    """Every training of the survey, reruns included; ``accepted`` are the non-collapsed
    trainings that stand for each (pair, model, slot)."""

    config: SurveyConfig
    pairs: list[tuple[int, int]]
    runs: list[SurveyRun]
    pca_silhouette: dict[tuple[int, int], float]
    pca_wrong: dict[tuple[int, int], float] = field(default_factory=dict)
    pca_sharpness: dict[tuple[int, int], float] = field(default_factory=dict)

    @property
    def accepted(self) -> list[SurveyRun]:
        best: dict[tuple, SurveyRun] = {}
        for r in sorted(self.runs, key=lambda r: r.attempt):
            key = (r.pair, r.model, r.slot)
            if not r.collapsed and key not in best:
                best[key] = r
        return list(best.values())

    @property
    def collapsed(self) -> list[SurveyRun]:
        return [r for r in self.runs if r.collapsed]

    def per_pair(self, model: str, attr: str) -> dict[tuple[int, int], float]:
        """Mean of ``attr`` over the accepted trainings of ``model``, per pair."""
        out = {}
        for pair in self.pairs:
            vals = [getattr(r, attr) for r in self.accepted if r.pair == pair and r.model == model]
            if vals:
                out[pair] = float(np.mean(vals))
        return out

    def n_accepted(self, model: str) -> dict[tuple[int, int], int]:
        return {
            p: sum(1 for r in self.accepted if r.pair == p and r.model == model) for p in self.pairs
        }

    def table(self) -> pd.DataFrame:
        """One row per training (reruns included) as a DataFrame."""
        return pd.DataFrame(
            [
                {
                    "pair": f"{r.pair[0]}-{r.pair[1]}",
                    "model": r.model,
                    "training": r.slot,
                    "seed": r.seed,
                    "attempt": r.attempt,
                    "silhouette": r.silhouette,
                    "R²": r.check.r2,
                    "code spread": r.check.spread,
                    "collapsed": r.collapsed,
                    "wrong reconstructions": r.wrong,
                }
                for r in self.runs
            ]
        )


def _evaluate(
    model: str, stack: TrainedStack, pairs: list[DigitPair], jobs: list[tuple], attempt: int, judge
) -> list[SurveyRun]:
    vals = [p.x_val for p in pairs]
    codes = encode_each(stack.model, vals)
    recons = reconstruct_each(stack.model, vals)
    out = []
    for k, ((digits, slot, seed), pair) in enumerate(zip(jobs, pairs)):
        wrong = None
        if judge is not None:
            wrong = wrong_reconstruction_rate(judge, recons[k], pair.y_val, digits)
        out.append(
            SurveyRun(
                digits,
                model,
                slot,
                seed,
                attempt,
                silhouette_score(codes[k], pair.y_val),
                float(stack.final_val_loss[k]),
                check_collapse(pair.x_val, recons[k], codes[k]),
                wrong,
                edge_sharpness(recons[k], pair.x_val),
            )
        )
    return out


def run_survey(mnist: Mnist, training: StudyTraining, config: SurveyConfig, judge=None) -> Survey:
    """Train the autoencoder and the denoising autoencoder ``config.seeds`` times on each
    surveyed pair (PCA in closed form: what the linear autoencoder converges to), detect
    collapsed trainings and rerun them with new seeds, up to ``config.retries`` times."""
    pairs = survey_pairs(config.pairs)
    data = {p: mnist.pair(p, training.subset) for p in pairs}
    runs: list[SurveyRun] = []
    for model in ("AE", "DAE"):
        jobs = [(p, slot, slot) for p in pairs for slot in range(config.seeds)]
        for attempt in range(config.retries + 1):
            if not jobs:
                break
            chosen = [data[p] for p, _, _ in jobs]
            stack = train_on_pairs(
                model,
                training,
                chosen,
                [s for _, _, s in jobs],
                epochs=config.epochs,
                desc=f"{model}, {len(jobs)} trainings (attempt {attempt})",
            )
            new = _evaluate(model, stack, chosen, jobs, attempt, judge)
            runs += new
            jobs = [(r.pair, r.slot, r.seed + 1000) for r in new if r.collapsed]
    pca_sil, pca_wrong, pca_sharp = {}, {}, {}
    for p, pair in data.items():
        fit = fit_pca(pair.x_train, 2)
        pca_sil[p] = silhouette_score(fit.transform(pair.x_val), pair.y_val)
        recon = fit.reconstruct(pair.x_val).float()
        pca_sharp[p] = edge_sharpness(recon, pair.x_val)
        if judge is not None:
            pca_wrong[p] = wrong_reconstruction_rate(judge, recon, pair.y_val, p)
    return Survey(config, pairs, runs, pca_sil, pca_wrong, pca_sharp)
