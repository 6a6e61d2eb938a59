"""Profiles: unknown names and out-of-range values fail before any work."""

from __future__ import annotations

import pytest

from connectivity import profiles


def test_ci_and_paper_resolve_for_every_chapter():
    for chapter in profiles.PROFILES:
        for name in profiles.PROFILE_NAMES:
            p = profiles.resolve(chapter, name)
            assert p.profile == name


def test_unknown_profile_chapter_or_parameter():
    with pytest.raises(ValueError, match="unknown profile 'laptop'"):
        profiles.resolve("classifiers", "laptop")
    with pytest.raises(ValueError, match="unknown chapter"):
        profiles.resolve("nope", "ci")
    with pytest.raises(ValueError, match="unknown parameter 'n_pear'"):
        profiles.resolve("classifiers", "ci", n_pear=3)


def test_overrides_and_ranges():
    p = profiles.resolve("classifiers", "ci", n_examples=4, cifar10_vgg={"epochs": 1})
    assert p.n_examples == 4
    assert p.cifar10_vgg["epochs"] == 1 and p.cifar10_vgg["arch"] == "cifar_vgg16_bn"  # partial override
    assert profiles.resolve("classifiers", "ci", n_examples=None).n_examples == \
        profiles.PROFILES["classifiers"]["ci"]["n_examples"]
    with pytest.raises(ValueError, match="out of range"):
        profiles.resolve("classifiers", "ci", n_examples=0)


def test_model_configs_of_every_profile_are_valid():
    for name in profiles.PROFILE_NAMES:
        p = profiles.resolve("classifiers", name)
        for key in ("cifar10_resnet", "cifar10_vgg", "cifar100_vgg"):
            profiles.model_config(getattr(p, key))
