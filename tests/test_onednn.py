"""oneDNN's AVX2 1x1-convolution weight gradient (uxlfoundation/oneDNN#6035) and the
workaround of :func:`connectivity.models.to_channels_last`.

With torch 2.14.1 on an AVX2-only CPU, a 1x1 convolution of stride 2 with fewer input
channels than oneDNN's block (the smoke ResNet's 4 -> 8 shortcut) in channels_last
returns a wrong weight gradient, corrupts the heap or never returns from ``backward()``.
The book's machines have AVX-512, so the tests cap the instruction set
(``ONEDNN_MAX_CPU_ISA=AVX2``, ``ATEN_CPU_CAPABILITY=avx2``, read when torch is
imported: in a subprocess) and give it a timeout, so that a regression fails instead
of hanging.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch
from torch import nn

from connectivity.models import (
    BasicBlock,
    fold_batchnorm,
    keeps_standard_layout,
    to_channels_last,
    to_contiguous_format,
)
from connectivity.shared_classifiers import classifier_config
from connectivity.training import build_classifier

TESTS = Path(__file__).resolve().parent
# the instruction set of an AVX2-only CPU (AMD EPYC), as torch and oneDNN see it
AVX2 = {"ONEDNN_MAX_CPU_ISA": "AVX2", "ATEN_CPU_CAPABILITY": "avx2", "OMP_NUM_THREADS": "2"}
# a healthy run takes ~10 s (mostly importing torch); the bug's hang never ends
TIMEOUT_S = 120
# float32 against float64: each weight-gradient entry sums 64 * 16 * 16 = 16,384
# products, so float32 rounding (unit roundoff 6e-8, growing ~ sqrt(n) with blocked
# summation) leaves ~1e-6 of the gradient's largest entry (measured: 3e-7 to 4e-7 for a
# lone 4 -> 8 convolution). The kernel's corrupted gradients are off by 0.5 to 0.8 of it.
RTOL = 1e-4


def run_capped(code: str) -> str:
    """Run ``code`` in a fresh Python capped to AVX2 (2 threads); its stdout. Fails the
    test when it does not return within ``TIMEOUT_S`` or exits with an error."""
    try:
        proc = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(code)],
            env={**os.environ, **AVX2},
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"no result within {TIMEOUT_S} s under ONEDNN_MAX_CPU_ISA=AVX2: the oneDNN 1x1 "
            "weight-gradient hang (oneDNN#6035) is back (a convolution to_channels_last "
            "should keep in the standard layout ran in channels_last)"
        )
    assert proc.returncode == 0, (
        f"exit {proc.returncode} (heap corruption of oneDNN#6035 aborts):\n{proc.stderr[-3000:]}"
    )
    return proc.stdout


def gradient_errors(steps: int = 3, seed: int = 0) -> list[dict[str, float]]:
    """The smoke ResNet's stage2 block (3x3 4 -> 8 stride 2, 3x3 8 -> 8, shortcut 1x1
    4 -> 8 stride 2, batch norms) converted by :func:`to_channels_last`, ``steps``
    backward passes on (64, 4, 32, 32) inputs in channels_last: each conv's weight
    gradient's largest error against the same block in float64 on contiguous tensors,
    relative to the gradient's largest entry."""
    torch.manual_seed(seed)
    block = BasicBlock(4, 8, stride=2)
    ref = copy.deepcopy(block).double()
    assert to_channels_last(block) == 1
    errors = []
    for _ in range(steps):
        x, g = torch.randn(64, 4, 32, 32), torch.randn(64, 8, 16, 16)
        for m in (block, ref):
            m.zero_grad(set_to_none=True)
        (block(x.contiguous(memory_format=torch.channels_last)) * g).sum().backward()
        (ref(x.double()) * g.double()).sum().backward()
        errors.append(
            {
                name: float((conv.weight.grad.double() - r.weight.grad).abs().max())
                / float(r.weight.grad.abs().max())
                for (name, conv), r in zip(block.named_modules(), ref.modules())
                if isinstance(conv, nn.Conv2d)
            }
        )
    return errors


def _assert_close(errors: list[dict[str, float]]) -> None:
    for step, errs in enumerate(errors):
        assert errs.keys() == {"conv1", "conv2", "shortcut.0"}
        bad = {k: e for k, e in errs.items() if not e <= RTOL}
        assert not bad, f"backward pass {step}: weight gradients off by {bad} (max |grad|)"


def test_ci_resnet_is_all_channels_last_and_smoke_keeps_its_small_shortcuts():
    ci = build_classifier(classifier_config("ci", "cifar10_resnet"))
    plain = copy.deepcopy(ci).to(memory_format=torch.channels_last)
    assert to_channels_last(ci) == 0
    assert not any(m._forward_pre_hooks for m in ci.modules())
    # the same strides as a plain conversion: the ci weights train bit-identically
    assert [p.stride() for p in ci.parameters()] == [p.stride() for p in plain.parameters()]

    smoke = build_classifier(classifier_config("smoke", "cifar10_resnet"))
    assert to_channels_last(smoke) == 2  # 4 -> 8 and 8 -> 16 (fewer than 16 channels)
    kept = {n for n, m in smoke.named_modules() if keeps_standard_layout(m)}
    assert kept == {"stage2.0.shortcut.0", "stage3.0.shortcut.0"}
    short = smoke.stage2[0].shortcut[0]
    assert (short.in_channels, short.out_channels, short.stride) == (4, 8, (2, 2))
    for name, m in smoke.named_modules():
        if isinstance(m, nn.Conv2d):
            standard = m.weight.stride() == torch.empty(m.weight.shape).stride()
            assert standard == (name in kept), name
            assert bool(m._forward_pre_hooks) == (name in kept), name


def test_converted_model_keeps_names_copies_folds_and_converts_back():
    torch.manual_seed(0)
    model = build_classifier(classifier_config("smoke", "cifar10_resnet")).eval()
    keys = list(model.state_dict())
    x = torch.rand(8, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
        to_channels_last(model)
        assert to_channels_last(model) == 2  # idempotent: one hook per convolution
        assert list(model.state_dict()) == keys
        assert all(len(m._forward_pre_hooks) <= 1 for m in model.modules())
        xc = x.contiguous(memory_format=torch.channels_last)
        torch.testing.assert_close(model(xc), expected)
        torch.testing.assert_close(copy.deepcopy(model)(xc), expected)
        torch.testing.assert_close(fold_batchnorm(model)(xc), expected, rtol=1e-4, atol=1e-5)
        to_contiguous_format(model)
        assert not any(m._forward_pre_hooks for m in model.modules())
        assert all(p.is_contiguous() for p in model.parameters())
        torch.testing.assert_close(model(x), expected)


def test_small_strided_1x1_weight_gradient_equals_float64():
    """Without a cap (this machine's own kernels)."""
    _assert_close(gradient_errors())


def test_small_strided_1x1_weight_gradient_equals_float64_on_avx2():
    out = run_capped(
        f"""
        import json, sys, torch
        torch.set_num_threads(2)
        assert torch.backends.cpu.get_cpu_capability() == "AVX2"
        sys.path.insert(0, {str(TESTS)!r})
        from test_onednn import gradient_errors
        print(json.dumps(gradient_errors()))
        """
    )
    _assert_close(json.loads(out.splitlines()[-1]))


def test_smoke_resnet_trains_on_avx2():
    """``training.fit`` of the smoke ResNet (its 4 -> 8 shortcut) returns: 4 optimiser
    steps and the FLOP count's backward pass, on synthetic images."""
    out = run_capped(
        """
        import dataclasses, torch
        torch.set_num_threads(2)
        assert torch.backends.cpu.get_cpu_capability() == "AVX2"
        from connectivity.shared_classifiers import classifier_config
        from connectivity.data import Dataset
        from connectivity.training import build_classifier, fit
        cfg = dataclasses.replace(classifier_config("smoke", "cifar10_resnet"), precision="fp32")
        g = torch.Generator().manual_seed(0)
        n = cfg.train_subset
        train = Dataset(
            "cifar10", "train", torch.rand(n, 3, 32, 32, generator=g),
            torch.randint(0, 10, (n,), generator=g), [str(i) for i in range(10)], "synthetic",
        )
        model = build_classifier(cfg)
        steps = []
        history = fit(model, cfg, train, on_step=lambda s, m: steps.append(s), progress=False)
        assert steps == [1, 2, 3, 4], steps
        assert not any(m._forward_pre_hooks for m in model.modules())
        assert all(torch.isfinite(p).all() for p in model.parameters())
        print("trained", len(steps), "steps, loss", history.train_loss)
        """
    )
    assert "trained 4 steps" in out
