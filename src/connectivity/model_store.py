"""Trained classifiers committed with the book: trained once, verified on every load.

Training the three ``ci`` classifiers takes ~18 minutes in bfloat16 on an AMX CPU and
about 1.5 hours in float32 on an AVX2-only one, and the two give different weights.
So they are trained once (``make models``) and committed under
``src/connectivity/trained_models/`` (or ``$CONNECTIVITY_MODELS``) with a
``manifest.json`` that holds, per model: the cache key of its
:class:`~connectivity.training.TrainConfig` (and its hash, part of the file name), the
file's sha256 and size, the recipe, the training history, the float32 evaluation of the
stored weights, where and how it was trained (CPU, the instruction set torch used, GPU,
precision, torch version), the wall time and the commit.

:func:`connectivity.training.train_classifier` looks here first: a config whose key is
in the manifest is loaded from its file after the sha256 check (a mismatch raises
:class:`ModelIntegrityError`, never a silent retraining or a wrong model); any other
config (a changed recipe field, another profile) is trained and cached as before. So
every CPU uses the same weights, and a changed recipe can never be served a stale model.

Weight tensors of at least :data:`HALF_MIN_NUMEL` elements are stored in float16 (relative
rounding <= 2**-11) to keep the folder small (~16 MB instead of ~32 MB); every chapter,
and the evaluation in the manifest, uses exactly the stored weights, restored to float32.

Command line (``make models``)::

    python -m connectivity.model_store --profile ci            # train what is missing or changed
    python -m connectivity.model_store --profile ci --force    # retrain all three
    python -m connectivity.model_store --verify                # check every file's sha256
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from . import devices, provenance
from .caching import _file_sha256, _jsonable, _write_atomic, param_hash
from .errors import ReaderError, run_command

MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1
# float tensors at least this large (conv and linear weights) are stored in float16;
# BatchNorm statistics, biases and small tensors stay in float32
HALF_MIN_NUMEL = 1024
_FP16_MAX = 65504.0


class ModelIntegrityError(ReaderError, RuntimeError):
    """A committed model's file does not match the sha256 in its manifest."""


def store_dir() -> Path:
    """The folder of the committed models: ``$CONNECTIVITY_MODELS``, else
    ``trained_models/`` beside this module."""
    env = os.environ.get("CONNECTIVITY_MODELS")
    return Path(env) if env else Path(__file__).resolve().parent / "trained_models"


def read_manifest(folder: Path | None = None) -> dict:
    """The manifest of ``folder`` (default :func:`store_dir`): {"format", "models":
    {name: entry}}; an empty one where there is none."""
    path = (folder or store_dir()) / MANIFEST
    if not path.exists():
        return {"format": MANIFEST_FORMAT, "models": {}}
    manifest = json.loads(path.read_text())
    if manifest.get("format") != MANIFEST_FORMAT:
        raise ModelIntegrityError(
            f"{path} has format {manifest.get('format')!r}, this code reads {MANIFEST_FORMAT}"
        )
    return manifest


def _write_manifest(manifest: dict, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.chmod(folder / MANIFEST, 0o644)  # mkstemp makes it private; the folder is committed


def lookup(cache_key: dict, folder: Path | None = None) -> tuple[str, dict] | None:
    """``(name, entry)`` of the committed model trained with ``cache_key`` (a
    ``TrainConfig.cache_key()``), or None when no committed model has that key."""
    key_hash = param_hash(cache_key)
    for name, entry in read_manifest(folder)["models"].items():
        if entry["key_hash"] == key_hash:
            if entry["cache_key"] != _jsonable(cache_key):  # a hash collision is no match
                continue
            return name, entry
    return None


def half_storage(state_dict: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """The state dict as stored: float32 tensors of >= :data:`HALF_MIN_NUMEL` elements
    whose values fit float16 in float16, every other tensor as it is (on the CPU);
    with the names of the tensors converted."""
    stored, halved = {}, []
    for name, t in state_dict.items():
        t = t.detach().cpu()
        fits = t.dtype == torch.float32 and t.numel() >= HALF_MIN_NUMEL
        if fits and torch.isfinite(t).all() and t.abs().max() < _FP16_MAX:
            halved.append(name)
            t = t.half()
        stored[name] = t.clone()
    return stored, halved


def restore(stored: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """The stored state dict in float32 (float16 tensors widened; others unchanged)."""
    return {k: v.float() if v.dtype == torch.float16 else v for k, v in stored.items()}


def load_state_dict(entry: dict, folder: Path | None = None) -> dict[str, torch.Tensor]:
    """The float32 state dict of a manifest ``entry``, after checking its file's sha256.

    Raises :class:`ModelIntegrityError` when the file is missing or differs from the
    manifest (e.g. one flipped byte): restore it (``git checkout``) or retrain it
    (``make models``)."""
    path = (folder or store_dir()) / entry["file"]
    if not path.exists():
        raise ModelIntegrityError(f"committed model {path} is missing (see {MANIFEST})")
    actual = _file_sha256(path)
    if actual != entry["sha256"]:
        raise ModelIntegrityError(
            f"committed model {path} does not match its manifest: sha256 {actual[:16]}... "
            f"instead of {entry['sha256'][:16]}...; restore it with `git checkout -- {path}` "
            "or retrain it with `make models`"
        )
    return restore(torch.load(path, map_location="cpu", weights_only=True))


# ---------------------------------------------------------------- where it was trained


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> dict[str, Any]:
    """The CPU, the instruction set torch's kernels use, the oneDNN cap, the GPU."""
    cpu = getattr(torch, "cpu", None)
    amx = getattr(cpu, "_is_amx_tile_supported", None)
    return {
        "cpu": _cpu_name(),
        "cores": os.cpu_count(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "onednn_max_cpu_isa": os.environ.get("ONEDNN_MAX_CPU_ISA"),
        "mkl_enable_instructions": os.environ.get("MKL_ENABLE_INSTRUCTIONS"),
        "amx": bool(amx()) if amx is not None else None,
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def machine_summary() -> str:
    """One line: the CPU, the instruction set torch's kernels use, the oneDNN cap, the
    GPU, and the precision a ``bf16`` recipe trains in here."""
    import warnings

    from .training import default_device, effective_precision  # training imports this module

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


def git_commit() -> str | None:
    """The commit the code was at (with ``+dirty`` when src/ has uncommitted changes;
    the committed models' own folder does not count: the model being stored is one)."""
    root = Path(__file__).resolve().parents[2]
    models = Path(__file__).resolve().parent / "trained_models"
    return provenance.git_commit(root, ("src", f":!{models.relative_to(root)}"))


# ---------------------------------------------------------------- training into the store


def store_model(name: str, trained, wall_seconds: float, folder: Path | None = None) -> dict:
    """Write ``trained`` (a :class:`~connectivity.training.TrainedModel`) as committed
    model ``name``: its weights in :func:`half_storage`, loaded back into the model and
    evaluated in float32 on its test split (the evaluation of what is stored), and its
    manifest entry (replacing an older entry of the same name and its file)."""
    from .training import evaluate, evaluation_split  # training imports this module

    folder = folder or store_dir()
    folder.mkdir(parents=True, exist_ok=True)
    cfg = trained.config
    key = cfg.cache_key()
    stored, halved = half_storage(trained.model.state_dict())
    trained.model.load_state_dict(restore(stored))
    ev = evaluate(trained.model, evaluation_split(cfg))
    file = f"{name}-{param_hash(key)}.pt"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=file + ".", suffix=".tmp")
    os.close(fd)
    try:
        torch.save(stored, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / file)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    manifest = read_manifest(folder)
    old = manifest["models"].get(name)
    if old is not None and old["file"] != file and (folder / old["file"]).exists():
        (folder / old["file"]).unlink()
    entry = {
        "file": file,
        "sha256": _file_sha256(folder / file),
        "bytes": (folder / file).stat().st_size,
        "key_hash": param_hash(key),
        "cache_key": _jsonable(key),
        "float16_tensors": len(halved),
        "history": _jsonable(dataclasses.asdict(trained.history)),
        "evaluation": _jsonable(dataclasses.asdict(ev)),
        "images_per_epoch": trained.images_per_epoch,
        "trained_on": {**hardware(), "precision": trained.history.precision},
        "wall_seconds": round(wall_seconds, 1),
        "commit": git_commit(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    manifest["models"][name] = entry
    _write_manifest(manifest, folder)
    return entry


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
    # both import training, which imports this module
    from .classifiers import MODEL_KEYS, classifier_config
    from .training import train_classifier

    folder = folder or store_dir()
    outcome = {}
    for key in keys or MODEL_KEYS:
        cfg, name = classifier_config(profile, key), f"{profile}-{key}"
        found = lookup(cfg.cache_key(), folder)
        if found is not None and found[0] == name and not force:
            load_state_dict(found[1], folder)  # verified: a damaged file is not "kept"
            outcome[name] = "kept"
            continue
        t0 = time.perf_counter()
        trained = train_classifier(cfg, use_cache=False, progress=progress)
        store_model(name, trained, time.perf_counter() - t0, folder)
        outcome[name] = "trained"
    return outcome


def verify(folder: Path | None = None) -> list[str]:
    """Check every committed model's file against the manifest; returns the names."""
    manifest = read_manifest(folder)
    for entry in manifest["models"].values():
        load_state_dict(entry, folder)
    return sorted(manifest["models"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connectivity.model_store", description=__doc__)
    parser.add_argument("--profile", default="ci", help="settings profile (default ci)")
    parser.add_argument("--only", nargs="+", help="cifar10_resnet, cifar10_vgg, cifar100_vgg")
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
        print(
            f"[models] {name}: {what}; test accuracy {entry['evaluation']['accuracy']:.4f}, "
            f"{entry['bytes'] / 1e6:.1f} MB, trained in {entry['wall_seconds']:.0f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(run_command(main))
