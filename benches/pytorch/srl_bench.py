#!/usr/bin/env python3
"""PyTorch (CPU) half of the side-by-side benchmark of `cargo xtask bench --against-pytorch`.

An independent implementation, from the equations of docs/method.md, of the steps the Rust
timing example (crates/srl-train/examples/bench_workloads.rs) times, with the same shapes,
losses and optimiser:

  airfoil/vanilla, airfoil/srl        one training epoch (batch 64, MLP 5-20-30-10 -> 1, AdamW)
  iol-linear/..., iol-sde/...         one full-batch iteration (MLP 100-100 -> 1, AdamW)
  objective/K100-N2000, .../K1000-N10000
                                      the SRL objective's forward + backward to dL/dh alone
                                      (M = 256, d = 128)

One training step, as the Rust trainer runs it: forward through the encoder (ReLU after every
hidden layer; the last hidden layer is the representation h) and the head Linear(d, 1); the
regression loss on the standardised target (L1 on Airfoil, MSE on IOL); with SRL (after its
warm-up epochs), z = h/|h|, the completed centroid table C (batch means of z re-normalised for
bins in the batch, the normalised memory row for absent bins seen before, zero rows otherwise),
and lambda_e L_env + lambda_h L_homo + lambda_c L_con on it; backward; the global gradient
norm (the Rust trainer checks it every step) and the finiteness of the loss; the AdamW step
(torch's fused CPU kernel, the fastest of its three AdamW implementations on these shapes);
then z is added to the epoch's per-bin sums of the memory (the Rust trainer keeps this memory
for vanilla runs too, for its geometry log). At the end of an epoch the memory is updated,
S <- alpha S + (1 - alpha) mean (a copy for a bin's first update).

Data: `--data DIR` reads what `bench_workloads --export DIR` wrote (the training split as the
Rust trainer sees it and the presets' hyper-parameters); `--synthetic` makes random data of the
same shapes with the presets written below.

Output (stdout): JSON {"implementation": "pytorch", "threads": T, "workloads": {name:
{"ms": median, "unit": ..., "samples_ms": [...]}}}.
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

# The presets at the time of writing (crates/srl-train/src/config.rs, SrlParams); `--data`
# carries the authoritative values exported by the Rust side.
SYNTHETIC = {
    "airfoil": {
        "unit": "ms/epoch", "rows": 971, "inputs": 5, "num_bins": 38,
        "bin_centres": [103.5 + k for k in range(38)], "hidden": [20, 30, 10],
        "batch_size": 64, "regression_loss": {"kind": "l1"},
        "optimizer": {"lr": 3e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                      "weight_decay": 1e-4},
        "schedule": {"decay": {"kind": "cosine", "min_lr": 1e-5}},
        "srl": {"weights": {"envelope": 1.0, "homogeneity": 0.01, "contrastive": 0.03},
                "tau": 0.1, "num_points": 1000, "homogeneity": "paper",
                "memory": {"momentum": 0.9, "warmup_epochs": 1}},
    },
    "iol-linear": {
        "unit": "ms/iteration", "rows": 10000, "inputs": 101, "num_bins": 100,
        "bin_centres": [-1.92 + 0.0373 * k for k in range(100)], "hidden": [100, 100],
        "batch_size": None, "regression_loss": {"kind": "mse"},
        "optimizer": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                      "weight_decay": 1e-4},
        "schedule": {"decay": {"kind": "cosine", "min_lr": 1e-5}},
        "srl": {"weights": {"envelope": 1e-4, "homogeneity": 1e-4, "contrastive": 3e-3},
                "tau": 0.1, "num_points": 1000, "homogeneity": "paper",
                "memory": {"momentum": 0.9, "warmup_epochs": 0}},
    },
    "iol-sde": {
        "unit": "ms/iteration", "rows": 5400, "inputs": 241, "num_bins": 100,
        "bin_centres": [0.0063 + 0.0126 * k for k in range(100)], "hidden": [100, 100],
        "batch_size": None, "regression_loss": {"kind": "mse"},
        "optimizer": {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8,
                      "weight_decay": 1e-4},
        "schedule": {"decay": {"kind": "cosine", "min_lr": 1e-5}},
        "srl": {"weights": {"envelope": 1e-4, "homogeneity": 1e-4, "contrastive": 1e-4},
                "tau": 1.0, "num_points": 1000, "homogeneity": "paper",
                "memory": {"momentum": 0.9, "warmup_epochs": 0}},
    },
}

# The objective alone: M = 256, d = 128, (K, N) pairs, the authors' AgeDB-code parameters
# (lambda_e = 100, lambda_h = 0.01, lambda_c = 10, tau = 0.3, -sum cos + 0.1 Var).
OBJECTIVE_M, OBJECTIVE_D = 256, 128
OBJECTIVE_SHAPES = [(100, 2000), (1000, 10000)]
AUTHORS_CODE = {
    "weights": {"envelope": 100.0, "homogeneity": 0.01, "contrastive": 10.0},
    "tau": 0.3, "homogeneity": {"authors-code": {"beta": 0.1}},
    "memory": {"momentum": 0.9, "warmup_epochs": 0},
}


class Srl:
    """The SRL objective on the surrogate-completed table, and its per-bin memory."""

    def __init__(self, params, num_bins, dim, bin_centres, num_points, seed=0):
        self.weights = params["weights"]
        self.tau = float(params["tau"])
        form = params["homogeneity"]
        self.beta = None if form == "paper" else float(form["authors-code"]["beta"])
        self.momentum = float(params["memory"]["momentum"])
        self.warmup_epochs = int(params["memory"]["warmup_epochs"])
        self.num_bins, self.dim = num_bins, dim
        centres = torch.tensor(bin_centres, dtype=torch.float64)
        self.inv_spacing = (1.0 / (centres[1:] - centres[:-1])).to(torch.float32)
        gen = torch.Generator().manual_seed(seed)
        # N fixed points uniform on the sphere: normalised Gaussian vectors.
        self.points = F.normalize(torch.randn(num_points, dim, generator=gen), dim=1)
        self.memory = torch.zeros(num_bins, dim)
        self.memory_rows = torch.zeros(num_bins, dim)  # normalised memory, zero if unseen
        self.seen = torch.zeros(num_bins, dtype=torch.bool)
        self.sums = torch.zeros(num_bins, dim, dtype=torch.float64)
        self.counts = torch.zeros(num_bins, dtype=torch.int64)

    def active(self, epoch):
        return epoch >= self.warmup_epochs

    def table(self, z, bins):
        """The completed K x d table C (differentiable in the batch's rows)."""
        sums = torch.zeros(self.num_bins, self.dim, dtype=z.dtype).index_add(0, bins, z)
        counts = torch.bincount(bins, minlength=self.num_bins)
        means = sums / counts.clamp(min=1).unsqueeze(1).to(z.dtype)
        present = (counts > 0).unsqueeze(1)
        return torch.where(present, F.normalize(means, dim=1), self.memory_rows)

    def loss(self, h, bins):
        """lambda_e L_env + lambda_h L_homo + lambda_c L_con, and z = h/|h|."""
        z = F.normalize(h, dim=1)
        table = self.table(z, bins)
        nonzero = (table != 0).any(dim=1)
        # Enveloping: 1 - mean_j max_k <p_j, c_k> over the non-zero rows.
        rows = table.index_select(0, nonzero.nonzero().squeeze(1))
        if rows.shape[0] > 0:
            envelope = 1.0 - (self.points @ rows.T).max(dim=1).values.mean()
        else:
            envelope = table.new_ones(())
        # Homogeneity over consecutive pairs of non-zero rows.
        pair = nonzero[1:] & nonzero[:-1]
        if self.beta is None:  # paper Eq. 6
            step = (table[1:] - table[:-1]).pow(2).sum(dim=1) * self.inv_spacing
            homogeneity = (step * pair).sum()
        else:  # authors' code: -sum cos + beta Var(cos)
            cos = (table[1:] * table[:-1]).sum(dim=1)[pair]
            if cos.numel() > 0:
                homogeneity = -cos.sum() + self.beta * cos.var(unbiased=False)
            else:
                homogeneity = table.new_zeros(())
        # Centroid contrastive: cross-entropy of <z_i, c_k>/tau against the table without grad.
        contrastive = F.cross_entropy(z @ table.detach().T / self.tau, bins)
        w = self.weights
        total = (w["envelope"] * envelope + w["homogeneity"] * homogeneity
                 + w["contrastive"] * contrastive)
        return total, (envelope, homogeneity, contrastive), z

    @torch.no_grad()
    def accumulate(self, z, bins):
        self.sums.index_add_(0, bins, z.to(torch.float64))
        self.counts += torch.bincount(bins, minlength=self.num_bins)

    @torch.no_grad()
    def end_epoch(self):
        has = self.counts > 0
        mean = (self.sums / self.counts.clamp(min=1).unsqueeze(1)).to(torch.float32)
        blend = self.momentum * self.memory + (1.0 - self.momentum) * mean
        first = (has & ~self.seen).unsqueeze(1)
        update = torch.where(first, mean, blend)
        self.memory = torch.where(has.unsqueeze(1), update, self.memory)
        self.seen |= has
        self.memory_rows = torch.where(self.seen.unsqueeze(1),
                                       F.normalize(self.memory, dim=1),
                                       torch.zeros_like(self.memory))
        self.sums.zero_()
        self.counts.zero_()


def mlp(inputs, hidden):
    layers, width = [], inputs
    for w in hidden:
        layers += [torch.nn.Linear(width, w), torch.nn.ReLU()]
        width = w
    return torch.nn.Sequential(*layers), torch.nn.Linear(width, 1)


def cosine_lr(base, min_lr, epoch, total):
    progress = min(epoch, total) / max(total, 1)
    return min_lr + (base - min_lr) * (1.0 + math.cos(math.pi * progress)) / 2.0


def load_data(spec, data_dir):
    n, m = spec["rows"], spec["inputs"]
    if data_dir is None:
        gen = torch.Generator().manual_seed(0)
        x = torch.randn(n, m, generator=gen)
        y = torch.randn(n, generator=gen)
        bins = torch.randint(0, spec["num_bins"], (n,), generator=gen)
        return x, y, bins

    def read(name, dtype):
        with open(os.path.join(data_dir, spec[name]), "rb") as f:
            return torch.frombuffer(bytearray(f.read()), dtype=dtype)

    return (read("x", torch.float32).reshape(n, m), read("y", torch.float32),
            read("bins", torch.int64))


def time_training(spec, x, y, bins, use_srl, warmup, repeats, seed=0):
    """Milliseconds of each of `repeats` epochs after `warmup` untimed ones."""
    torch.manual_seed(seed)
    warmup = max(warmup, 2)
    epochs = warmup + repeats + 1
    y = (y - y.mean()) / y.std(unbiased=False)  # the standardised target
    encoder, head = mlp(spec["inputs"], spec["hidden"])
    params = list(encoder.parameters()) + list(head.parameters())
    o = spec["optimizer"]
    adamw = dict(lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"],
                 weight_decay=o["weight_decay"])
    try:  # the fused kernel (CPU since torch 2.4) is PyTorch's fastest AdamW here
        opt = torch.optim.AdamW(params, fused=True, **adamw)
    except (RuntimeError, TypeError):
        opt = torch.optim.AdamW(params, **adamw)
    min_lr = spec["schedule"]["decay"].get("min_lr", 0.0)
    regression = F.l1_loss if spec["regression_loss"]["kind"] == "l1" else F.mse_loss
    n = x.shape[0]
    batch = spec["batch_size"] or n
    srl = Srl(spec["srl"], spec["num_bins"], spec["hidden"][-1], spec["bin_centres"],
              spec["srl"]["num_points"], seed)
    gen = torch.Generator().manual_seed(seed)
    samples = []
    for epoch in range(warmup + repeats):
        start = time.perf_counter()
        lr = cosine_lr(o["lr"], min_lr, epoch, epochs)
        for group in opt.param_groups:
            group["lr"] = lr
        order = torch.randperm(n, generator=gen) if batch < n else None
        for s in range(0, n, batch):
            if order is None:
                xb, yb, bb = x, y, bins
            else:
                rows = order[s:s + batch]
                xb, yb, bb = x[rows], y[rows], bins[rows]
            h = encoder(xb)
            total = regression(head(h).squeeze(1), yb)
            if use_srl and srl.active(epoch):
                term, _parts, z = srl.loss(h, bb)
                total = total + term
            else:
                z = F.normalize(h.detach(), dim=1)
            opt.zero_grad(set_to_none=True)
            total.backward()
            norm = torch.linalg.vector_norm(
                torch.stack(torch._foreach_norm([p.grad for p in params])))
            if not (math.isfinite(total.item()) and math.isfinite(norm.item())):
                raise RuntimeError(f"diverged in epoch {epoch}")
            opt.step()
            srl.accumulate(z.detach(), bb)
        srl.end_epoch()
        if epoch >= warmup:
            samples.append(1e3 * (time.perf_counter() - start))
    return samples


def time_objective(k, n, warmup, repeats):
    """Milliseconds of each of `repeats` objective calls (forward + backward to dL/dh)."""
    m, d = OBJECTIVE_M, OBJECTIVE_D
    srl = Srl(AUTHORS_CODE, k, d, [float(i) for i in range(k)], n, seed=0)
    gen = torch.Generator().manual_seed(1)
    srl.accumulate(F.normalize(torch.randn(k, d, generator=gen), dim=1), torch.arange(k))
    srl.end_epoch()  # every bin has a memory row
    h = torch.randn(m, d, generator=gen).requires_grad_(True)
    bins = torch.tensor([(i * 37) % k for i in range(m)])
    samples = []
    for call in range(warmup + repeats):
        start = time.perf_counter()
        h.grad = None
        total, _parts, _z = srl.loss(h, bins)
        total.backward()
        ms = 1e3 * (time.perf_counter() - start)
        if call >= warmup:
            samples.append(ms)
    return samples


def median(values):
    v = sorted(values)
    mid = len(v) // 2
    return v[mid] if len(v) % 2 else 0.5 * (v[mid - 1] + v[mid])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--data", metavar="DIR", help="folder written by bench_workloads --export")
    src.add_argument("--synthetic", action="store_true", help="random data of the same shapes")
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--only", default="", help="comma-separated name prefixes")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    only = [o for o in args.only.split(",") if o]

    def selected(name):
        return not only or any(name.startswith(o) for o in only)

    if args.data:
        with open(os.path.join(args.data, "workloads.json")) as f:
            specs = json.load(f)["workloads"]
    else:
        specs = SYNTHETIC
    repeats = max(args.repeats, 1)
    out = {}
    for name, spec in specs.items():
        methods = [m for m in ("vanilla", "srl") if selected(f"{name}/{m}")]
        if not methods:
            continue
        x, y, bins = load_data(spec, args.data)
        for m in methods:
            samples = time_training(spec, x, y, bins, m == "srl", args.warmup, repeats)
            out[f"{name}/{m}"] = {"ms": median(samples), "unit": spec["unit"],
                                  "samples_ms": samples}
    for k, n in OBJECTIVE_SHAPES:
        name = f"objective/K{k}-N{n}"
        if selected(name):
            samples = time_objective(k, n, args.warmup, repeats)
            out[name] = {"ms": median(samples), "unit": "ms/call", "samples_ms": samples}
    json.dump({"implementation": "pytorch", "torch": torch.__version__,
               "threads": torch.get_num_threads(), "warmup": args.warmup,
               "repeats": repeats, "workloads": out}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
