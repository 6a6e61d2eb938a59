"""``make models``: train the shared classifiers, and the Lancione chapter's VAE, into the
store of committed models.

Training the three ``ci`` classifiers takes ~18 minutes in bfloat16 on an AMX CPU and
about 1.5 hours in float32 on an AVX2-only one, and the two give different weights.
So they are trained once, here, and committed (:mod:`connectivity.checkpoints` reads,
verifies and writes their files): each with its recipe's training history, the float32
evaluation of the stored weights, where and how it was trained (CPU, the instruction set
torch used, GPU, precision, torch version), the wall time and the commit; a fine-tune
(``TrainConfig.fine_tune``) also keeps those of the model it started from.

The report's VAE (Lancione's Fig. 1: 30 epochs of batch-16 steps, ~4.5 CPU-minutes) is
stored the same way (:mod:`connectivity.latent.vae_store`, key ``lancione_vae``): the
recipe is the question page's VAE of that profile (``ci`` and ``paper`` share it).

Command line (``make models``)::

    python -m connectivity.model_store --profile ci            # train what is missing or changed
    python -m connectivity.model_store --profile ci --force    # retrain all four
    python -m connectivity.model_store --only lancione_vae     # the VAE alone
    python -m connectivity.model_store --verify                # check every file's sha256
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import sys
import time
import warnings
from pathlib import Path

from . import devices
from .checkpoints import git_commit as models_commit
from .checkpoints import (
    half_storage,
    load_state_dict,
    lookup,
    read_manifest,
    restore,
    store_dir,
    verify,
    write_model,
)
from .errors import run_command
from .latent import vae_store
from .provenance import hardware
from .shared_classifiers import MODEL_KEYS, classifier_config
from .training import (
    default_device,
    effective_precision,
    evaluate,
    evaluation_split,
    train_classifier,
)


def machine_summary() -> str:
    """One line: the CPU, the instruction set torch's kernels use, the oneDNN cap, the
    GPU, and the precision a ``bf16`` recipe trains in here."""
    hw = hardware()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        precision = effective_precision("bf16", default_device())
    return (
        f"torch kernels {hw['torch_cpu_capability']}, oneDNN cap "
        f"{hw['onednn_max_cpu_isa'] or 'none'}, MKL cap {hw['mkl_enable_instructions'] or 'none'}; "
        f"a bf16 recipe trains in {precision} here; {hw['cpu']} ({hw['cores']} cores, AMX "
        f"{'yes' if hw['amx'] else 'no'}), GPU {hw['gpu'] or 'none'}"
    )


def _provenance(name: str, entry: dict) -> dict:
    """Where and when committed model ``name`` was trained: kept in the entry of a
    fine-tune that starts from it (whose own file replaces it in the store)."""
    keys = ("file", "sha256", "trained_on", "wall_seconds", "commit", "date")
    return {"name": name, **{k: entry[k] for k in keys}}


def store_model(
    name: str, trained, wall_seconds: float, folder: Path | None = None, **extra
) -> dict:
    """Write ``trained`` (a :class:`~connectivity.training.TrainedModel`) as committed
    model ``name``: its weights in :func:`~connectivity.checkpoints.half_storage`, loaded
    back into the model and evaluated in float32 on its test split (the evaluation of
    what is stored), and its manifest entry."""
    cfg = trained.config
    stored, halved = half_storage(trained.model.state_dict())
    trained.model.load_state_dict(restore(stored))
    ev = evaluate(trained.model, evaluation_split(cfg))
    return write_model(
        name,
        cfg.cache_key(),
        stored,
        folder,
        float16_tensors=len(halved),
        history=dataclasses.asdict(trained.history),
        evaluation=dataclasses.asdict(ev),
        images_per_epoch=trained.images_per_epoch,
        trained_on={**hardware(), "precision": trained.history.precision},
        wall_seconds=round(wall_seconds, 1),
        commit=models_commit(),
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        **extra,
    )


VAE_KEY = "lancione_vae"  # the Lancione chapter's VAE (connectivity.latent.vae_store)


def build_vae(
    profile: str = "ci", *, force: bool = False, folder: Path | None = None
) -> tuple[str, str]:
    """Train into the store the question page's VAE of ``profile`` unless a committed
    model has its recipe (under any name: ``ci`` and ``paper`` share it) and ``force`` is
    not set; returns (its name, "kept" | "trained"). ``force`` writes it again from the
    cache where the cache holds the recipe (the same weights; its wall time is then the
    load's)."""
    from .pages.lancione.question import QuestionSettings
    from .pages.lancione.trainings import load_mnist

    cfg = QuestionSettings.resolve(profile).vae
    found = lookup(vae_store.store_key(cfg), folder)
    if found is not None and not force:
        load_state_dict(found[1], folder)  # verified: a damaged file is not "kept"
        return found[0], "kept"
    name = found[0] if found is not None else f"{profile}-{VAE_KEY}"
    mnist = load_mnist()
    vae_store.store_vae(
        mnist.train,
        mnist.test,
        cfg,
        name,
        folder,
        trained_on=hardware(),
        commit=models_commit(),
        date=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    return name, "trained"


def build_store(
    profile: str = "ci",
    keys: tuple[str, ...] | None = None,
    *,
    force: bool = False,
    folder: Path | None = None,
    progress: bool = True,
) -> dict[str, str]:
    """Train into the store the shared classifiers of ``profile`` whose config has no
    committed model (or all of ``keys`` with ``force``); returns {name: "kept" |
    "trained"}. A model whose recipe changed is retrained, the others are kept."""
    folder = folder or store_dir()
    outcome = {}
    for key in keys or (*MODEL_KEYS, VAE_KEY):
        if key == VAE_KEY:
            name, what = build_vae(profile, force=force, folder=folder)
            outcome[name] = what
            continue
        cfg, name = classifier_config(profile, key), f"{profile}-{key}"
        found = lookup(cfg.cache_key(), folder)
        if found is not None and found[0] == name and not force:
            load_state_dict(found[1], folder)  # verified: a damaged file is not "kept"
            outcome[name] = "kept"
            continue
        first = lookup(cfg.first_stage().cache_key(), folder) if cfg.fine_tuned else None
        t0 = time.perf_counter()
        trained = train_classifier(cfg, use_cache=False, progress=progress)
        extra = {"first_stage": _provenance(*first)} if first is not None else {}
        store_model(name, trained, time.perf_counter() - t0, folder, **extra)
        outcome[name] = "trained"
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectivity.model_store", description=__doc__)
    parser.add_argument("--profile", default="ci", help="settings profile (default ci)")
    parser.add_argument(
        "--only", nargs="+", help="cifar10_resnet, cifar10_vgg, cifar100_vgg, lancione_vae"
    )
    parser.add_argument("--force", action="store_true", help="retrain even if committed")
    parser.add_argument("--verify", action="store_true", help="only check the sha256s")
    parser.add_argument("--machine", action="store_true", help="only say what this machine is")
    parser.add_argument(
        "--device",
        help="where to train: cpu, cuda, cuda:N or auto (default: $CONNECTIVITY_DEVICE, else"
        " auto: a model is trained once, where it is fastest)",
    )
    args = parser.parse_args(argv)
    devices.select(args.device, "paper")  # "paper": auto unless named
    print(f"[models] {machine_summary()}", flush=True)
    if args.machine:
        return 0
    if args.verify:
        names = verify()
        print(
            f"[models] {len(names)} committed models verified in {store_dir()}: {', '.join(names)}"
        )
        return 0
    outcome = build_store(args.profile, tuple(args.only) if args.only else None, force=args.force)
    for name, what in outcome.items():
        entry = read_manifest()["models"][name]
        ev = entry["evaluation"]
        score = (
            f"test accuracy {ev['accuracy']:.4f}"
            if "accuracy" in ev
            else f"test loss at the mean {ev['test_loss_at_mean']:.2f}"
        )
        print(
            f"[models] {name}: {what}; {score}, "
            f"{entry['bytes'] / 1e6:.1f} MB, trained in {entry['wall_seconds']:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
