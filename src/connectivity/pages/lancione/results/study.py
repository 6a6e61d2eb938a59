"""What the results page computes: silhouettes of the study's trainings (loaded from the
cache the methods page fills), which of them the chapter's saturation rule flags
(:func:`~connectivity.pages.lancione.trainings.saturated`), how much a layout depends on
the seed and how much it differs from itself when only the images change (the floor),
the bootstrap distribution of the best of the report's nine trainings, and the survey of
all digit pairs."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import torch

from connectivity.latent.digit_pairs import DigitPair
from connectivity.latent.metrics import procrustes_disparity, silhouette_score
from connectivity.latent.pca import fit_pca
from connectivity.latent.stacked import TrainedStack, encode_each
from connectivity.stats import ALPHA, TestResult

from ..trainings import (
    TANH_BOUND,
    Survey,
    bound_share,
    load_mnist,
    model_activation,
    run_survey,
    saturated_trainings,
    study_runs,
)
from .settings import ResultsSettings


@dataclass
class LayoutPair:
    """Two trainings compared by layout and by score, each also against its reference
    for unrelated layouts, so the two changes are on one scale (0: the same, 1: as
    different as unrelated layouts), and the layout change against its floor."""

    model: str
    trainings: tuple[int, int]
    disparity: float  # Procrustes disparity of the two trainings' codes
    relative_silhouette_change: float  # |s_a - s_b| / mean(s_a, s_b)
    disparity_unrelated: float  # the same with the points of one layout shuffled (~1)
    silhouette_change_unrelated: float  # mean |s - s(labels shuffled)| of the two (~s)
    silhouette_change: float  # |s_a - s_b|
    floor: float = 0.0  # mean of the two trainings' layout floors (layout_floor)

    @property
    def layout_change(self) -> float:
        return self.disparity / self.disparity_unrelated

    @property
    def score_change(self) -> float:
        return self.silhouette_change / self.silhouette_change_unrelated


@dataclass
class ResultsStudy:
    settings: ResultsSettings
    pair: DigitPair
    runs: dict[str, TrainedStack]
    codes: dict[str, list[torch.Tensor]]  # validation codes per model and training
    silhouettes: dict[str, np.ndarray]  # "PCA" = the study's linear autoencoders
    # per training: the chapter's saturation rule (trainings.saturated); never for PCA
    saturated: dict[str, np.ndarray]
    sil_pca: float  # closed-form PCA
    pca_val_mse: float  # closed-form PCA's reconstruction MSE on the validation images
    layouts: list[LayoutPair]  # every pair of trainings of AE and DAE
    survey: Survey
    # per model and training: the share of codes at the activation's bound (bound_share)
    bound: dict[str, np.ndarray]
    # per AE/DAE training: the share of the points' drawn area at the bound when its codes
    # are plotted as the report plotted its own (drawn_bound_share)
    drawn: dict[str, np.ndarray]
    # per AE/DAE training: its layout floor (layout_floor)
    floors: dict[str, np.ndarray]

    def disjoint_layouts(self, screen: bool = False) -> list[LayoutPair]:
        """Pairs of trainings (0, 1), (2, 3), ... of each model: independent comparisons.
        With ``screen``, the unsaturated trainings of each model, paired in their order
        (first with second, third with fourth, ...)."""
        if not screen:
            return [
                lp
                for lp in self.layouts
                if lp.trainings[0] % 2 == 0 and lp.trainings[1] == lp.trainings[0] + 1
            ]
        out = []
        for model in ("AE", "DAE"):
            kept = [int(k) for k in np.flatnonzero(~self.saturated[model])]
            wanted = set(zip(kept[0::2], kept[1::2]))
            out += [lp for lp in self.layouts if lp.model == model and lp.trainings in wanted]
        return out


# ------------------------------------------------------------------ the layout floor
def half_partners(
    x: torch.Tensor, labels: torch.Tensor, first: np.ndarray | None = None, seed: int = 0
) -> np.ndarray:
    """For every image of x (n, ...): the index of the nearest image (Euclidean, pixels)
    with the same label in the other half of the images. ``first`` (bool, n) marks the
    first half; default: a random half of each label (``seed``). Returns int array (n,).

    >>> x = torch.tensor([[0.0], [1.0], [0.1], [1.1]]); y = torch.tensor([0, 0, 0, 0])
    >>> half_partners(x, y, np.array([True, True, False, False])).tolist()
    [2, 3, 0, 1]
    """
    x = torch.as_tensor(x).reshape(len(x), -1).double()
    y = np.asarray(labels)
    if first is None:
        rng = np.random.default_rng(seed)
        first = np.zeros(len(y), dtype=bool)
        for c in np.unique(y):
            idx = rng.permutation(np.flatnonzero(y == c))
            first[idx[: len(idx) // 2]] = True
    first = np.asarray(first, dtype=bool)
    partner = np.empty(len(y), dtype=int)
    for c in np.unique(y):
        for side in (True, False):
            here = np.flatnonzero((y == c) & (first == side))
            there = np.flatnonzero((y == c) & (first != side))
            if len(here) == 0:
                continue
            if len(there) == 0:
                raise ValueError(f"label {c} has images in one half only")
            d = torch.cdist(x[here], x[there])
            partner[here] = there[d.argmin(1).numpy()]
    return partner


def layout_floor(z: torch.Tensor, partners: np.ndarray) -> float:
    """The disparity of a layout with itself when only the images change: the Procrustes
    disparity between one training's codes z (n, d) and its codes of each image's
    partner (:func:`half_partners`: the nearest same-digit image of the other half of the
    validation set). Two trainings whose layouts agree up to rotation and scale differ
    by less than this; a disparity between trainings well above it is a change of layout
    that the sample of images alone does not make."""
    z = np.asarray(z, dtype=np.float64)
    return procrustes_disparity(z, z[np.asarray(partners)])


# ------------------------------------------------------------------ the best of nine
def bootstrap_max(
    groups: dict[str, np.ndarray], draws: dict[str, int], n_boot: int = 10_000, seed: int = 0
) -> np.ndarray:
    """The bootstrap distribution of the largest of ``draws[g]`` values drawn with
    replacement from ``groups[g]``, over all groups together (the best of the report's
    trainings: 6 DAE and 3 AE). Returns (n_boot,) maxima.

    >>> bootstrap_max({"a": np.array([0.5])}, {"a": 9}, n_boot=3).tolist()
    [0.5, 0.5, 0.5]
    """
    rng = np.random.default_rng(seed)
    best = np.full(n_boot, -np.inf)
    for g, k in draws.items():
        values = np.asarray(groups[g], dtype=float)
        if k < 1 or values.size == 0:
            raise ValueError(f"group {g}: needs values and at least one draw")
        best = np.maximum(best, rng.choice(values, (n_boot, k)).max(1))
    return best


@dataclass(frozen=True)
class BandResult(TestResult):
    """A printed value against a resampled distribution: ``p_value`` is the two-sided
    percentile p of the value (twice its smaller tail; the most central value within its
    printed rounding). ``reproduced`` when the value lies inside the central
    1 − 2·alpha of the distribution (p > 2·alpha: 90 %), ``differs`` when outside its
    central 1 − alpha (p < alpha: 95 %), else ``not significant``; ``p_opposite`` repeats
    ``p_value`` (the test has two tails, not two directions)."""

    __test__ = False

    def verdict(self, alpha: float = ALPHA) -> str:
        if self.p_value > 2 * alpha:
            return "reproduced"
        if self.p_value < alpha:
            return "differs"
        return "not significant"


def band_test(
    value: float, samples: np.ndarray, rounding: float = 0.0, what: str = ""
) -> BandResult:
    """``value`` (printed to ± ``rounding``) against the distribution ``samples``: its
    two-sided percentile p, 2·min(P(S ≥ value − rounding), P(S ≤ value + rounding)),
    capped at 1 (:class:`BandResult`). Effect: the share of samples below the value − ½.

    >>> band_test(0.6, np.full(100, 0.6)).verdict(), band_test(0.6, np.full(100, 0.5)).verdict()
    ('reproduced', 'differs')
    """
    s = np.asarray(samples, dtype=float)
    upper = float(np.mean(s >= value - rounding))
    lower = float(np.mean(s <= value + rounding))
    p = min(1.0, 2 * min(upper, lower))
    return BandResult(
        f"the value against the bootstrap distribution{' of ' + what if what else ''} "
        f"({s.size} resamples): reproduced inside its central 90 %, differs outside its "
        "central 95 %",
        p,
        p,
        float(np.mean(s < value)) - 0.5,
        "share of the distribution below the value − ½",
        f"{s.size} resamples",
    )


# ------------------------------------------------------------------ the report's figures
# matplotlib's defaults, as the report's ae.ipynb drew its scatter plots: a 6.4 x 4.8 in
# figure at 100 dpi (640 x 480 px), the axes from 12.5 % to 90 % of its width and 11 % to
# 88 % of its height, data limits padded by 5 % of their range, and round markers of
# 36 pt² (8.3 px across) with a 1-pt edge: 4.9 px in radius
REPORT_PLOT = {"size": (640, 480), "axes": (0.125, 0.9, 0.11, 0.88), "pad": 0.05, "radius": 4.9}


def drawn_bound_share(z: torch.Tensor, bound: float = TANH_BOUND, plot=REPORT_PLOT) -> float:
    """The share of the drawn points' area at the bound (max |z_i| > ``bound``) when the
    codes z (n, 2) are drawn as the report's scatter plots draw them (:data:`REPORT_PLOT`:
    each code a disc of pixels, overlapping discs drawn once): the measure read off the
    report's own figures
    (:data:`~connectivity.paper_values.lancione.REPORT_DRAWN_BOUND_SHARE`). Where codes
    pile up on the edges a plot shows less of them than there are.

    >>> drawn_bound_share(torch.tensor([[1.0, 1.0], [-1.0, -1.0]]))
    1.0
    """
    z = np.asarray(z, dtype=float)
    (width, height), (left, right, bottom, top) = plot["size"], plot["axes"]
    lo, hi = z.min(0), z.max(0)
    span = np.where(hi > lo, hi - lo, 1.0)
    lo, hi = lo - plot["pad"] * span, hi + plot["pad"] * span
    x0, x1, y0, y1 = left * width, right * width, bottom * height, top * height
    px = x0 + (z[:, 0] - lo[0]) / (hi[0] - lo[0]) * (x1 - x0)  # pixels from the left
    py = y0 + (z[:, 1] - lo[1]) / (hi[1] - lo[1]) * (y1 - y0)  # pixels from the bottom
    r = plot["radius"]
    drawn = np.zeros((height, width), dtype=bool)
    dy, dx = np.mgrid[-int(r) - 1 : int(r) + 2, -int(r) - 1 : int(r) + 2]
    for cx, cy in zip(px, py):
        cols, rows = np.floor(cx) + dx, np.floor(cy) + dy
        inside = ((cols + 0.5 - cx) ** 2 + (rows + 0.5 - cy) ** 2 <= r * r) & (cols >= 0)
        inside &= (rows >= 0) & (cols < width) & (rows < height)
        drawn[rows[inside].astype(int), cols[inside].astype(int)] = True
    rows, cols = np.nonzero(drawn)
    zx = lo[0] + (cols + 0.5 - x0) / (x1 - x0) * (hi[0] - lo[0])
    zy = lo[1] + (rows + 0.5 - y0) / (y1 - y0) * (hi[1] - lo[1])
    return float(np.mean(np.maximum(np.abs(zx), np.abs(zy)) > bound)) if len(rows) else 0.0


# ------------------------------------------------------------------ the study
def layout_pairs(
    codes: dict[str, list[torch.Tensor]],
    sils: dict[str, np.ndarray],
    labels: torch.Tensor,
    n_seeds: int,
    floors: dict[str, np.ndarray] | None = None,
) -> list[LayoutPair]:
    """Every pair of trainings of the AE and of the DAE, compared by layout and by score,
    each against unrelated layouts (one layout's points shuffled, or the labels), and by
    layout against the two trainings' floors (``floors``, per model and training)."""
    layouts = []
    rng = np.random.default_rng(0)
    shuffled = rng.permutation(len(labels))  # unrelated: no point or label matches
    for model in ("AE", "DAE"):
        unrelated = [
            abs(s - silhouette_score(z, labels[shuffled]))
            for z, s in zip(codes[model], sils[model])
        ]
        for i, j in itertools.combinations(range(n_seeds), 2):
            si, sj = sils[model][i], sils[model][j]
            layouts.append(
                LayoutPair(
                    model,
                    (i, j),
                    procrustes_disparity(codes[model][i], codes[model][j]),
                    abs(si - sj) / ((si + sj) / 2),
                    procrustes_disparity(codes[model][i], codes[model][j][shuffled]),
                    (unrelated[i] + unrelated[j]) / 2,
                    abs(si - sj),
                    0.0 if floors is None else float((floors[model][i] + floors[model][j]) / 2),
                )
            )
    return layouts


def run(settings: ResultsSettings) -> ResultsStudy:
    """Everything the results page shows."""
    torch.manual_seed(0)
    mnist = load_mnist()
    pair = mnist.pair(settings.digits, settings.training.subset)
    runs = study_runs(pair, settings.training, settings.n_seeds)
    codes = {m: encode_each(r.model, [pair.x_val] * r.model.n_models) for m, r in runs.items()}
    sils = {m: np.array([silhouette_score(z, pair.y_val) for z in zs]) for m, zs in codes.items()}
    bound = {
        m: np.array([bound_share(z, model_activation(m)) for z in zs]) for m, zs in codes.items()
    }
    partners = half_partners(pair.x_val, pair.y_val)
    autoencoders = ("AE", "DAE")
    floors = {m: np.array([layout_floor(z, partners) for z in codes[m]]) for m in autoencoders}
    drawn = {m: np.array([drawn_bound_share(z) for z in codes[m]]) for m in autoencoders}
    pca = fit_pca(pair.x_train, 2)
    pca_codes = pca.transform(pair.x_val)
    return ResultsStudy(
        settings,
        pair,
        runs,
        codes,
        sils,
        saturated_trainings(codes),
        silhouette_score(pca_codes, pair.y_val),
        float(((pca.reconstruct(pair.x_val) - pair.x_val.double()) ** 2).mean()),
        layout_pairs(codes, sils, pair.y_val, settings.n_seeds, floors),
        run_survey(mnist, settings.training, settings.survey),
        bound,
        drawn,
        floors,
    )
