"""The study's three models, defined once, and the trainings that the pages share.

* ``"PCA"``: the tied linear autoencoder of ``ae.ipynb`` (``LINEAR = True``,
  ``HIDDEN_DIM = [2]``: 784 -> 2 -> 2 -> 2 -> 784, decoder = encoder transposed);
* ``"AE"``: 784 -> 128 -> 32 -> 2 -> 32 -> 128 -> 784, tanh, sigmoid output (Tab. 1);
* ``"DAE"``: the same network trained on noisy inputs (noise factor 0.3).

Every training is cached by its parameters, so the methods page trains the study's
models once and the results page loads them.

**Saturation**, the chapter's one rule (:func:`saturated`, used by every Lancione page
that computes a statistic over trainings): a code coordinate is *at the activation's
bound* where the activation's derivative is below a tenth of its largest value
(:data:`SATURATION_DERIVATIVE`): for tanh, 1 - z² < 0.1, i.e. |z| > √0.9 ≈ 0.949; for
ReLU, z <= 0 (derivative 0); a linear code has no bound. A training is *saturated* when
more than half of its validation codes (:data:`SATURATED_SHARE`) have a coordinate at
the bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch

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


# ------------------------------------------------------------------ saturation
# A coordinate is at the activation's bound where the activation's derivative is below
# this share of its largest value: the gradient through it is cut at least tenfold, so
# training can hardly move the code along that axis; tanh: |z| > sqrt(0.9) = 0.949.
SATURATION_DERIVATIVE = 0.1
TANH_BOUND = math.sqrt(1 - SATURATION_DERIVATIVE)
# A training is saturated when more than this share of its codes sit at the bound: more
# of its layout is the edge of the code square than its inside.
SATURATED_SHARE = 0.5


def model_activation(model: str) -> str:
    """The activation of ``model``'s code: "linear" for the linear autoencoder ("PCA"),
    else the study's tanh."""
    return "linear" if model == "PCA" else "tanh"


def at_bound(z: torch.Tensor, activation: str = "tanh") -> torch.Tensor:
    """Per code of z (n, d): whether some coordinate is at the activation's bound, where
    its derivative is below :data:`SATURATION_DERIVATIVE` of its largest value (tanh:
    |z| > √0.9; ReLU: z <= 0; "linear": never). Returns a bool tensor (n,).

    >>> at_bound(torch.tensor([[0.96, 0.0], [0.5, -0.5], [0.1, -0.99]])).tolist()
    [True, False, True]
    """
    z = torch.as_tensor(z)
    if activation == "tanh":
        return (z.abs() > TANH_BOUND).any(1)
    if activation == "relu":
        return (z <= 0).any(1)
    if activation == "linear":
        return torch.zeros(len(z), dtype=torch.bool)
    raise ValueError(f"activation must be tanh, relu or linear, got {activation!r}")


def bound_share(z: torch.Tensor, activation: str = "tanh") -> float:
    """The share of the codes z (n, d) with a coordinate at the activation's bound
    (:func:`at_bound`)."""
    return float(at_bound(z, activation).double().mean()) if len(z) else 0.0


def saturated(z: torch.Tensor, activation: str = "tanh") -> bool:
    """The chapter's one saturation rule: a training whose validation codes z (n, d) have
    a coordinate at the activation's bound (:func:`at_bound`) for more than half of the
    images (:data:`SATURATED_SHARE`).

    Why these thresholds: at the bound the activation passes less than a tenth of the
    gradient, so a code there records on which side of that axis an image fell rather
    than where; a layout with most of its codes there is mostly the edge of the code
    square, and its silhouette measures which edge each digit was pushed to. "More than
    half" is the point where the edge holds more of the layout than the inside; neither
    number is fitted to a run. The band |z| > 0.949 is about nine pixels wide in the
    report's scatter plots, so the same rule can be read off its figures.

    >>> edge = torch.tensor([[1.0, 0.2], [-0.99, 0.5], [0.3, 0.97], [0.1, 0.1]])
    >>> saturated(edge), saturated(edge * 0.5), saturated(edge, "linear")
    (True, False, False)
    """
    return bound_share(z, activation) > SATURATED_SHARE


def saturated_trainings(codes: dict[str, list[torch.Tensor]]) -> dict[str, np.ndarray]:
    """Per model of :data:`MODELS` in ``codes`` and per training (its validation codes):
    :func:`saturated` with the model's activation (never for the linear "PCA")."""
    return {
        m: np.array([saturated(z, model_activation(m)) for z in zs], dtype=bool)
        for m, zs in codes.items()
    }


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
    bound: float | None = None  # share of validation codes at tanh's bound (bound_share)

    @property
    def collapsed(self) -> bool:
        return self.check.collapsed

    @property
    def saturated(self) -> bool:
        """The chapter's saturation rule (:func:`saturated`) on this training's codes."""
        return self.bound is not None and self.bound > SATURATED_SHARE


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

    def per_pair(self, model: str, attr: str, screen: bool = False) -> dict[tuple[int, int], float]:
        """Mean of ``attr`` over the accepted trainings of ``model``, per pair (with
        ``screen``, the unsaturated ones: :attr:`SurveyRun.saturated`)."""
        out = {}
        for pair in self.pairs:
            vals = [
                getattr(r, attr)
                for r in self.accepted
                if r.pair == pair and r.model == model and not (screen and r.saturated)
            ]
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
                    "codes at the bound": r.bound,
                    "saturated": r.saturated,
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
                bound_share(codes[k], model_activation(model)),
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
