"""Smoke run of every notebook in _toc.yml with tiny parameters (a real papermill run)."""

from __future__ import annotations

import json
import shutil

import pytest

from connectivity import book
from conftest import REPO, needs_data, shared_data

TINY_MODEL = {"epochs": 1, "train_subset": 256, "batch_size": 64}
TINY_RESNET = {**TINY_MODEL, "arch_kwargs": {"blocks": [1, 1, 1, 1], "width": 4}}
# Tiny parameters per notebook: every notebook of the book must have an entry.
SMOKE = {
    "classifiers": {
        "cifar10_resnet": {**TINY_MODEL, "arch_kwargs": {"blocks": [1], "width": 4}},
        "cifar10_vgg": {**TINY_MODEL, "arch_kwargs": {"width": 0.0625}},
        "cifar100_vgg": {**TINY_MODEL, "arch_kwargs": {"width": 0.0625}},
        "n_examples": 4,
    },
    "lancione/01_question": {"vae_epochs": 1},
    "lancione/02_methods": {"n_seeds": 2, "relu_seeds": 2, "epochs_ae": 1, "epochs_dae": 1, "epochs_pca": 1, "subset": "faithful"},
    "lancione/03_results": {"n_seeds": 2, "epochs_ae": 1, "epochs_dae": 1, "epochs_pca": 1, "pairs_epochs": 1,
                            "pairs_epochs_pca": 1},
    "lancione/04_future_work": {"pairs_epochs": 1, "pairs_epochs_pca": 1, "classifier_epochs": 1,
                                "sweep_dims": [2, 3], "sweep_seeds": 2, "sweep_epochs": 1},
    "gu2023/01_table1": {"classifier": TINY_RESNET, "n_pairs": 4, "pair_seeds": [0, 1], "n_linear": 20,
                         "depth_layers": ["input", "pool"], "per_segment": 2,
                         "neb": {"n_pivots": 3, "steps": 3, "lr": 0.01, "spring": 1.0, "optimizer": "adam",
                                 "climbing": False}},
    "gu2023/02_decoders_and_paths": {"classifier": TINY_RESNET, "n_pairs": 4, "pair_seeds": [0], "n_linear": 20,
                                     "per_segment": 2, "decoder_train_images": 128, "strip_points": 3,
                                     "neb": {"n_pivots": 3, "steps": 3, "lr": 0.01, "spring": 1.0,
                                             "optimizer": "adam", "climbing": False},
                                     "intermediate_decoder": {"width": 4, "blocks": 1, "epochs": 1, "batch_size": 32},
                                     "last_decoder": {"widths": [8, 8, 8, 8], "blocks": 1, "epochs": 1,
                                                      "batch_size": 32}},
    "vrabel2024/01_bypass": {"classifier": TINY_RESNET, "n_pairs": 3, "mode_max_loss": 100.0, "lens_pairs": 2,
                             "bypass": {"iterations": 3, "n_linear": 20, "per_segment": 10, "max_rounds": 1,
                                        "threshold": 0.0},
                             "gu_neb": {"n_pivots": 3, "steps": 3, "lr": 0.01, "spring": 1.0, "optimizer": "adam",
                                        "climbing": False}},
    "vrabel2024/02_synthetic_untrained": {
        "classifier": TINY_RESNET, "synthetic_classes": [0],
        "bypass": {"iterations": 3, "n_linear": 20, "per_segment": 10, "max_rounds": 1, "threshold": 0.0},
        "synthetic_natural": {"iterations": 3}, "synthetic_hf": {"iterations": 3},
        "untrained_arch": {"arch": "cifar_resnet", "blocks": [1], "width": 4}, "untrained_pairs": 1,
        "untrained_synthesis": {"iterations": 3}, "untrained_barrier_iterations": 2, "untrained_rounds": 1,
        "untrained_per_segment": 5, "untrained_threshold": 0.0},
    "vrabel2024/03_training_dynamics": {"evolution_model": {**TINY_MODEL, "arch_kwargs": {"blocks": [1], "width": 4},
                                                            "epochs": 2, "batch_size": 64, "train_subset": 128},
                                        "evolution_batches": [1], "evolution_epochs": [1, 2],
                                        "evolution_points": 5, "evolution_synthesis": {"iterations": 2}},
    "vrabel2024/04_percolation": {"perc_sizes": [8], "perc_samples": 5, "perc_pc_size": 16, "perc_pc_samples": 5,
                                  "perc_3d_size": 6, "perc_3d_samples": 3, "mf_dims": [2, 3], "mf_sites": 400,
                                  "conj_dims": [2, 8], "conj_pairs": 3, "conj_grid": {"2": 21}, "conj_rounds": 1,
                                  "conj_iterations": 2},
    "vrabel2024/05_adversarial_barriers": {
        "classifier": {**TINY_RESNET, "train_subset": 2048, "epochs": 2}, "adv_pairs_per_class": 2, "adv_drop": 0,
        "adv_steps": 10, "adv_mode_max_loss": 100.0, "adv_attack": {"iterations": 3}, "adv_bypass_rounds": 1,
        "bypass": {"iterations": 3, "n_linear": 20, "per_segment": 10, "max_rounds": 1, "threshold": 0.0}},
    "vrabel2024/06_detection": {
        "classifier": {**TINY_MODEL, "arch_kwargs": {"width": 0.0625}},
        "det_benchmark": {"n_images": 40, "reference_pool": 2000, "gaussian_train": 500, "path_points": 4,
                          "lid_k": 5, "lid_batch": 20},
        "det_attack": {"bim_steps": 2, "pgd_steps": 2, "deepfool_steps": 3, "cw_steps": 3, "cw_c": 10.0},
        "det_knn_k": [1, 3]},
    "performance": {"classifier": TINY_RESNET, "vgg_classifier": {**TINY_MODEL, "arch_kwargs": {"width": 0.0625}},
                    "pairs": 3, "iterations": 2, "points": 20, "n_pivots": 2, "neb_steps": 1, "train_batch": 8,
                    "detector_images": 10},
    "scorecard": {},
}


def test_every_notebook_has_smoke_parameters():
    # notebooks not yet in the book (not run at ci scale) are smoke-tested too
    assert set(book.toc_notebooks(REPO)) <= set(SMOKE)
    assert all((REPO / "notebooks" / f"{name}.py").exists() for name in SMOKE)


@needs_data
@pytest.mark.slow
@pytest.mark.parametrize("name", list(SMOKE))
def test_notebook_runs_with_tiny_parameters(name, tmp_path, monkeypatch):
    shutil.copy(REPO / "_toc.yml", tmp_path / "_toc.yml")
    src = REPO / "notebooks" / f"{name}.py"
    (tmp_path / "notebooks" / src.relative_to(REPO / "notebooks")).parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(src, tmp_path / "notebooks" / f"{name}.py")
    monkeypatch.setenv("CONNECTIVITY_DATA", str(shared_data()))
    monkeypatch.setenv("CONNECTIVITY_CACHE", str(REPO / ".cache"))  # decoded data shared with the book
    monkeypatch.setenv("CONNECTIVITY_BUILD", str(tmp_path / "_build"))
    row = book.execute(name, tmp_path, "ci", cell_timeout=600, extra=SMOKE[name])
    assert row["status"] == "ok", row["error"]
    nb = json.loads((tmp_path / "book" / "executed" / f"{name}.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors
