"""CPU floating-point settings (connectivity.numerics)."""

from __future__ import annotations

import pytest
import torch

from connectivity.numerics import denormals_flushed

SUBNORMAL = 1e-39  # below float32's smallest normal number, ~1.18e-38


def test_subnormals_are_flushed_inside_the_block_and_kept_after():
    x = torch.tensor([SUBNORMAL, 1.0])
    assert (x * 1.0)[0].item() > 0, "a subnormal float32 survives by default"
    with denormals_flushed():
        if (x * 1.0)[0].item() != 0:
            pytest.skip("this CPU cannot flush subnormals")
        assert (x * 1.0)[1].item() == 1.0  # normal numbers are untouched
    assert (x * 1.0)[0].item() > 0, "the default is restored after the block"


def test_the_setting_is_restored_when_the_block_raises():
    x = torch.tensor([SUBNORMAL])
    with pytest.raises(RuntimeError), denormals_flushed():
        raise RuntimeError("boom")
    assert (x * 1.0).item() > 0
