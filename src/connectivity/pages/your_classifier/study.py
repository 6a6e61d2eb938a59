"""What the "Your classifier" page computes: the profile's shared CIFAR-10 ResNet saved
to a file as a reader would save theirs (:func:`save_classifier`), then Table 1 of Gu &
Borovykh on that file (:func:`run`: the page's ``checkpoint`` parameter, checked before
any work). No records, sentences or figures here (``report``, ``figures``)."""

from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass

import torch

from connectivity import reader_checkpoint as rc
from connectivity.locations import build_dir
from connectivity.shared_classifiers import shared_classifier

from ..gu2023.table1.study import Table1Study
from ..gu2023.table1.study import run as run_table1
from .settings import YourClassifierSettings

# what the checks print (connectivity.reader_checkpoint.load_classifier, the page's
# accuracy): the lines the page shows
CHECK_LINES = ("checkpoint ", "test accuracy")


@dataclass
class YourClassifierStudy:
    """``checkpoint``: Table 1's parameter as this page passed it (its ``path`` the
    saved file); ``checks``: what the checks printed (the file's sha256, the classifier,
    its test accuracy measured here); ``table1``: Table 1's study on it; ``seconds``:
    the wall time of that run (checks included)."""

    settings: YourClassifierSettings
    checkpoint: dict
    checks: list[str]
    table1: Table1Study
    seconds: float


def save_classifier(settings: YourClassifierSettings) -> dict:
    """Save the profile's shared CIFAR-10 ResNet (the committed one in ``ci``) to a file
    under the build folder, ``torch.save(model.state_dict(), path)``, and return the
    ``checkpoint`` parameter that names it: path, architecture (the book's), data set
    and the architecture's sizes (its normalisation is in the file)."""
    trained = shared_classifier(settings.profile, "cifar10_resnet")
    arch, sizes = trained.config.arch, dict(trained.config.arch_kwargs)
    if "pretrained" in sizes:  # the file holds the weights: no ImageNet start to load
        sizes["pretrained"] = False
    path = build_dir("your_classifier") / f"{settings.profile}-cifar10_resnet.pt"
    torch.save({k: v.cpu() for k, v in trained.model.state_dict().items()}, path)
    return {
        "path": str(path),
        "architecture": arch if arch in rc.BOOK_ONLY else rc.BOOK_PREFIX + arch,
        "dataset": trained.config.dataset,
        "arch_kwargs": sizes,
    }


def run(settings: YourClassifierSettings) -> YourClassifierStudy:
    """The shared ResNet saved to a file, then one draw of Table 1 with ``checkpoint``
    pointing at it (:meth:`YourClassifierSettings.table1`), timed; what its checks print
    is kept (and printed)."""
    checkpoint = save_classifier(settings)
    table1_settings = settings.table1(checkpoint)
    printed = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(printed):
        table1 = run_table1(table1_settings)
    seconds = time.perf_counter() - start
    checks = [line for line in printed.getvalue().splitlines() if line.startswith(CHECK_LINES)]
    return YourClassifierStudy(settings, checkpoint, checks, table1, seconds)
