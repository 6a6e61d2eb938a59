"""Small autoencoders on pairs of MNIST digits, many trained at once (Lancione).

The study trains fully connected autoencoders with batch size 8, so a single
training is dominated by per-step overhead. Here ``M`` independent models - other
seeds, other digit pairs - are stacked along a leading axis and trained in one loop
with batched matrix products and a *masked* Adam: a model whose epoch has run out
of batches is not updated at all (no momentum drift), so each model follows exactly
the trajectory it would follow on its own, up to floating-point order.

Architectures (``kind``):

* ``"ae"``:  784 -> 128 -> 32 -> d -> 32 -> 128 -> 784, untied, ``activation`` after
  every encoder layer *including* the latent (tanh: latent in (-1, 1)^d), on the
  decoder's hidden layers, and a sigmoid on the output (Lancione, Tab. 1);
* ``"linear"``: 784 -> d -> 784, no activations, tied weights (decoder = encoder
  transposed): PCA written as a linear autoencoder (Lancione, §2.3).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from .caching import cached
from .data import Dataset
from .progress import progress


# ---------------------------------------------------------------------------- data
def digit_pair(train: Dataset, test: Dataset, digits: tuple[int, int], subset: str = "faithful",
               train_limit: int = 8000, test_limit: int = 4000):
    """Images of two digits, flattened: (x_train (n, 784), y_train (n,), x_val, y_val).

    ``subset="faithful"`` keeps what the original code keeps: the images of the two
    digits *among the first* ``train_limit`` training and ``test_limit`` test images
    (about 1.5-1.8k and 0.8-0.9k samples). ``"full"`` keeps every image of the two
    digits. The validation set is (part of) the MNIST test split.
    """
    if subset not in ("faithful", "full"):
        raise ValueError(f"subset must be 'faithful' or 'full', got {subset!r}")
    if len(set(digits)) != 2 or not all(0 <= d <= 9 for d in digits):
        raise ValueError(f"need two different digits in 0..9, got {digits}")
    out = []
    for ds, limit in ((train, train_limit), (test, test_limit)):
        keep = (ds.y == digits[0]) | (ds.y == digits[1])
        if subset == "faithful":
            keep[limit:] = False
        out += [ds.x[keep].flatten(1), ds.y[keep]]
    return tuple(out)


# ---------------------------------------------------------------------------- model
@dataclass(frozen=True)
class AESpec:
    """An autoencoder architecture (see the module docstring)."""

    kind: str = "ae"  # "ae" or "linear"
    latent: int = 2
    hidden: tuple = (128, 32)
    activation: str = "tanh"  # "tanh" or "relu" (kind "ae" only)
    n_in: int = 784

    def layer_dims(self) -> list[tuple[int, int]]:
        """(in, out) of each weight matrix stored (the linear kind stores only the encoder)."""
        if self.kind == "linear":
            return [(self.n_in, self.latent)]
        enc = [self.n_in, *self.hidden, self.latent]
        dec = enc[::-1]
        return list(zip(enc[:-1], enc[1:])) + list(zip(dec[:-1], dec[1:]))

    def shapes(self) -> list[tuple[int, ...]]:
        """Shapes (without the model axis) of all parameters, in storage order."""
        out = []
        for i, o in self.layer_dims():
            out += [(i, o), (1, o)]
        if self.kind == "linear":
            out.append((1, self.n_in))  # decoder bias
        return out


def _act(name: str):
    return {"tanh": torch.tanh, "relu": F.relu}[name]


class StackedAE:
    """``M`` autoencoders of one :class:`AESpec`; every parameter is one (M, *shape) tensor."""

    def __init__(self, spec: AESpec, seeds: list[int]):
        if spec.kind not in ("ae", "linear") or spec.activation not in ("tanh", "relu"):
            raise ValueError(f"bad autoencoder spec {spec}")
        self.spec, self.seeds = spec, list(seeds)
        per_model = []
        for seed in seeds:
            # nn.Linear's default init, drawn per model from its own seed
            g = torch.Generator().manual_seed(seed)
            parts = []
            for fan_in, fan_out in spec.layer_dims():
                bound = 1 / math.sqrt(fan_in)
                parts += [torch.rand((fan_in, fan_out), generator=g) * 2 * bound - bound,
                          torch.rand((1, fan_out), generator=g) * 2 * bound - bound]
            if spec.kind == "linear":
                bound = 1 / math.sqrt(spec.latent)
                parts.append(torch.rand((1, spec.n_in), generator=g) * 2 * bound - bound)
            per_model.append(parts)
        self.params = [torch.stack(ps) for ps in zip(*per_model)]

    @property
    def n_models(self) -> int:
        return self.params[0].shape[0]

    def select(self, m: int) -> list[torch.Tensor]:
        """Parameters of model ``m`` alone, each (1, *shape)."""
        return [p[m:m + 1] for p in self.params]

    def encode(self, x: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """x (M, B, 784) -> latent codes (M, B, d)."""
        p = self.params if params is None else params
        if self.spec.kind == "linear":
            return torch.baddbmm(p[1], x, p[0])
        act = _act(self.spec.activation)
        h = x
        for i in range(len(self.spec.hidden) + 1):
            h = act(torch.baddbmm(p[2 * i + 1], h, p[2 * i]))
        return h

    def decode(self, z: torch.Tensor, params: list[torch.Tensor] | None = None) -> torch.Tensor:
        """latent codes (M, B, d) -> reconstructions (M, B, 784)."""
        p = self.params if params is None else params
        if self.spec.kind == "linear":
            return torch.baddbmm(p[2], z, p[0].transpose(1, 2))  # tied weights
        act = _act(self.spec.activation)
        n_enc = len(self.spec.hidden) + 1
        h = z
        for i in range(n_enc, 2 * n_enc):
            h = torch.baddbmm(p[2 * i + 1], h, p[2 * i])
            h = torch.sigmoid(h) if i == 2 * n_enc - 1 else act(h)
        return h

    def forward(self, x, params=None):
        return self.decode(self.encode(x, params), params)


# ------------------------------------------------------------------------- training
@dataclass(frozen=True)
class AETrainConfig:
    """Training settings of the study (Lancione, Tab. 1) as defaults."""

    epochs: int = 20
    batch_size: int = 8
    lr: float = 1e-2
    weight_decay: float = 1e-6
    noise: float = 0.0  # denoising: inputs clip(x + noise * N(0, 1), 0, 1)
    seed: int = 0  # batch order and noise


def _adam_rows(flat, grad, m, v, t, lr, wd, b1=0.9, b2=0.999, eps=1e-8):
    """In-place torch.optim.Adam (L2 weight decay) step on rows; t (M, 1) step counts."""
    g = grad.add_(flat, alpha=wd)
    m.mul_(b1).add_(g, alpha=1 - b1)
    v.mul_(b2).addcmul_(g, g, value=1 - b2)
    # per-model bias corrections: tiny (M, 1, ...) float32 tensors, no dtype promotion of the big ones
    bc1 = 1 - b1 ** t
    bc2_sqrt = (1 - b2 ** t).sqrt()
    denom = v.sqrt().div_(bc2_sqrt).add_(eps)
    flat.addcdiv_(m, denom.mul_(bc1), value=-lr)


def _masked_adam(params, grads, state, active, lr, wd):
    """Adam on the models (rows) where ``active`` (M,); the other models and their
    optimiser state stay untouched (a model out of batches is not updated)."""
    state["t"] += active.float()
    if bool(active.all()):
        for p, g, m, v in zip(params, grads, state["m"], state["v"]):
            t = state["t"].view(-1, *[1] * (p.ndim - 1))
            _adam_rows(p, g, m, v, t, lr, wd)
        return
    idx = active.nonzero().flatten()
    if len(idx) == 0:
        return
    t = state["t"].index_select(0, idx)
    for p, g, m, v in zip(params, grads, state["m"], state["v"]):
        rows = [x.index_select(0, idx) for x in (p, g, m, v)]
        _adam_rows(*rows, t.view(-1, *[1] * (p.ndim - 1)), lr, wd)
        for x, r in zip((p, m, v), (rows[0], rows[2], rows[3])):
            x.index_copy_(0, idx, r)


def train_stacked(spec: AESpec, seeds: list[int], xs: list[torch.Tensor], cfg: AETrainConfig,
                  x_vals: list[torch.Tensor] | None = None, desc: str = "autoencoders") -> dict:
    """Train one autoencoder per (seed, data) pair, all at once.

    xs: M tensors (n_m, 784) of training images; seeds: M init seeds. Returns a dict
    with ``params`` (the trained (M, *shape) tensors) and per-epoch ``train_loss`` and
    ``val_loss`` (M, epochs) (validation loss on noisy inputs when ``cfg.noise``).
    """
    if len(xs) != len(seeds):
        raise ValueError("one training set per seed")
    if cfg.epochs < 1 or cfg.batch_size < 1:
        raise ValueError(f"bad training config {cfg}")
    model = StackedAE(spec, seeds)
    M = model.n_models
    n = torch.tensor([len(x) for x in xs])
    nmax = int(n.max())
    data = torch.zeros(M, nmax, spec.n_in)
    for m, x in enumerate(xs):
        data[m, : len(x)] = x
    # one generator per model (batch order and noise), so that a model trained in a stack
    # follows exactly the trajectory it follows when trained alone
    gens = [torch.Generator().manual_seed(cfg.seed * 1_000_003 + s) for s in seeds]
    bs = cfg.batch_size
    steps = int(math.ceil(nmax / bs))
    params = [p.clone() for p in model.params]
    state = {"m": [torch.zeros_like(p) for p in params], "v": [torch.zeros_like(p) for p in params],
             "t": torch.zeros(M)}
    hist = {"train_loss": torch.zeros(M, cfg.epochs), "val_loss": torch.zeros(M, cfg.epochs)}
    rows = torch.arange(M).view(M, 1)
    bar = progress(total=cfg.epochs * steps, desc=desc)
    for ep in range(cfg.epochs):
        perm = torch.zeros(M, nmax, dtype=torch.long)
        for m in range(M):
            perm[m, : n[m]] = torch.randperm(int(n[m]), generator=gens[m])
        loss_sum = torch.zeros(M)
        for s in range(steps):
            pos = torch.arange(s * bs, min((s + 1) * bs, nmax))
            valid = pos.view(1, -1) < n.view(-1, 1)  # (M, B)
            active = valid.any(1)
            xb = data[rows, perm[:, pos]]  # (M, B, 784)
            inp = xb
            if cfg.noise > 0:
                eps = torch.zeros_like(xb)
                for m in active.nonzero().flatten().tolist():
                    k = int(valid[m].sum())
                    eps[m, :k] = torch.randn((k, spec.n_in), generator=gens[m])
                inp = (xb + cfg.noise * eps).clamp(0, 1)
            for p in params:
                p.requires_grad_(True)
            err = ((model.forward(inp, params) - xb) ** 2).mean(2) * valid  # (M, B)
            per_model = err.sum(1) / valid.sum(1).clamp(min=1)  # each model's own batch mean
            grads = torch.autograd.grad(per_model.sum(), params)
            params = [p.detach() for p in params]
            _masked_adam(params, list(grads), state, active, cfg.lr, cfg.weight_decay)
            loss_sum += per_model.detach() * valid.sum(1)
            bar.update(1)
        hist["train_loss"][:, ep] = loss_sum / n
        if x_vals is not None:
            hist["val_loss"][:, ep] = torch.tensor(
                [val_loss(model, [p[m:m + 1] for p in params], xv, cfg.noise, cfg.seed)
                 for m, xv in enumerate(x_vals)])
    bar.close()
    model.params = params
    return {"params": params, "spec": asdict(spec), "seeds": list(seeds), "train_loss": hist["train_loss"],
            "val_loss": hist["val_loss"]}


@torch.no_grad()
def val_loss(model: StackedAE, params: list[torch.Tensor], x_val: torch.Tensor, noise: float = 0.0,
             seed: int = 0) -> float:
    """MSE on x_val (n, 784) of the single model ``params``; inputs noised (fixed seed) for a denoising AE."""
    inp = x_val
    if noise > 0:
        g = torch.Generator().manual_seed(10_000 + seed)
        inp = (x_val + noise * torch.randn(x_val.shape, generator=g)).clamp(0, 1)
    out = model.forward(inp.unsqueeze(0), params)[0]
    return F.mse_loss(out, x_val).item()


def trained_stack(result: dict) -> StackedAE:
    """The :class:`StackedAE` of a :func:`train_stacked` result."""
    model = StackedAE.__new__(StackedAE)
    model.spec = AESpec(**{**result["spec"], "hidden": tuple(result["spec"]["hidden"])})
    model.seeds = result["seeds"]
    model.params = result["params"]
    return model


@torch.no_grad()
def encode_each(model: StackedAE, xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Latent codes of model m on xs[m] (n_m, 784) -> list of (n_m, d)."""
    return [model.encode(x.unsqueeze(0), model.select(m))[0] for m, x in enumerate(xs)]


@torch.no_grad()
def reconstruct_each(model: StackedAE, xs: list[torch.Tensor]) -> list[torch.Tensor]:
    """Reconstructions of model m of xs[m] (n_m, 784) -> list of (n_m, 784)."""
    return [model.forward(x.unsqueeze(0), model.select(m))[0] for m, x in enumerate(xs)]


def train_pairs_cached(spec: AESpec, cfg: AETrainConfig, jobs: list[tuple[tuple[int, int], int]],
                       train: Dataset, test: Dataset, subset: str, desc: str) -> tuple[StackedAE, dict]:
    """Train (or load) one model per job = ((digit_a, digit_b), seed), all at once.

    Cached by spec, training config, jobs and subset rule.
    """
    pairs = [digit_pair(train, test, tuple(d), subset) for d, _ in jobs]

    def compute():
        return train_stacked(spec, [s for _, s in jobs], [p[0] for p in pairs], cfg, [p[2] for p in pairs], desc)

    params = {"spec": asdict(spec), "cfg": asdict(cfg), "jobs": [[list(d), s] for d, s in jobs], "subset": subset,
              "data": [train.source, test.source], "algorithm": 2}  # bump when train_stacked changes
    result = cached("lancione-ae", params, compute)
    return trained_stack(result), result


# ------------------------------------------------------------------------ geometry
def silhouette_samples(x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Silhouette s_i (Rousseeuw 1987) of every sample, Euclidean; x (n, d), labels (n,).

    a_i = mean distance to the other members of its cluster, b_i = smallest mean
    distance to another cluster, s_i = (b_i - a_i) / max(a_i, b_i); s_i = 0 for a
    sample alone in its cluster (as scikit-learn does).
    """
    x = x.double()
    d = torch.cdist(x, x)
    classes, inv = labels.unique(return_inverse=True)
    onehot = F.one_hot(inv, len(classes)).double()  # (n, k)
    sums = d @ onehot  # (n, k): summed distance to each cluster
    counts = onehot.sum(0)  # (k,)
    own = onehot.bool()
    a = sums[own] / (counts[inv] - 1).clamp(min=1)
    other = (sums / counts).masked_fill(own, float("inf"))
    b = other.min(1).values
    s = (b - a) / torch.maximum(a, b)
    return torch.where(counts[inv] > 1, s, torch.zeros_like(s)).nan_to_num(0.0)


def silhouette_score(x: torch.Tensor, labels: torch.Tensor) -> float:
    """Mean silhouette (equals ``sklearn.metrics.silhouette_score``)."""
    return silhouette_samples(x, labels).mean().item()


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles (radians) between the column spaces of a (n, k) and b (n, k)."""
    from scipy.linalg import subspace_angles

    return subspace_angles(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))


def procrustes_disparity(z1: torch.Tensor, z2: torch.Tensor) -> float:
    """Procrustes disparity between two layouts (n, d) of the same samples (0 = same up to
    translation, rotation, reflection and scale; 1 = unrelated)."""
    from scipy.spatial import procrustes

    return float(procrustes(np.asarray(z1, dtype=np.float64), np.asarray(z2, dtype=np.float64))[2])


def count_regions(z: torch.Tensor, labels: torch.Tensor, label: int, bins: int = 40, smooth: float = 1.0,
                  min_density: float = 1.0, min_frac: float = 0.02) -> int:
    """Number of disconnected regions that class ``label`` occupies in a 2-D latent space.

    z (n, 2), labels (n,). A square box around the central 99 % of all codes is cut
    into ``bins`` x ``bins`` equal cells; code counts are smoothed with a Gaussian of
    ``smooth`` cells. A cell belongs to the class when its smoothed count of the class
    is at least ``min_density`` and the class is the majority there. Regions are the
    8-connected components of those cells holding at least ``min_frac`` of the class's
    codes, so isolated stray codes do not count as regions.
    """
    from scipy import ndimage

    z = np.asarray(z, dtype=np.float64)
    labels = np.asarray(labels)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"count_regions needs 2-D codes, got shape {z.shape}")
    lo, hi = np.percentile(z, 0.5, axis=0), np.percentile(z, 99.5, axis=0)
    centre, half = (lo + hi) / 2, (hi - lo).max() / 2 * 1.05
    edges = [np.linspace(centre[k] - half, centre[k] + half, bins + 1) for k in range(2)]
    mine = labels == label
    h_all = ndimage.gaussian_filter(np.histogram2d(z[:, 0], z[:, 1], bins=edges)[0], smooth)
    h_raw = np.histogram2d(z[mine, 0], z[mine, 1], bins=edges)[0]
    h_mine = ndimage.gaussian_filter(h_raw, smooth)
    mask = (h_mine >= min_density) & (h_mine * 2 > h_all)
    comp, n = ndimage.label(mask, structure=np.ones((3, 3)))
    if n == 0:
        return 0
    sizes = ndimage.sum(h_raw, comp, index=np.arange(1, n + 1))
    return int((sizes >= min_frac * mine.sum()).sum())


class VAE(torch.nn.Module):
    """Variational autoencoder (Kingma & Welling) with a 2-D latent; MLP 784-512-256-d."""

    def __init__(self, latent: int = 2, hidden: tuple = (512, 256), n_in: int = 784):
        super().__init__()
        dims = [n_in, *hidden]
        self.enc = torch.nn.Sequential(*[m for i, o in zip(dims[:-1], dims[1:]) for m in (torch.nn.Linear(i, o),
                                                                                          torch.nn.ReLU())])
        self.mu = torch.nn.Linear(dims[-1], latent)
        self.logvar = torch.nn.Linear(dims[-1], latent)
        rdims = [latent, *hidden[::-1]]
        self.dec = torch.nn.Sequential(*[m for i, o in zip(rdims[:-1], rdims[1:]) for m in (torch.nn.Linear(i, o),
                                                                                            torch.nn.ReLU())],
                                       torch.nn.Linear(rdims[-1], n_in), torch.nn.Sigmoid())

    def encode(self, x):
        """x (B, 784) -> (mu, logvar), each (B, d)."""
        h = self.enc(x)
        return self.mu(h), self.logvar(h)

    def forward(self, x, gen: torch.Generator | None = None):
        mu, logvar = self.encode(x)
        eps = torch.randn(mu.shape, generator=gen)
        return self.dec(mu + eps * (0.5 * logvar).exp()), mu, logvar


def vae_loss(recon, x, mu, logvar) -> torch.Tensor:
    """Negative ELBO per sample: Bernoulli reconstruction + KL to N(0, I)."""
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (bce + kl) / len(x)


def train_vae(train: Dataset, epochs: int, batch_size: int = 128, lr: float = 1e-3, latent: int = 2,
              seed: int = 0) -> tuple[VAE, list[float]]:
    """Train (or load from the cache) a VAE on all of ``train``; returns (model, loss per epoch)."""
    params = {"data": train.source, "n": len(train), "epochs": epochs, "batch_size": batch_size, "lr": lr,
              "latent": latent, "seed": seed}

    def compute():
        torch.manual_seed(seed)
        model = VAE(latent)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        g = torch.Generator().manual_seed(seed)
        x = train.x.flatten(1)
        losses = []
        bar = progress(total=epochs * (len(x) // batch_size), desc="VAE")
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=g)
            total = torch.zeros(())
            for s in range(len(x) // batch_size):
                xb = x[perm[s * batch_size:(s + 1) * batch_size]]
                recon, mu, logvar = model(xb, g)
                loss = vae_loss(recon, xb, mu, logvar)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.detach()
                bar.update(1)
            losses.append(total.item() / (len(x) // batch_size))
        bar.close()
        return {"state_dict": model.state_dict(), "losses": losses}

    out = cached("lancione-vae", params, compute)
    model = VAE(latent)
    model.load_state_dict(out["state_dict"])
    return model.eval(), out["losses"]


def train_digit_classifier(train: Dataset, test: Dataset, epochs: int, seed: int = 0, hidden: int = 256):
    """An MLP digit classifier (784-hidden-10, Adam 1e-3, batch 128), cached; returns
    (model taking (n, 784) -> logits, test accuracy). Judges reconstructions."""
    params = {"data": train.source, "epochs": epochs, "seed": seed, "hidden": hidden}

    def build():
        return torch.nn.Sequential(torch.nn.Linear(784, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))

    def compute():
        torch.manual_seed(seed)
        model = build()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(seed)
        x, y = train.x.flatten(1), train.y
        for _ in range(epochs):
            perm = torch.randperm(len(x), generator=g)
            for s in range(0, len(x), 128):
                idx = perm[s:s + 128]
                loss = F.cross_entropy(model(x[idx]), y[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
        with torch.no_grad():
            acc = (model(test.x.flatten(1)).argmax(1) == test.y).float().mean().item()
        return {"state_dict": model.state_dict(), "accuracy": acc}

    out = cached("lancione-digit-classifier", params, compute)
    model = build()
    model.load_state_dict(out["state_dict"])
    return model.eval(), out["accuracy"]


@torch.no_grad()
def wrong_reconstruction_rate(classifier, recon: torch.Tensor, labels: torch.Tensor, digits: tuple[int, int]) -> float:
    """Fraction of reconstructions (n, 784) that the classifier assigns to the *other*
    digit of the pair (the metric proposed in Lancione §5)."""
    pred = classifier(recon).argmax(1)
    other = torch.where(labels == digits[0], torch.tensor(digits[1]), torch.tensor(digits[0]))
    return (pred == other).float().mean().item()
