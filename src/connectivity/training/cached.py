"""Training classifiers from a config, cached by a hash of that config.

``train_classifier(cfg)`` loads the checkpoint of ``cfg`` if it exists, else trains
(with a progress bar), evaluates on the test split and saves.
"""

from __future__ import annotations

import dataclasses

import torch

from .. import checkpoints
from ..caching import atomic_save, cached, load_entry, result_path
from ..data import load_dataset
from .config import TrainConfig, evaluation_split
from .evaluation import accuracy, evaluate
from .loop import build_classifier, fit
from .precision import default_device
from .results import History, TrainedModel


def train_classifier(
    cfg: TrainConfig,
    *,
    use_cache: bool = True,
    progress: bool = True,
    device: str | torch.device | None = None,
) -> TrainedModel:
    """Train (or load) the classifier described by ``cfg``, on ``device`` (default:
    :func:`default_device`).

    With ``use_cache``, a model committed with the book for this config
    (:mod:`connectivity.checkpoints`, sha256 verified: a damaged file raises
    :class:`~connectivity.checkpoints.ModelIntegrityError`) comes first, then the cache
    (checksum verified: a damaged entry is trained again); otherwise it is trained here
    and cached. A recipe with a second stage (``cfg.fine_tune``) starts from its first
    stage's model, itself found the same way (or trained), and its history is the two
    stages' one after the other. The evaluation of a loaded model is the one stored with it."""
    cfg.validate()
    device = torch.device(device) if device is not None else default_device()
    if use_cache:
        committed = checkpoints.lookup(cfg.cache_key())
        if committed is not None:
            _, entry = committed
            state = checkpoints.load_state_dict(entry)
            path = str(checkpoints.store_dir() / entry["file"])
            return _trained_from(cfg, state, entry, path, device)
    path = result_path("models", cfg.cache_key())  # the device and kernels in the key
    if use_cache and path.exists():  # a hit needs neither the data nor a second model
        ckpt = load_entry(path, map_location="cpu")
        if ckpt is not None:
            return _trained_from(cfg, ckpt["state_dict"], ckpt, str(path), device)

    train = load_dataset(cfg.dataset, "train")
    test = evaluation_split(cfg)
    if cfg.fine_tuned:  # the first stage from the store or the cache (else trained), then more
        first = train_classifier(cfg.first_stage(), progress=progress, device=device)
        model = first.model
        later = fit(model, cfg.second_stage(), train, test, progress=progress, desc="fine-tune")
        history = first.history.then(later)
    else:
        torch.manual_seed(cfg.seed)
        model = build_classifier(cfg).to(device)
        history = fit(
            model, cfg, train, test, progress=progress, desc=f"{cfg.arch} on {cfg.dataset}"
        )
    ev = evaluate(model, test)
    n = min(cfg.train_subset or len(train), len(train))
    images = max(1, n // cfg.batch_size) * cfg.batch_size
    atomic_save(
        {
            "state_dict": model.state_dict(),
            "history": dataclasses.asdict(history),
            "evaluation": dataclasses.asdict(ev),
            "images_per_epoch": images,
            "config": dataclasses.asdict(cfg),
        },
        path,
    )
    return TrainedModel(
        model, cfg, history, ev.accuracy, str(path), ev.tta_accuracy, ev.confident_fraction, images
    )


def _trained_from(
    cfg: TrainConfig, state: dict, record: dict, path: str, device: torch.device
) -> TrainedModel:
    """The :class:`TrainedModel` of a stored ``state`` dict and its ``record`` (a
    checkpoint or a committed model's manifest entry: history, evaluation, images)."""
    model = build_classifier(cfg)
    model.load_state_dict(state)
    model.to(device).eval()
    ev = record["evaluation"]
    return TrainedModel(
        model,
        cfg,
        History(**record["history"]),
        ev["accuracy"],
        path,
        ev["tta_accuracy"],
        ev["confident_fraction"],
        record["images_per_epoch"],
    )


def train_with_snapshots(
    cfg: TrainConfig, snapshot_batches: list[int], snapshot_epochs: list[int], progress: bool = True
) -> dict:
    """Train like :func:`train_classifier` (the same loop, :func:`fit`) and keep copies
    of the weights after the given numbers of batches and epochs (Vrabel et al. App.
    D.1). Cached by the config and the snapshot lists. The weights are on the CPU.

    Returns {"batches": {k: state_dict}, "epochs": {e: state_dict}, "test_acc": {e: float}}
    (test accuracy in float32).
    """
    cfg.validate()
    batches, epochs = set(snapshot_batches), set(snapshot_epochs)

    def compute():
        train = load_dataset(cfg.dataset, "train")
        test = evaluation_split(cfg)
        torch.manual_seed(cfg.seed)
        model = build_classifier(cfg).to(default_device())
        out = {"batches": {}, "epochs": {}, "test_acc": {}}

        def state(m):
            return {k: v.detach().to("cpu", copy=True) for k, v in m.state_dict().items()}

        def on_step(step, m):
            if step in batches:
                out["batches"][step] = state(m)

        def on_epoch(epoch, m):
            if epoch in epochs:
                out["epochs"][epoch] = state(m)
                out["test_acc"][epoch] = accuracy(m, test)

        fit(
            model,
            cfg,
            train,
            on_step=on_step,
            on_epoch=on_epoch,
            progress=progress,
            desc="training with snapshots",
        )
        return out

    params = {"cfg": cfg.cache_key(), "batches": sorted(batches), "epochs": sorted(epochs)}
    return cached("training-snapshots", params, compute)
