"""Small fully connected autoencoders, many trained at once (Lancione §2, ``ae.ipynb``).

The study trains with batch size 8, so one training is dominated by per-step overhead
and by the optimiser's pass over ~200k weights. Here ``M`` independent models - other
seeds, other digit pairs - are stacked along a leading axis and trained in one loop with
batched matrix products and a *masked* fused Adam: a model whose epoch has run out of
batches is not updated at all (no momentum drift), so each model follows the trajectory
it would follow on its own, up to floating-point order (a test checks this).

Architectures (:class:`AESpec`):

* ``kind="ae"``: 784 -> 128 -> 32 -> d -> 32 -> 128 -> 784, untied, ``activation`` after
  every encoder layer *including* the latent (tanh: codes in (-1, 1)^d) and on the
  decoder's hidden layers, a sigmoid on the output (Lancione, Tab. 1);
* ``kind="linear"``: no activations, no sigmoid, decoder weights tied to the encoder's
  (transposed): PCA written as a linear autoencoder (Lancione §2.3). ``ae.ipynb`` builds
  it with ``HIDDEN_DIM = [2]``, i.e. 784 -> 2 -> 2 -> 2 -> 784 (``hidden=(2,)``).

How tied weights train (``tie``): ``ae.ipynb`` ties a decoder layer by assigning
``nn.Parameter(encoder.weight.transpose(0, 1))``. That Parameter shares the encoder
weight's storage but is a *separate* leaf with its own gradient (the decoder's part of
the chain rule) and its own Adam moments, so every step Adam updates the shared weight
twice - once with the encoder's gradient, once with the decoder's (``tie="alias"``, the
original's behaviour, checked against ``torch.optim.Adam`` on ``nn`` modules in the
tests). ``tie="shared"`` is the textbook tied autoencoder: one weight, the two gradients
summed, one Adam update.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import torch
import torch.nn.functional as F

from ..caching import cached, tensor_fingerprint
from ..numerics import denormals_flushed
from ..progress import progress

Kind = Literal["ae", "linear"]
Activation = Literal["tanh", "relu"]
Tie = Literal["alias", "shared"]


@dataclass(frozen=True)
class AESpec:
    """An autoencoder architecture (see the module docstring)."""

    kind: Kind = "ae"
    latent: int = 2
    hidden: tuple[int, ...] = (128, 32)
    activation: Activation = "tanh"  # kind "ae" only
    n_in: int = 784
    tie: Tie = "alias"  # kind "linear" only

    def __post_init__(self) -> None:
        if self.kind not in ("ae", "linear") or self.activation not in ("tanh", "relu"):
            raise ValueError(f"bad autoencoder spec {self}")
        if self.tie not in ("alias", "shared"):
            raise ValueError(f"tie must be 'alias' or 'shared', got {self.tie!r}")
        if self.latent < 1 or self.n_in < 1 or any(h < 1 for h in self.hidden):
            raise ValueError(f"layer sizes must be >= 1: {self}")
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))

    @property
    def encoder_dims(self) -> list[tuple[int, int]]:
        """(in, out) of each encoder layer."""
        dims = [self.n_in, *self.hidden, self.latent]
        return list(zip(dims[:-1], dims[1:]))

    @property
    def decoder_dims(self) -> list[tuple[int, int]]:
        """(in, out) of each decoder layer."""
        return [(o, i) for i, o in reversed(self.encoder_dims)]

    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes (without the model axis) of all stored parameters, in storage order:
        (weight (in, out), bias (1, out)) per encoder layer, then per decoder layer - for
        the linear kind only the decoder biases (its weights are the encoder's)."""
        out = []
        for i, o in self.encoder_dims:
            out += [(i, o), (1, o)]
        for i, o in self.decoder_dims:
            out += [(1, o)] if self.kind == "linear" else [(i, o), (1, o)]
        return out


class _BatchedLinear(torch.autograd.Function):
    """``baddbmm(b, x, w)`` for x (M, B, i), w (M, i, o), b (M, 1, o), with a backward that
    multiplies contiguous copies: ``bmm`` on a transposed batch is ~5x slower on CPU."""

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        return torch.baddbmm(b, x, w)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        grad = grad.contiguous()
        gx = torch.bmm(grad, w.transpose(1, 2)) if ctx.needs_input_grad[0] else None
        gw = torch.bmm(x.transpose(1, 2).contiguous(), grad) if ctx.needs_input_grad[1] else None
        gb = grad.sum(1, keepdim=True) if ctx.needs_input_grad[2] else None
        return gx, gw, gb


def _linear(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    if torch.is_grad_enabled() and (w.requires_grad or b.requires_grad or x.requires_grad):
        return _BatchedLinear.apply(x, w, b)
    return torch.baddbmm(b, x, w)


def _act(name: str):
    return {"tanh": torch.tanh, "relu": F.relu}[name]


class StackedAE:
    """``M`` autoencoders of one :class:`AESpec`; every parameter is one (M, *shape) tensor.

    >>> model = StackedAE(AESpec(), seeds=[0, 1, 2])
    >>> model.encode(torch.rand(3, 5, 784)).shape
    torch.Size([3, 5, 2])
    """

    def __init__(self, spec: AESpec, seeds: list[int]):
        self.spec, self.seeds = spec, list(seeds)
        per_model = []
        for seed in seeds:
            # nn.Linear's default init (U(-1/sqrt(fan_in), 1/sqrt(fan_in))), per model
            g = torch.Generator().manual_seed(seed)
            parts = []

            def uniform(shape, fan_in, g=g):
                bound = 1 / math.sqrt(fan_in)
                return torch.rand(shape, generator=g) * 2 * bound - bound

            for i, o in spec.encoder_dims:
                parts += [uniform((i, o), i), uniform((1, o), i)]
            for i, o in spec.decoder_dims:
                if spec.kind == "linear":
                    parts.append(uniform((1, o), i))
                else:
                    parts += [uniform((i, o), i), uniform((1, o), i)]
            per_model.append(parts)
        self.params = [torch.stack(ps) for ps in zip(*per_model)]

    @property
    def n_models(self) -> int:
        return self.params[0].shape[0]

    @property
    def n_encoder(self) -> int:
        return len(self.spec.encoder_dims)

    def select(self, m: int) -> list[torch.Tensor]:
        """Parameters of model ``m`` alone, each (1, *shape)."""
        return [p[m : m + 1] for p in self.params]

    def tied_weights(self, params: list[torch.Tensor]) -> list[torch.Tensor]:
        """The encoder weights (linear kind: the ones the decoder uses transposed)."""
        return [params[2 * i] for i in range(self.n_encoder)]

    def encode(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """x (M, B, 784) -> latent codes (M, B, d)."""
        p = self.params if params is None else params
        h = x
        act = None if self.spec.kind == "linear" else _act(self.spec.activation)
        for i in range(self.n_encoder):
            h = _linear(h, p[2 * i], p[2 * i + 1])
            h = h if act is None else act(h)
        return h

    def decode(
        self,
        z: torch.Tensor,
        params: list[torch.Tensor] | None = None,
        decoder_weights: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """latent codes (M, B, d) -> reconstructions (M, B, 784). ``decoder_weights``
        (linear kind) replaces the tied encoder weights in the decoder (training of
        ``tie="alias"``: the same values as separate leaves)."""
        p = self.params if params is None else params
        n = self.n_encoder
        h = z
        if self.spec.kind == "linear":
            weights = self.tied_weights(p) if decoder_weights is None else decoder_weights
            for j in range(n):
                w = weights[n - 1 - j]
                h = _linear(h, w.transpose(1, 2), p[2 * n + j])
            return h
        act = _act(self.spec.activation)
        for j in range(n):
            h = _linear(h, p[2 * (n + j)], p[2 * (n + j) + 1])
            h = torch.sigmoid(h) if j == n - 1 else act(h)
        return h

    def forward(self, x, params=None, decoder_weights=None):
        return self.decode(self.encode(x, params), params, decoder_weights)


# ------------------------------------------------------------------------- training
@dataclass(frozen=True)
class AETrainConfig:
    """Training settings; defaults are the study's (Lancione, Tab. 1; ``ae.ipynb``)."""

    epochs: int = 20
    batch_size: int = 8
    lr: float = 1e-2
    weight_decay: float = 1e-6  # Adam's L2 term (torch.optim.Adam(weight_decay=...))
    noise: float = 0.0  # denoising: inputs clip(x + noise * N(0, 1), 0, 1)
    seed: int = 0  # batch order and noise

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1 or not self.lr > 0:
            raise ValueError(f"bad training config {self}")
        if self.noise < 0 or self.weight_decay < 0:
            raise ValueError(f"noise and weight decay must be >= 0: {self}")


@dataclass
class TrainedStack:
    """What :func:`train_stacked` returns: the trained models and per-epoch losses."""

    model: StackedAE
    train_loss: torch.Tensor  # (M, epochs)
    val_loss: torch.Tensor  # (M, epochs); noisy inputs for a denoising AE

    @property
    def final_val_loss(self) -> torch.Tensor:
        return self.val_loss[:, -1]


class _MaskedAdam:
    """``torch.optim.Adam`` (L2 weight decay) on the rows (models) of stacked tensors:
    one fused kernel per step, per-model step counts, inactive models untouched."""

    def __init__(self, params: list[torch.Tensor], betas=(0.9, 0.999), eps=1e-8):
        self.params = params
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]
        n_models = params[0].shape[0]
        self.steps = torch.zeros(n_models)
        self.betas, self.eps = betas, eps
        # per-model row views, built once (every tensor is updated in place)
        with torch.no_grad():
            self.rows = [
                [(p[k], m[k], v[k], self.steps[k]) for p, m, v in zip(params, self.m, self.v)]
                for k in range(n_models)
            ]

    @torch.no_grad()
    def step(self, grads: list[torch.Tensor], active: torch.Tensor, lr: float, wd: float) -> None:
        self.steps += active.to(self.steps.dtype)
        models = active.nonzero().flatten().tolist()
        if not models:
            return
        rows = [r for k in models for r in self.rows[k]]
        grads = [g.contiguous() for g in grads]  # the fused kernel ignores strides
        g_rows = [g[k] for k in models for g in grads]
        torch._fused_adam_(
            [r[0] for r in rows],
            g_rows,
            [r[1] for r in rows],
            [r[2] for r in rows],
            [],
            [r[3] for r in rows],
            amsgrad=False,
            lr=lr,
            beta1=self.betas[0],
            beta2=self.betas[1],
            weight_decay=wd,
            eps=self.eps,
            maximize=False,
        )


def _linear_moment_loss(
    model: StackedAE,
    params: list[torch.Tensor],
    decoder_weights: list[torch.Tensor] | None,
    gram: torch.Tensor,
    total: torch.Tensor,
    n: torch.Tensor,
) -> torch.Tensor:
    """Full-batch MSE (M,) of linear autoencoders from the data's moments alone.

    With codes Z = X E + 1 beta and reconstructions Z D + 1 gamma (E, D the products of
    the encoder and decoder weights, beta, gamma the propagated biases), the residual is
    X (I - E D) - 1 delta with delta = beta D + gamma, so its squared norm needs only
    the Gram matrix S = X^T X (gram, (M, 784, 784)), the column sums s = X^T 1 (total,
    (M, 1, 784)) and n: tr S - 2 tr(D S E) + <E^T S E, D D^T> - 2 (s.delta - (s E).(D delta^T))
    + n |delta|^2. Computed in float64: the terms cancel to a small residual."""
    p = [t.double() for t in params]
    k = model.n_encoder
    weights = (
        model.tied_weights(p) if decoder_weights is None else [w.double() for w in decoder_weights]
    )
    enc, beta = p[0], p[1]
    for i in range(1, k):
        enc, beta = enc @ p[2 * i], beta @ p[2 * i] + p[2 * i + 1]
    dec, gamma = None, None
    for j in range(k):
        w = weights[k - 1 - j].transpose(1, 2)
        dec = w if dec is None else dec @ w
        gamma = p[2 * k + j] if gamma is None else gamma @ w + p[2 * k + j]
    delta = beta @ dec + gamma  # (M, 1, 784)
    gram_enc = gram @ enc  # (M, 784, d)
    trace_s = gram.diagonal(dim1=1, dim2=2).sum(1)
    cross = (dec @ gram_enc).diagonal(dim1=1, dim2=2).sum(1)
    square = ((enc.transpose(1, 2) @ gram_enc) * (dec @ dec.transpose(1, 2))).sum((1, 2))
    linear = (total * delta).sum((1, 2)) - ((total @ enc) @ (dec @ delta.transpose(1, 2))).view(-1)
    nd = n.double()
    sq = trace_s - 2 * cross + square - 2 * linear + nd * (delta**2).sum((1, 2))
    return (sq / (nd * model.spec.n_in)).float()


def train_stacked(
    spec: AESpec,
    seeds: list[int],
    xs: list[torch.Tensor],
    cfg: AETrainConfig,
    x_vals: list[torch.Tensor] | None = None,
    init: list[torch.Tensor] | None = None,
    desc: str = "autoencoders",
) -> TrainedStack:
    """Train one autoencoder per (seed, data) pair, all at once.

    xs: M tensors (n_m, 784) of training images; seeds: M init seeds (also the batch
    order and noise streams, with ``cfg.seed``); ``init``: parameters to start from
    instead (e.g. to continue a training with another learning rate). Each model's loss
    is the mean squared error over its own batch (``nn.MSELoss``), optimised with Adam
    as ``torch.optim.Adam(lr, weight_decay)``; ``x_vals`` gives per-epoch validation
    losses (on noised inputs when ``cfg.noise``, as ``ae.ipynb``).
    """
    if len(xs) != len(seeds):
        raise ValueError("one training set per seed")
    model = StackedAE(spec, seeds)
    # One thread, subnormals flushed to zero: the Adam moments and the sigmoid-output
    # gradients of the always-black MNIST pixels decay into the subnormal range, where
    # the CPU is ~25x slower. Flushing is per thread (PyTorch sets it on the calling
    # thread only), so a second worker thread would keep the slow path; measured on the
    # methods page's trainings, one flushed thread takes 104 s where two unflushed took 358 s.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with denormals_flushed():
            return _train(model, spec, seeds, xs, cfg, x_vals, init, desc)
    finally:
        torch.set_num_threads(threads)


def _train(model, spec, seeds, xs, cfg, x_vals, init, desc) -> TrainedStack:
    if init is not None:
        model.params = [p.detach().clone() for p in init]
    n_models = model.n_models
    n = torch.tensor([len(x) for x in xs])
    nmax = int(n.max())
    data = torch.zeros(n_models, nmax, spec.n_in)
    for k, x in enumerate(xs):
        data[k, : len(x)] = x
    # one generator per model (batch order and noise), so that a model trained in a stack
    # follows exactly the trajectory it follows when trained alone
    gens = [torch.Generator().manual_seed(cfg.seed * 1_000_003 + s) for s in seeds]
    params = [p.requires_grad_(True) for p in model.params]
    alias = spec.kind == "linear" and spec.tie == "alias"
    # tie="alias": the decoder's copies of the tied weights are separate leaves on the same
    # storage, with their own gradients and Adam moments (ae.ipynb's nn.Parameter(W.T))
    dec_leaves = (
        [w.detach().requires_grad_(True) for w in model.tied_weights(params)] if alias else []
    )
    adam = _MaskedAdam(params)
    adam_dec = _MaskedAdam(dec_leaves) if alias else None
    bs = cfg.batch_size
    steps = int(math.ceil(nmax / bs))
    moments = None
    if steps == 1 and spec.kind == "linear" and cfg.noise == 0:
        d64 = data.double()
        moments = (d64.transpose(1, 2) @ d64, d64.sum(1, keepdim=True), n)
    train_loss = torch.zeros(n_models, cfg.epochs)
    val_loss = torch.zeros(n_models, cfg.epochs)
    index = torch.arange(n_models).view(n_models, 1)
    bar = progress(total=cfg.epochs * steps, desc=desc)
    for ep in range(cfg.epochs):
        full_batch = steps == 1  # one step per epoch: the order of the images does not matter
        if not full_batch:
            perm = torch.zeros(n_models, nmax, dtype=torch.long)
            for k in range(n_models):
                perm[k, : n[k]] = torch.randperm(int(n[k]), generator=gens[k])
        loss_sum = torch.zeros(n_models)
        for s in range(steps):
            pos = torch.arange(s * bs, min((s + 1) * bs, nmax))
            valid = pos.view(1, -1) < n.view(-1, 1)  # (M, B)
            active = valid.any(1)
            xb = data if full_batch else data[index, perm[:, pos]]  # (M, B, 784)
            inp = xb
            if cfg.noise > 0:
                eps = torch.zeros_like(xb)
                for k in active.nonzero().flatten().tolist():
                    count = int(valid[k].sum())
                    eps[k, :count] = torch.randn((count, spec.n_in), generator=gens[k])
                inp = (xb + cfg.noise * eps).clamp(0, 1)
            if moments is not None:  # linear kind, full batch: the exact loss from the moments
                per_model = _linear_moment_loss(model, params, dec_leaves or None, *moments)
            else:
                out = model.forward(inp, params, dec_leaves if alias else None)
                err = ((out - xb) ** 2).mean(2) * valid  # (M, B)
                per_model = err.sum(1) / valid.sum(1).clamp(min=1)  # each model's own batch mean
            grads = torch.autograd.grad(per_model.sum(), params + dec_leaves)
            adam.step(list(grads[: len(params)]), active, cfg.lr, cfg.weight_decay)
            if alias:
                adam_dec.step(list(grads[len(params) :]), active, cfg.lr, cfg.weight_decay)
            loss_sum += per_model.detach() * valid.sum(1)
            bar.update(1)
        train_loss[:, ep] = loss_sum / n
        if x_vals is not None:
            with torch.no_grad():
                val_loss[:, ep] = torch.tensor(
                    [
                        reconstruction_loss(
                            model, [p[k : k + 1] for p in params], xv, cfg.noise, cfg.seed
                        )
                        for k, xv in enumerate(x_vals)
                    ]
                )
    bar.close()
    model.params = [p.detach() for p in params]
    return TrainedStack(model, train_loss, val_loss)


@torch.no_grad()
def reconstruction_loss(
    model: StackedAE, params: list[torch.Tensor], x: torch.Tensor, noise: float = 0.0, seed: int = 0
) -> float:
    """MSE on x (n, 784) of the single model ``params``; inputs noised with a fixed seed
    for a denoising autoencoder (the target is always the clean image)."""
    inp = x
    if noise > 0:
        g = torch.Generator().manual_seed(10_000 + seed)
        inp = (x + noise * torch.randn(x.shape, generator=g)).clamp(0, 1)
    out = model.forward(inp.unsqueeze(0), params)[0]
    return F.mse_loss(out, x).item()


@torch.no_grad()
def encode_each(model: StackedAE, xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Latent codes of model m on xs[m] (n_m, 784) -> list of (n_m, d)."""
    return [model.encode(x.unsqueeze(0), model.select(k))[0] for k, x in enumerate(xs)]


@torch.no_grad()
def reconstruct_each(model: StackedAE, xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Reconstructions of model m of xs[m] (n_m, 784) -> list of (n_m, 784)."""
    return [model.forward(x.unsqueeze(0), model.select(k))[0] for k, x in enumerate(xs)]


def train_cached(
    spec: AESpec,
    cfg: AETrainConfig,
    seeds: list[int],
    xs: list[torch.Tensor],
    x_vals: list[torch.Tensor] | None,
    key: dict,
    init: TrainedStack | None = None,
    desc: str = "autoencoders",
) -> TrainedStack:
    """:func:`train_stacked`, cached by the spec, the config, the seeds and ``key`` (which
    must name the data completely, e.g. the digit pairs and the subset rule)."""
    params = {
        "spec": asdict(spec),
        "cfg": asdict(cfg),
        "seeds": list(seeds),
        "data": key,
        "init": None if init is None else tensor_fingerprint(init.model.params),
        "algorithm": 4,  # bump when train_stacked changes (4: subnormals flushed, one thread)
    }

    def compute():
        start = None if init is None else init.model.params
        res = train_stacked(spec, seeds, xs, cfg, x_vals, start, desc)
        return {"params": res.model.params, "train_loss": res.train_loss, "val_loss": res.val_loss}

    out = cached("lancione-ae", params, compute)
    model = StackedAE.__new__(StackedAE)
    model.spec, model.seeds, model.params = spec, list(seeds), out["params"]
    return TrainedStack(model, out["train_loss"], out["val_loss"])
