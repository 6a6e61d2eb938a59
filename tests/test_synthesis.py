"""Class-optimal inputs (feature visualisation by optimisation) on a tiny network."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from connectivity.synthesis import SynthesisConfig, optimal_inputs


@pytest.mark.parametrize("jitter", [0, 1])
def test_optimal_inputs_reach_the_threshold_and_report_their_own_loss(jitter):
    torch.manual_seed(0)
    # a linear classifier: every class is reachable, so the threshold must be met
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 32 * 32, 10)).eval()
    target = torch.tensor([0, 3, 7])
    cfg = SynthesisConfig(lr=0.05, weight_decay=0.0, iterations=300, threshold=1e-2, jitter=jitter)
    out = optimal_inputs(model, target, (3, 32, 32), cfg)
    with torch.no_grad():
        ce = F.cross_entropy(model(out["x"]), target, reduction="none")
    torch.testing.assert_close(out["loss"], ce, rtol=1e-4, atol=1e-6)  # the loss of the returned inputs
    assert bool((out["loss"] < cfg.threshold).all())
    assert bool((out["iterations"] < cfg.iterations).all())
    assert any(p.requires_grad for p in model.parameters())  # the caller's model is left as it was
