"""The chapter's digit judge: one MNIST classifier (784-256-10 MLP,
:func:`connectivity.latent.judge.train_judge`) that reads digits for every page that
needs it - the question page reads the VAE's decoded grid with it (Fig. 1), the
future-work page judges reconstructions with it (§5). Trained once and shared through
the cache: the same data and epochs give the same key, so the page that runs second
loads what the first trained.

:data:`JUDGE_EPOCHS` (paper) and :data:`JUDGE_EPOCHS_BY_PROFILE` are its epochs; both
pages' settings must keep them (``tests/test_lancione_decoded_grid.py`` checks it).
"""

from __future__ import annotations

from connectivity.latent.judge import Judge, train_judge

from .trainings import Mnist

JUDGE_EPOCHS = 5  # the paper profile's
JUDGE_EPOCHS_BY_PROFILE = {"ci": 2, "smoke": 1, "smoke-paper": 1}


def digit_judge(mnist: Mnist, epochs: int) -> Judge:
    """The chapter's digit judge trained ``epochs`` epochs on all 60,000 training
    images (accuracy on the 10,000 test images), from the cache where it is there."""
    return train_judge(mnist.train, mnist.test, epochs)


__all__ = ["JUDGE_EPOCHS", "JUDGE_EPOCHS_BY_PROFILE", "digit_judge"]
