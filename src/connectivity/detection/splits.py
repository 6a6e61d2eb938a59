"""The splits of clean/adversarial pairs of the detection benchmark of Harder et al.
(2021): 80/20 train+validation/test, then 20 % of that for validation, a clean image and
its adversarial twin always in the same part; with ``cross_validate``, five folds that
begin with the benchmark's split and together test every pair once.

Example::

    train, val, test = benchmark_splits(1000)
    [len(t) for _, _, t in detection_splits(100, True)]   # [20, 20, 20, 20, 20]
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

FOLDS = 5  # cross-validated: the benchmark tests 20 %, so five such parts test every pair


def benchmark_splits(n: int, seed: int = 42) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices (train, validation, test) of n clean/adversarial pairs as the benchmark
    splits them: 80/20 train+validation/test, then 20 % of that for validation. The
    benchmark splits clean and adversarial features separately with the same seed and
    length, so a clean image and its adversarial twin always land in the same part."""
    return detection_splits(n, False, seed)[0]


def detection_splits(
    n: int, cross_validate: bool = False, seed: int = 42
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(train, validation, test) indices of n pairs, one triple per fold.

    Fold 1 is the benchmark's split (:func:`benchmark_splits`). With ``cross_validate``
    four more folds follow: the benchmark's 80 % train+validation part, shuffled with
    ``seed``, cut into four test parts of ~20 %, each fold training on the other ~80 %
    split 80/20 into train and validation as the benchmark does. Every pair is then
    tested exactly once, always by a detector fitted on the benchmark's proportions.

    >>> [len(t) for _, _, t in detection_splits(100, True)]
    [20, 20, 20, 20, 20]
    """
    idx = np.arange(n)
    trval, test = train_test_split(idx, test_size=0.2, random_state=seed)
    tests = [test]
    if cross_validate:
        rest = np.random.default_rng(seed).permutation(trval)
        tests += [np.sort(part) for part in np.array_split(rest, FOLDS - 1)]
    folds = []
    for k, held in enumerate(tests):
        part = trval if k == 0 else np.setdiff1d(idx, held)
        train, val = train_test_split(part, test_size=0.2, random_state=seed)
        folds.append((train, val, held))
    return folds
