"""A digit classifier that judges reconstructions: Lancione's proposed "wrong
reconstruction" metric (§5) - a reconstruction of a digit a by the model of the pair
(a, b) is wrong when a classifier reads it as b."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..caching import cached
from ..data import Dataset
from ..training import minibatch_epochs


@dataclass
class Judge:
    model: torch.nn.Module  # (n, 784) -> logits (n, 10)
    test_accuracy: float


def train_judge(
    train: Dataset, test: Dataset, epochs: int, seed: int = 0, hidden: int = 256
) -> Judge:
    """An MLP 784-hidden-10 (Adam 1e-3, batch 128) trained on ``train``, cached."""
    key = {"data": train.source, "n": len(train), "epochs": epochs, "seed": seed, "hidden": hidden}

    def build():
        return torch.nn.Sequential(
            torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
        )

    def compute():
        torch.manual_seed(seed)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        x, y = train.x.flatten(1), train.y
        minibatch_epochs(
            opt,
            lambda idx: F.cross_entropy(model(x[idx]), y[idx]),
            len(x),
            batch_size=128,
            epochs=epochs,
            gen=torch.Generator().manual_seed(seed),
        )
        with torch.no_grad():
            acc = (model(test.x.flatten(1)).argmax(1) == test.y).float().mean().item()
        return {"state_dict": model.state_dict(), "accuracy": acc}

    out = cached("lancione-digit-classifier", key, compute)
    model = build()
    model.load_state_dict(out["state_dict"])
    return Judge(model.eval(), out["accuracy"])


@torch.no_grad()
def wrong_reconstruction_rate(
    classifier, recon: torch.Tensor, labels: torch.Tensor, digits: tuple[int, int]
) -> float:
    """Fraction of reconstructions (n, 784) that the classifier assigns to the *other*
    digit of the pair (the metric proposed in Lancione §5)."""
    pred = classifier(recon.float()).argmax(1)
    other = torch.where(labels == digits[0], torch.tensor(digits[1]), torch.tensor(digits[0]))
    return (pred == other).float().mean().item()
