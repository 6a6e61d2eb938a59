"""Lancione chapter: settings per notebook, paper values, the study's model specs."""

from __future__ import annotations

import pytest

from connectivity.papers import paper_value
from connectivity.papers.lancione.future_work import FutureWorkSettings
from connectivity.papers.lancione.methods import MethodsSettings
from connectivity.papers.lancione.question import QuestionSettings
from connectivity.papers.lancione.results import ResultsSettings
from connectivity.papers.lancione.trainings import (
    HARD_PAIRS,
    model_spec,
    survey_pairs,
    train_config,
)
from connectivity.papers.lancione.values import VALUES
from connectivity.settings import ParameterError


def test_paper_defaults_are_the_original_codes():
    s = MethodsSettings.resolve("paper")
    t = s.training
    assert (t.batch_size, t.lr, t.weight_decay, t.noise) == (8, 1e-2, 1e-6, 0.3)
    assert (t.epochs_ae, t.epochs_dae, t.epochs_linear, t.subset, t.tie) == (
        20,
        20,
        25,
        "faithful",
        "alias",
    )
    vae = QuestionSettings.resolve("paper").vae
    assert (vae.hidden, vae.latent, vae.lr, vae.batch_size, vae.epochs) == (256, 2, 1e-4, 16, 30)
    assert vae.shared_noise and vae.train_images == 60_000
    assert ResultsSettings.resolve("paper").survey.epochs == 20


def test_the_study_models_are_defined_once():
    t = MethodsSettings.resolve("paper").training
    lin = model_spec("PCA", t)
    assert (lin.kind, lin.hidden, lin.tie) == ("linear", (2,), "alias")
    assert model_spec("AE", t).hidden == (128, 32) and model_spec("DAE", t).activation == "tanh"
    assert train_config("DAE", t).noise == 0.3 and train_config("AE", t).noise == 0.0
    assert train_config("PCA", t).epochs == 25
    with pytest.raises(ValueError):
        model_spec("VAE", t)


def test_survey_and_results_pages_share_the_survey_in_every_profile():
    for profile in ("paper", "ci", "smoke", "smoke-paper"):
        a, b = ResultsSettings.resolve(profile), FutureWorkSettings.resolve(profile)
        assert a.survey == b.survey and a.training == b.training


def test_survey_pairs_keep_the_hard_pairs():
    assert len(survey_pairs(45)) == 45
    small = survey_pairs(4)
    assert len(small) == 4 and all(p in small for p in HARD_PAIRS)


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError):
        MethodsSettings.resolve("ci", digits=[3, 3])
    with pytest.raises(ParameterError):
        ResultsSettings.resolve("ci", survey={"pairs": 50})
    with pytest.raises(ParameterError):
        MethodsSettings.resolve("ci", training={"noise": 2.0})
    with pytest.raises(ParameterError):
        QuestionSettings.resolve("ci", vae={"epoch": 3})


def test_every_lancione_value_is_registered_with_its_place_in_the_report():
    assert VALUES and all(pid.startswith("lancione.") for pid in VALUES)
    for pid, pv in VALUES.items():
        assert paper_value(pid) is pv and pv.where and pv.metric
    assert paper_value("lancione.silhouette.pca").value == 0.47
