"""Settings of the Performance page (notebook ``performance``) and of ``make bench``
(``python -m connectivity.pages.performance``): how many timings, pairs, iterations and
images each benchmark row measures."""

from __future__ import annotations

from dataclasses import dataclass

from connectivity.settings import Settings, param


@dataclass(frozen=True)
class PerformanceSettings(Settings):
    """What the Performance page and ``make bench`` measure (no paper values: the
    defaults are ``make bench``'s; ``paper`` measures the paper profile's models)."""

    repeats: int = param(3, lo=1, hi=50, doc="timings per measurement (the median is used)")
    pairs: int = param(
        25, lo=2, hi=1000, doc="same-class test pairs in the bypass, NEB and curve rows"
    )
    iterations: int = param(20, lo=1, hi=1000, doc="bypass iterations per timing")
    points: int = param(1000, lo=2, hi=100_000, doc="points per straight loss curve")
    n_pivots: int = param(16, lo=2, hi=256, doc="NEB pivots per pair")
    neb_steps: int = param(
        5, lo=1, hi=1000, doc="NEB iterations of the shorter timed run (the longer: twice)"
    )
    train_batch: int = param(128, lo=2, hi=4096, doc="images per measured training step")
    detector_images: int = param(
        100, lo=10, hi=10_000, doc="images whose detector features are timed"
    )
    detector_pool: int = param(
        2000, lo=100, hi=50_000, doc="training images for the detectors' references and Gaussians"
    )
    pair_candidates: int | None = param(
        None, lo=100, hi=10_000, doc="test images the pairs are drawn from (None: all)"
    )
    classifier: dict = param({}, doc="changes to the shared CIFAR-10 ResNet's training settings")
    vgg_classifier: dict = param({}, doc="changes to the shared CIFAR-10 VGG's training settings")

    OVERRIDES = {
        # 400 points: the loss-curve row's three interleaved timings cost what one of 1,000 did
        "ci": {"repeats": 1, "iterations": 10, "points": 400, "detector_images": 50},
        "smoke": {
            "pairs": 4,
            "iterations": 2,
            "points": 20,
            "n_pivots": 4,
            "neb_steps": 1,
            "train_batch": 8,
            "detector_images": 10,
        },
        "smoke-paper": {
            "repeats": 1,
            "pairs": 2,
            "iterations": 1,
            "points": 8,
            "n_pivots": 3,
            "neb_steps": 1,
            "train_batch": 4,
            "detector_images": 10,
            # forward passes of the papers' networks over 10,000 test / 2,000 training
            # images cost ~20 s here; the rows' code paths need far fewer
            "detector_pool": 300,
            "pair_candidates": 1000,
        },
    }
