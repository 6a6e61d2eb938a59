"""What the methods page computes: the study's images and its pixel-space silhouettes,
the three models trained, the linear autoencoder against PCA, and tanh against ReLU."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from connectivity.latent.collapse import check_collapse
from connectivity.latent.digit_pairs import ALL_PAIRS, DigitPair, pair_label, subset_sizes
from connectivity.latent.metrics import (
    near_origin_fraction,
    principal_angles,
    silhouette_bootstrap,
    silhouette_score,
    zero_coordinate_fraction,
)
from connectivity.latent.pca import PCAFit, fit_pca
from connectivity.latent.stacked import (
    TrainedStack,
    encode_each,
    reconstruct_each,
    reconstruction_loss,
)

from ..trainings import (
    Mnist,
    load_mnist,
    saturated,
    study_runs,
    train_on_full_batch,
    train_on_pairs,
)
from .settings import MethodsSettings

# ae.ipynb as last committed holds the output of a run with DIGITS = [1, 7]
CODE_PAIR = (1, 7)


@dataclass
class PixelSilhouettes:
    value: float  # s_orig: the study's validation images
    boot: np.ndarray  # bootstrap resamples of s_orig
    variants: dict[str, float]  # other subsets and splits
    all_pairs: dict[tuple[int, int], float]  # validation images of every digit pair
    code_pair: tuple[int, int]  # the pair of the saved output of the report's code
    code_value: float  # its silhouette on the report's (faithful) validation images
    code_images: int  # how many images those are


@dataclass
class LinearVsPCA:
    pca: PCAFit  # closed form, on the training images (4 components)
    angles_study: np.ndarray  # (seeds, 2) principal angles (degrees), the study's training
    angles_converged: np.ndarray  # (seeds, 2) after full-batch training
    sil_study: np.ndarray  # (seeds,)
    sil_converged: np.ndarray
    sil_pca: float  # closed-form PCA codes
    sil_pca_boot: np.ndarray
    mse_study: np.ndarray  # validation MSE (seeds,)
    mse_converged: np.ndarray
    mse_pca: float


@dataclass
class ActivationRun:
    pair: tuple[int, int]
    activation: str
    silhouette: np.ndarray  # (seeds,)
    val_loss: np.ndarray
    near_origin: np.ndarray  # scale-free share of codes near the origin
    zero_coordinate: np.ndarray
    example_codes: torch.Tensor  # codes of the first training (n, 2)
    labels: torch.Tensor
    collapsed: np.ndarray  # (seeds,) the survey's collapse check (kept here, counted)
    saturated: np.ndarray  # (seeds,) the chapter's saturation rule (for this activation)


@dataclass
class MethodsStudy:
    settings: MethodsSettings
    pair: DigitPair
    subsets: list[dict]
    pixel: PixelSilhouettes
    runs: dict[str, TrainedStack]
    linear: LinearVsPCA
    activation: list[ActivationRun]

    def activation_run(self, digits, activation: str) -> ActivationRun:
        """The trainings with ``activation`` on the pair ``digits``."""
        return next(
            r for r in self.activation if r.pair == tuple(digits) and r.activation == activation
        )


def pixel_silhouettes(mnist: Mnist, pair: DigitPair, settings: MethodsSettings) -> PixelSilhouettes:
    """s_orig on the study's validation images (with its bootstrap spread), on other
    subsets and splits, on the validation images of every digit pair, and on the images
    of the saved run of the report's code (:data:`CODE_PAIR`, the faithful subset)."""
    sub = settings.training.subset
    other = "full" if sub == "faithful" else "faithful"
    full = mnist.pair(pair.digits, other)
    variants = {
        f"{sub} subset, validation (the study's)": silhouette_score(pair.x_val, pair.y_val),
        f"{sub} subset, training": silhouette_score(pair.x_train, pair.y_train),
        f"{other} subset, validation": silhouette_score(full.x_val, full.y_val),
    }
    all_pairs = {}
    for digits in ALL_PAIRS:
        p = mnist.pair(digits, sub)
        all_pairs[digits] = silhouette_score(p.x_val, p.y_val)
    boot = silhouette_bootstrap(pair.x_val, pair.y_val, settings.n_boot)
    code = mnist.pair(CODE_PAIR, "faithful")  # the images of the report's code, whatever `sub`
    return PixelSilhouettes(
        silhouette_score(pair.x_val, pair.y_val),
        boot,
        variants,
        all_pairs,
        CODE_PAIR,
        silhouette_score(code.x_val, code.y_val),
        len(code.y_val),
    )


def linear_vs_pca(pair: DigitPair, run: TrainedStack, settings: MethodsSettings) -> LinearVsPCA:
    """Principal angles between the linear autoencoders' planes and PCA's, before and
    after training on with full-batch Adam; silhouettes and validation MSE of each."""
    pca = fit_pca(pair.x_train, 4)
    plane = pca.plane(2).numpy()
    converged = train_on_full_batch(run, pair, settings.converge_steps, settings.converge_lr)

    def measure(stack: TrainedStack):
        m = stack.model
        angles = np.array(
            [np.degrees(principal_angles(m.params[0][k].numpy(), plane)) for k in range(m.n_models)]
        )
        sil = np.array(
            [silhouette_score(z, pair.y_val) for z in encode_each(m, [pair.x_val] * m.n_models)]
        )
        mse = np.array([reconstruction_loss(m, m.select(k), pair.x_val) for k in range(m.n_models)])
        return angles, sil, mse

    a_s, s_s, m_s = measure(run)
    a_c, s_c, m_c = measure(converged)
    codes = pca.transform(pair.x_val)[:, :2]
    return LinearVsPCA(
        pca,
        a_s,
        a_c,
        s_s,
        s_c,
        silhouette_score(codes, pair.y_val),
        silhouette_bootstrap(codes, pair.y_val, settings.n_boot),
        m_s,
        m_c,
        float(((pca.reconstruct(pair.x_val, 2) - pair.x_val.double()) ** 2).mean()),
    )


def activation_study(
    mnist: Mnist, pair: DigitPair, runs: dict[str, TrainedStack], settings: MethodsSettings
) -> list[ActivationRun]:
    """The autoencoder with tanh and with ReLU (latent layer included) on the study's pair
    and on the hard pair; the study's tanh trainings are reused for its pair."""
    k = settings.activation_seeds
    out = []
    for digits in (tuple(settings.digits), tuple(settings.hard_pair)):
        data = pair if digits == pair.digits else mnist.pair(digits, settings.training.subset)
        for act in ("tanh", "relu"):
            if act == "tanh" and digits == pair.digits and k <= settings.n_seeds:
                stack, idx = runs["AE"], list(range(k))
            else:
                stack = train_on_pairs(
                    "AE",
                    settings.training,
                    [data] * k,
                    list(range(k)),
                    activation=act,
                    desc=f"AE {act} {pair_label(digits)}",
                )
                idx = list(range(k))
            every = encode_each(stack.model, [data.x_val] * stack.model.n_models)
            recons = reconstruct_each(stack.model, [data.x_val] * stack.model.n_models)
            codes = [every[i] for i in idx]
            out.append(
                ActivationRun(
                    digits,
                    act,
                    np.array([silhouette_score(z, data.y_val) for z in codes]),
                    stack.final_val_loss[idx].numpy(),
                    np.array([near_origin_fraction(z) for z in codes]),
                    np.array([zero_coordinate_fraction(z) for z in codes]),
                    codes[0],
                    data.y_val,
                    np.array(
                        [check_collapse(data.x_val, recons[i], every[i]).collapsed for i in idx]
                    ),
                    np.array([saturated(z, act) for z in codes], dtype=bool),
                )
            )
    return out


def run(settings: MethodsSettings) -> MethodsStudy:
    """Everything the methods page shows."""
    torch.manual_seed(0)
    mnist = load_mnist()
    pair = mnist.pair(settings.digits, settings.training.subset)
    runs = study_runs(pair, settings.training, settings.n_seeds)
    return MethodsStudy(
        settings,
        pair,
        subset_sizes(mnist.train, mnist.test, pair.digits),
        pixel_silhouettes(mnist, pair, settings),
        runs,
        linear_vs_pca(pair, runs["PCA"], settings),
        activation_study(mnist, pair, runs, settings),
    )
