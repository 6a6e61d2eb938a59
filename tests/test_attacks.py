"""Adversarial attacks on cases with known answers: the benchmark's untargeted attacks
on a linear model (where the minimal perturbations are known) and the targeted attack of
Vrabel et al. §4.2 against a straight reimplementation of the official loop."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from connectivity import attacks
from connectivity.models import Normalize


def linear_two_class(seed=0, dim=48, n=400, dtype=torch.float32):
    """A linear 2-class model on inputs in [0.3, 0.7]^dim (no pixel clipping with eps
    0.03), and its correctly classified inputs with their labels and margins."""
    g = torch.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Flatten(), nn.Linear(dim, 2)).to(dtype)
    with torch.no_grad():
        model[1].weight.copy_(torch.randn(2, dim, generator=g))
        model[1].bias.zero_()
    x = (0.3 + 0.4 * torch.rand(n, 1, 1, dim, generator=g)).to(dtype)
    with torch.no_grad():
        logits = model(x)
    y = logits.argmax(1)
    margin = (logits.gather(1, y[:, None]) - logits.gather(1, 1 - y[:, None])).flatten()
    dw = model[1].weight[0] - model[1].weight[1]  # w_y - w_other, sign by label
    return model, x, y, margin, dw.detach()


@pytest.mark.parametrize("name", ["fgsm", "bim"])
def test_linf_attacks_succeed_exactly_where_the_budget_crosses_the_boundary(name):
    model, x, y, margin, dw = linear_two_class()
    cfg = attacks.UntargetedConfig(eps=0.03)
    res = attacks.untargeted_attack(model, x, y, name, cfg)
    # the optimal L-inf step lowers the margin by eps * ||w_y - w_other||_1
    expected = margin < cfg.eps * dw.abs().sum()
    # floating-point ties: in float32 a margin (a 48-term dot product, terms below ~3) and
    # the budget's drop are each off by at most ~48 * 3 * 6e-8 ~ 1e-5; 1e-3 is 100 times that
    near = (margin - cfg.eps * dw.abs().sum()).abs() < 1e-3
    assert expected.float().mean() > 0.1  # the case is not trivial
    assert bool((res.success == expected)[~near].all())
    assert res.linf.max() <= cfg.eps + 1e-6  # x0 + eps rounded in float32: < 6e-8 off


def test_pgd_has_foolbox_defaults_and_succeeds_where_its_steps_reach():
    """foolbox 3 LinfPGD: 40 steps of eps/30 from a uniform random start; every coordinate
    then sits at least (40/30 - 1) eps = eps/3 past the clean value in the optimal
    direction."""
    cfg = attacks.UntargetedConfig(eps=0.03)
    assert cfg.pgd_steps == 40 and cfg.pgd_rel_stepsize == pytest.approx(1 / 30)
    model, x, y, margin, dw = linear_two_class()
    res = attacks.untargeted_attack(model, x, y, "pgd", cfg)
    l1 = dw.abs().sum()
    # 1e-3: the float32 ties of the FGSM/BIM test above
    assert bool(res.success[margin < cfg.eps / 3 * l1 - 1e-3].all())
    assert not bool(res.success[margin > cfg.eps * l1 + 1e-3].any())


def test_deepfool_steps_just_past_the_linear_boundary():
    """In float64, so that the step's length is checked to 1e-7 of itself: the 1e-4 that
    foolbox adds to the distance (>= 1e-4 of the step here) and the overshoot (2 %) both
    count, where float32 rounding would have needed a tolerance of their size."""
    model, x, y, margin, dw = linear_two_class(dtype=torch.float64)
    res = attacks.untargeted_attack(model, x, y, "deepfool", attacks.UntargetedConfig())
    assert bool(res.success.all())
    # foolbox: one step of (|m| / ||dw|| + 1e-4) along dw, scaled by 1 + overshoot
    expected = (margin / dw.norm() + 1e-4) * 1.02
    # the 1e-8 that foolbox adds to the two norms it divides by changes the step by a
    # relative 1e-8 / ||dw|| < 1e-9 (||dw|| ~ 10); float64 rounding is far below that
    torch.testing.assert_close(res.l2, expected, rtol=1e-7, atol=0)


def test_carlini_wagner_binary_search_reaches_the_minimal_l2_distance():
    model, x, y, margin, dw = linear_two_class(n=60)
    adv, found, consts = attacks.carlini_wagner_l2(model, x, y, steps=300)
    minimal = margin / dw.norm()  # the L2 distance to the boundary
    assert bool(found.all())
    d = (adv - x).flatten(1).norm(dim=1)
    assert bool((d >= minimal - 1e-4).all())  # float32: ~1e-6 of a distance ~0.1-1
    assert float((d / minimal).median()) < 1.05  # the search ends near the boundary
    assert float(consts.max()) > 1e-2  # the constant grew from foolbox's 1e-3 where needed


def test_carlini_wagner_starts_its_search_at_a_small_constant():
    """With one search step at c = 1e-3 the distance term wins: hardly any adversarial."""
    model, x, y, margin, dw = linear_two_class(n=60)
    _, found_one, _ = attacks.carlini_wagner_l2(model, x, y, steps=100, binary_search_steps=1)
    _, found_many, _ = attacks.carlini_wagner_l2(model, x, y, steps=100, binary_search_steps=6)
    assert found_one.float().mean() < 0.2 < 0.9 < found_many.float().mean()


def test_unknown_attack_is_refused():
    model, x, y, _, _ = linear_two_class()
    with pytest.raises(ValueError, match="unknown attack"):
        attacks.untargeted_attack(model, x, y, "magic", attacks.UntargetedConfig())


# ---------------------------------------------------------------- targeted attack


def normalised_model(seed=0):
    torch.manual_seed(seed)
    body = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(64, 5))
    return nn.Sequential(Normalize((0.4, 0.5, 0.6), (0.2, 0.25, 0.3)), body).eval()


def official_loop(model, source, target, iterations, lr=0.005, lambda_mse=0.1, lambda_hf=1e-8):
    """A straight reimplementation of the official ``create_adversarial`` on one image,
    in normalised coordinates (the official tensors are normalised; its model takes them)."""
    norm, body = model[0], model[1]
    carrier = ((source - norm.mean) / norm.std).detach()
    z = carrier.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for _ in range(iterations):
        opt.zero_grad()
        ce = nn.functional.cross_entropy(body(z), target)
        d = z - carrier
        hf = (d[..., :, 1:] - d[..., :, :-1]).abs().sum() + (
            d[..., 1:, :] - d[..., :-1, :]
        ).abs().sum()
        (ce + lambda_mse * torch.mean(d**2) + lambda_hf * hf).backward()
        opt.step()
    return (norm.mean + norm.std * z).detach()


def test_targeted_attack_equals_the_official_loop_in_normalised_coordinates():
    """Both sides in float64. In float32 the comparison is not decidable: the iterate
    starts at the source, so after Adam's first step (+-lr in every coordinate) many
    neighbouring differences of z - z_K are zero up to rounding, and the TV term's
    gradient (their signs) then follows the rounding. A one-ulp change of the source moved
    the float32 result by 1.4e-3, as much as a 0.1 % change of the learning rate (1.8e-3);
    MKL and oneDNN capped at AVX2 alone moved it by 3.0e-4. In float64 the same
    one-ulp change moves it by 4.4e-16 and the two loops agree to 2.2e-16 (AVX-512 and the
    AVX2 cap alike), so 1e-10 leaves a margin of 1e5 for rounding and still fails every
    change of the algorithm tried, by far: lambda_mse +0.1 % (1.0e-5), lr or lambda_hf
    +0.1 % (1.8e-3 and 1.9e-3), one iteration fewer (2.1e-3), the penalty's sign flipped
    (1.5e-2), no TV term (8.0e-2)."""
    model = normalised_model().double()
    source = torch.rand(3, 3, 4, 4, generator=torch.Generator().manual_seed(1)).double()
    target = torch.tensor([1, 2, 3])
    cfg = attacks.TargetedAttackConfig(iterations=60, lambda_hf=1e-3)
    res = attacks.targeted_attack(model, source, target, None, cfg)
    assert res.x.dtype == torch.float64
    for i in range(3):
        ref = official_loop(model, source[i : i + 1], target[i : i + 1], 60, lambda_hf=1e-3)
        torch.testing.assert_close(res.x[i : i + 1], ref, rtol=0, atol=1e-10)
    # and not in pixel coordinates: the same settings there give a different image
    pixel = normalised_model()
    pixel[0] = Normalize((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
    pixel[1] = nn.Sequential(model[0], model[1])
    other = attacks.targeted_attack(pixel, source, target, None, cfg)
    assert (other.x - res.x).abs().max() > 1e-3


def test_targeted_attack_stops_below_the_real_modes_loss_after_33_iterations():
    model = normalised_model()
    source = torch.rand(4, 3, 4, 4, generator=torch.Generator().manual_seed(2))
    target = torch.tensor([0, 1, 2, 3])
    with torch.no_grad():
        start = nn.functional.cross_entropy(model(source), target, reduction="none")
    stop = start * 0.8
    res = attacks.targeted_attack(model, source, target, stop, attacks.TargetedAttackConfig())
    assert bool(res.stopped.all())
    assert bool((res.iterations >= 33).all())
    assert bool((res.loss < stop).all())


def test_targeted_attack_gets_below_the_mode_loss_on_a_tiny_net():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 3)).eval()
    with torch.no_grad():
        net[1].weight.mul_(5)  # logits can separate within the pixel box
    src = torch.rand(6, 3, 4, 4, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        target = (net(src).argmax(1) + 1) % 3
    stop = torch.full((6,), 0.3)  # the "real mode" loss to beat
    cfg = attacks.TargetedAttackConfig(lr=0.05, iterations=2000, lambda_hf=0.0, clamp_pixels=True)
    res = attacks.targeted_attack(net, src, target, stop, cfg)
    assert (res.loss < stop).all() and res.success.all()
    assert (res.x >= 0).all() and (res.x <= 1).all()


FOOLBOX_REFERENCES = Path(__file__).parent / "fixtures" / "foolbox_attacks.pt"


def foolbox_case() -> tuple[nn.Module, torch.Tensor, torch.Tensor]:
    """The small CNN (seeded), its images (8, 3, 8, 8) and their predicted labels (8,)."""
    torch.manual_seed(0)
    body = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 8 * 8, 4)
    )
    model = nn.Sequential(Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)), body).eval()
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(8, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    return model, x, model(x).argmax(1)


def foolbox_references(fb) -> dict[str, torch.Tensor]:
    """foolbox's DeepFool (float64, (8, 3, 8, 8)) and C&W (float32, one image at a time,
    (8, 3, 8, 8)) on :func:`foolbox_case`; ``fb`` is the foolbox module."""
    model, x, y = foolbox_case()
    model64, x64 = copy.deepcopy(model).double(), x.double()
    fmodel64 = fb.PyTorchModel(model64, bounds=(0, 1))
    _, deepfool, _ = fb.attacks.L2DeepFoolAttack()(
        fmodel64, x64, fb.criteria.Misclassification(y), epsilons=None
    )
    fmodel = fb.PyTorchModel(model, bounds=(0, 1))
    cw = fb.attacks.L2CarliniWagnerAttack(steps=20)
    refs = [
        cw(fmodel, x[i : i + 1], fb.criteria.Misclassification(y[i : i + 1]), epsilons=None)[1][0]
        for i in range(len(x))
    ]
    return {"deepfool": deepfool, "cw": torch.stack(refs)}


def test_deepfool_and_carlini_wagner_equal_foolbox():
    """The batched attacks equal foolbox 3's on a small CNN, image by image, except that
    foolbox returns an all-black image where C&W found no adversarial (this book keeps
    the clean image: a failure).

    DeepFool runs in float64 on both sides: they agree to 1.1e-16, a one-ulp change of
    the images moves the result by at most 4.4e-16, and an overshoot of 0.0201
    instead of 0.02 moves it by 5e-6, so 1e-10 separates rounding from a changed step.
    C&W stays in float32 (``carlini_wagner_l2`` keeps float32 running losses and norms):
    the two agree to 1.2e-7 here and under the AVX2 cap; a one-ulp change of the images
    moves the result by at most 3.6e-7 (its 9 x 20 Adam steps amplify rounding little: no
    kink at the start, unlike the TV term of the targeted attack); 2e-5 is 50 times that,
    and still fails a step size 0.1 % off (9e-5) or an initial constant 1 % off (4e-2).

    foolbox is not a dependency: its outputs are committed
    (``tests/fixtures/foolbox_attacks.pt``, made by ``make_foolbox_references.py`` beside
    it), and where foolbox is installed they are computed again and must equal the file."""
    model, x, y = foolbox_case()
    stored = torch.load(FOOLBOX_REFERENCES)
    try:
        import foolbox as fb  # optional: checks the committed references against foolbox
    except ImportError:
        refs = stored
    else:
        refs = foolbox_references(fb)
        torch.testing.assert_close(refs["deepfool"], stored["deepfool"], atol=1e-10, rtol=0)
        torch.testing.assert_close(refs["cw"], stored["cw"], atol=2e-5, rtol=0)
    model64, x64 = copy.deepcopy(model).double(), x.double()
    assert torch.equal(model64(x64).argmax(1), y)
    assert refs["deepfool"].dtype == torch.float64
    torch.testing.assert_close(
        attacks.deepfool(model64, x64, y), refs["deepfool"], atol=1e-10, rtol=0
    )
    mine, found, _ = attacks.carlini_wagner_l2(model, x, y, steps=20)
    for i in range(len(x)):
        if bool(found[i]):
            torch.testing.assert_close(mine[i], refs["cw"][i], atol=2e-5, rtol=0)
        else:
            assert float(refs["cw"][i].abs().max()) == 0.0  # foolbox's black-image fallback
