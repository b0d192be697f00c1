"""Airfoil (UCI-DIR) from scratch in PyTorch: vanilla (L1) vs L1 + SRL (srldir.torch.SRLLoss).

The protocol is the repository's UCI-DIR one (docs/protocols.md, docs/method.md):

* data: ``srldir.load_benchmark("airfoil", data_dir)``, the balanced split with split seed 0
  (971 / 266 / 266 rows, inputs standardised with training statistics, 38 bins of width 1 dB);
* network: MLP d-20-30-10 with ReLU, the representation h is the last hidden layer after its
  ReLU (10-d), a linear head 10 -> 1 reads h;
* the target is standardised with training statistics for optimisation, every metric is in dB;
* L1 regression loss; AdamW (lr 3e-3, betas 0.9/0.999, eps 1e-8, weight decay 1e-4), cosine
  decay per epoch to 1e-5, batch 64 (reshuffled every epoch, last batch kept);
* SRL: ``SRLLoss(centres, dim=10, preset="tabular")`` (λ_e 1, λ_h 0.01, λ_c 0.03, τ 0.1,
  N 1000, α 0.9, one warm-up epoch), ``loss = l1 + srl(h, bins)`` per batch and
  ``srl.end_epoch()`` per epoch;
* model selection: the epoch with the lowest validation MAE (All) is kept (first one on ties);
  test metrics are computed once, for that model; shot groups by terciles of the training bin
  counts (``srldir.shot_metrics(..., rule="terciles")``).

Usage::

    python examples/python/airfoil_srl.py --seeds 0 1 2 3 4 --epochs 300 --out OUT
    python examples/python/airfoil_srl.py --bench --out OUT      # step-cost measurement only

``--bench`` times one training step (forward, backward, AdamW step) with the Rust SRLLoss
against the same objective written in plain PyTorch autograd: the vectorised PyTorch SRL of
the side-by-side benchmark (``Srl`` of ``benches/pytorch/srl_bench.py``, the one
``cargo xtask bench --against-pytorch`` times), given the Rust loss's points, memory, weights
and τ; the slow correctness reference ``python/tests/reference.py`` (``srl_objective``) is
timed as an extra column. It writes step_cost.json and step_cost.md (not results.*).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

import srldir
from srldir.torch import SRLLoss

REPO = Path(__file__).resolve().parents[2]

# The UCI-DIR training protocol (docs/protocols.md, "Network and optimisation").
HIDDEN = (20, 30, 10)
LR, LR_MIN, WEIGHT_DECAY, BETAS, EPS = 3e-3, 1e-5, 1e-4, (0.9, 0.999), 1e-8
BATCH = 64
SPLIT_SEED = 0
GROUPS = ("all", "many", "medium", "few")

# The Rust trainer's Airfoil numbers (srl train, `full` profile: same split, network, loss,
# optimiser, schedule, 300 epochs, batch 64; seeds 0-9), test MAE mean over seeds, from
# docs/results/numbers.md ("airfoil" table, rows `vanilla` and `srl`).
RUST_AIRFOIL = {"seeds": "0-9", "epochs": 300,
                "vanilla": {"all": 1.335, "few": 2.076}, "srl": {"all": 1.335, "few": 2.038},
                # the paired changes as published (computed there from unrounded means)
                "change": {"all": "+0.0 %", "few": "−1.9 %"}}


class MLP(nn.Module):
    """d-h1-...-hk encoder with ReLU after every layer (h = last hidden layer, after ReLU) and
    a linear head hk -> 1 reading h."""

    def __init__(self, d_in: int, hidden=HIDDEN):
        super().__init__()
        layers, prev = [], d_in
        for width in hidden:
            layers += [nn.Linear(prev, width), nn.ReLU()]
            prev = width
        self.encoder = nn.Sequential(*layers)
        self.head = nn.Linear(prev, 1)

    def forward(self, x):
        h = self.encoder(x)
        return self.head(h).squeeze(-1), h


def cosine_lr(epoch: int, epochs: int) -> float:
    """The Rust trainer's schedule: cosine from LR to LR_MIN over the epochs, set per epoch."""
    progress = min(epoch, epochs) / max(epochs, 1)
    return LR_MIN + (LR - LR_MIN) * (1.0 + math.cos(math.pi * progress)) / 2.0


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------

def train_one(data: dict, method: str, seed: int, epochs: int) -> dict:
    """Trains one model; returns the kept epoch, its validation MAE and its test metrics."""
    seed_everything(seed)
    x_tr = torch.tensor(data["x_train"], dtype=torch.float32)
    y_tr = torch.tensor(data["y_train"], dtype=torch.float32)
    b_tr = torch.tensor(data["bins_train"], dtype=torch.int64)
    x_va = torch.tensor(data["x_val"], dtype=torch.float32)
    x_te = torch.tensor(data["x_test"], dtype=torch.float32)
    mu, sd = float(data["y_train"].mean()), float(data["y_train"].std())
    z_tr = (y_tr - mu) / sd

    model = MLP(x_tr.shape[1])
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=BETAS, eps=EPS,
                            weight_decay=WEIGHT_DECAY)
    srl = None
    if method == "srl":
        srl = SRLLoss(data["centres"], dim=HIDDEN[-1], preset="tabular", seed=seed)
    # Batch order: its own generator, so both methods see the same batches for a seed.
    order_gen = torch.Generator().manual_seed(seed)
    n = x_tr.shape[0]

    def predict(x):
        model.eval()
        with torch.no_grad():
            return model(x)[0].double().numpy() * sd + mu

    best = {"val_mae": math.inf}
    history = []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(epoch, epochs)
        model.train()
        if srl is not None:
            srl.train()
        perm = torch.randperm(n, generator=order_gen)
        sum_reg = sum_srl = 0.0
        for start in range(0, n, BATCH):
            idx = perm[start:start + BATCH]
            pred, h = model(x_tr[idx])
            reg = (pred - z_tr[idx]).abs().mean()
            loss = reg
            if srl is not None:
                s = srl(h, b_tr[idx])
                loss = reg + s
                sum_srl += float(s.detach()) * len(idx)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sum_reg += float(reg.detach()) * len(idx)
            if not math.isfinite(float(loss.detach())):
                raise RuntimeError(f"{method} seed {seed}: loss diverged in epoch {epoch}")
        if srl is not None:
            srl.end_epoch()
        val_mae = float(np.abs(predict(x_va) - data["y_val"]).mean())
        history.append({"epoch": epoch, "train_l1": sum_reg / n, "train_srl": sum_srl / n,
                        "val_mae": val_mae})
        if val_mae < best["val_mae"]:  # strict: the first epoch wins a tie
            best = {"val_mae": val_mae, "epoch": epoch,
                    "state": copy.deepcopy(model.state_dict())}
    seconds = time.perf_counter() - t0

    model.load_state_dict(best["state"])
    counts = np.bincount(data["bins_train"], minlength=len(data["centres"]))
    test = srldir.shot_metrics(predict(x_te), data["y_test"], data["bins_test"], counts,
                               rule="terciles")
    return {"method": method, "seed": seed, "best_epoch": best["epoch"],
            "best_val_mae": best["val_mae"], "test": test, "seconds": seconds,
            "history": history}


def mean_std(values):
    values = [v for v in values if v is not None]
    if not values:
        return None, None
    return statistics.fmean(values), (statistics.stdev(values) if len(values) > 1 else 0.0)


def summarise(runs: list[dict]) -> dict:
    out = {}
    for method in ("vanilla", "srl"):
        rs = [r for r in runs if r["method"] == method]
        cell = {"seeds": [r["seed"] for r in rs]}
        for g in GROUPS:
            for metric in ("mae", "gm", "mse"):
                m, s = mean_std([r["test"][g][metric] for r in rs])
                cell[f"{g}.{metric}"] = {"mean": m, "std": s}
        m, s = mean_std([r["best_val_mae"] for r in rs])
        cell["val.mae"] = {"mean": m, "std": s}
        cell["best_epochs"] = [r["best_epoch"] for r in rs]
        cell["seconds_per_run"] = statistics.fmean(r["seconds"] for r in rs)
        out[method] = cell
    # Paired per-seed comparison (same seeds, same batches).
    paired = {}
    van = {r["seed"]: r for r in runs if r["method"] == "vanilla"}
    for g in GROUPS:
        diffs = [(r["test"][g]["mae"], van[r["seed"]]["test"][g]["mae"])
                 for r in runs if r["method"] == "srl" and r["seed"] in van]
        wins = sum(a < b for a, b in diffs)
        mean_srl = statistics.fmean(a for a, _ in diffs)
        mean_van = statistics.fmean(b for _, b in diffs)
        paired[g] = {"change": mean_srl / mean_van - 1.0, "wins": wins, "n": len(diffs)}
    out["paired"] = paired
    return out


def fmt(cell, key, digits=3):
    m, s = cell[key]["mean"], cell[key]["std"]
    return "—" if m is None else f"{m:.{digits}f} ± {s:.{digits}f}"


def rust_comparison(args, summary) -> str:
    """One sentence against the Rust trainer's Airfoil numbers (RUST_AIRFOIL)."""
    r = RUST_AIRFOIL
    v, s = summary["vanilla"], summary["srl"]

    def pair(cell):
        return f"{cell['all.mae']['mean']:.3f} / {cell['few.mae']['mean']:.3f}"

    def change(a, b):
        return f"{(a / b - 1) * 100:+.1f} %".replace("-", "−")

    here_all = change(s["all.mae"]["mean"], v["all.mae"]["mean"])
    here_few = change(s["few.mae"]["mean"], v["few.mae"]["mean"])
    rust_all, rust_few = r["change"]["all"], r["change"]["few"]
    gap = s["all.mae"]["mean"] - v["all.mae"]["mean"]
    budget = ("the same 300-epoch budget" if args.epochs == r["epochs"]
              else f"{args.epochs} epochs here vs {r['epochs']} there")
    return (
        f"The Rust trainer (`srl train`, same split, network, loss, optimiser and schedule, "
        f"seeds {r['seeds']}; docs/results/numbers.md) reports test MAE All / Few of "
        f"{r['vanilla']['all']:.3f} / {r['vanilla']['few']:.3f} for vanilla and "
        f"{r['srl']['all']:.3f} / {r['srl']['few']:.3f} for SRL ({rust_all} / {rust_few}), "
        f"against {pair(v)} and {pair(s)} ({here_all} / {here_few}) in this PyTorch run "
        f"({budget}, seeds {', '.join(map(str, args.seeds))}): the training code differs "
        f"(PyTorch initialisation, batch order, kernels), so the numbers are not identical, "
        f"and the SRL − vanilla All gap here ({gap:+.3f} dB) is "
        + ("smaller" if abs(gap) < min(v["all.mae"]["std"], s["all.mae"]["std"]) else
           "not smaller")
        + f" than the between-seed std of the All MAE ({v['all.mae']['std']:.3f} vanilla, "
        f"{s['all.mae']['std']:.3f} SRL)"
        + (", so, as in the Rust numbers, SRL's effect on Airfoil is within seed noise."
           if abs(gap) < min(v["all.mae"]["std"], s["all.mae"]["std"]) else ".")
        ).replace("-0.", "−0.")


def write_results(out: Path, args, data, runs, summary, threads: int) -> None:
    counts = np.bincount(data["bins_train"], minlength=len(data["centres"]))
    shot_counts = runs[0]["test"]
    protocol = {
        "benchmark": "airfoil (UCI-DIR)",
        "split": (f"srldir.load_benchmark('airfoil'), balanced split, split seed {SPLIT_SEED}: "
                  f"{len(data['y_train'])} / {len(data['y_val'])} / {len(data['y_test'])} "
                  f"train/val/test rows, {len(data['centres'])} bins of width 1 dB"),
        "test_shot_counts": {g: shot_counts[g]["count"] for g in GROUPS},
        "network": "MLP d-20-30-10 (ReLU after every layer) + linear head 10 -> 1; h = last "
                   "hidden layer after ReLU (10-d)",
        "target": "standardised with training mean/std for optimisation; metrics in dB",
        "regression_loss": "L1",
        "srl": {"preset": "tabular", "params": srldir.srl_params("tabular"),
                "points_seed": "training seed"},
        "optimizer": f"AdamW lr {LR}, betas {BETAS}, eps {EPS}, weight decay {WEIGHT_DECAY}",
        "schedule": f"cosine per epoch from {LR} to {LR_MIN}",
        "epochs": args.epochs,
        "batch_size": BATCH,
        "batch_order": "torch.randperm with a generator seeded by the training seed, "
                       "reshuffled every epoch, last (short) batch kept; same batches for "
                       "vanilla and SRL at a given seed",
        "selection": "epoch with the lowest validation MAE (All), first on ties; test "
                     "metrics computed once, for that model",
        "shot_groups": "terciles of the training bin counts (srldir.shot_metrics rule="
                       "'terciles')",
        "seeds": args.seeds,
        "torch": torch.__version__,
        "torch_threads": threads,
        "srldir": srldir.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "deterministic": "torch.manual_seed(seed), torch.use_deterministic_algorithms(True); "
                         "same seed and threads -> same numbers",
    }
    payload = {"protocol": protocol, "summary": summary,
               "runs": [{k: v for k, v in r.items() if k != "history"} for r in runs],
               "val_mae_per_epoch": {f"{r['method']}/{r['seed']}":
                                     [round(e["val_mae"], 4) for e in r["history"]]
                                     for r in runs},
               "train_bin_counts": counts.tolist()}
    (out / "results.json").write_text(json.dumps(payload, indent=1) + "\n")

    v, s = summary["vanilla"], summary["srl"]
    lines = [
        "# Airfoil in PyTorch: vanilla vs SRL (`srldir.torch.SRLLoss`)",
        "",
        "Produced by `examples/python/airfoil_srl.py` "
        f"(`--seeds {' '.join(map(str, args.seeds))} --epochs {args.epochs}`); "
        "raw numbers in `results.json`.",
        "",
        f"Test MAE in dB, mean ± sample std over {len(args.seeds)} seeds "
        f"({', '.join(map(str, args.seeds))}), for the best-validation epoch of each run.",
        "",
        "| method | All | Many | Medium | Few | val MAE (All) | kept epochs |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for name, cell in (("vanilla (L1)", v), ("L1 + SRL (`tabular`)", s)):
        lines.append(f"| {name} | " + " | ".join(fmt(cell, f"{g}.mae") for g in GROUPS)
                     + f" | {fmt(cell, 'val.mae')} | "
                     + ", ".join(map(str, cell["best_epochs"])) + " |")
    p = summary["paired"]
    lines.append("| SRL vs vanilla (paired, wins) | " + " | ".join(
        f"{p[g]['change'] * 100:+.1f} % ({p[g]['wins']}/{p[g]['n']})".replace("-", "−")
        for g in GROUPS)
        + " | | |")
    lines += [
        "",
        "GM (geometric mean of absolute errors), dB:",
        "",
        "| method | All | Many | Medium | Few |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, cell in (("vanilla (L1)", v), ("L1 + SRL (`tabular`)", s)):
        lines.append(f"| {name} | " + " | ".join(fmt(cell, f"{g}.gm") for g in GROUPS) + " |")
    sc = protocol["test_shot_counts"]
    lines += [
        "",
        "## Protocol",
        "",
        f"- Split: {protocol['split']}; test rows per group: many {sc['many']}, medium "
        f"{sc['medium']}, few {sc['few']}.",
        f"- Network: {protocol['network']}. Target: {protocol['target']}.",
        "- Loss: L1 (vanilla); L1 + `SRLLoss(centres, dim=10, preset=\"tabular\", "
        "seed=<training seed>)` (λ_e 1, λ_h 0.01, λ_c 0.03, τ 0.1, N 1000, α 0.9, "
        "Eq. 6 homogeneity, 1 warm-up epoch), `srl.end_epoch()` after every epoch.",
        f"- Optimiser: {protocol['optimizer']}; {protocol['schedule']}.",
        f"- Epochs: {args.epochs}; batch size {BATCH}; {protocol['batch_order']}.",
        f"- Selection: {protocol['selection']} (test data never used for a choice).",
        f"- Shot groups: {protocol['shot_groups']}.",
        f"- torch {torch.__version__} (CPU), `torch.set_num_threads({threads})`, "
        f"`torch.use_deterministic_algorithms(True)`; srldir {srldir.__version__}, "
        f"Python {protocol['python']}.",
        f"- Wall time: {v['seconds_per_run']:.1f} s per vanilla run, "
        f"{s['seconds_per_run']:.1f} s per SRL run (shared 2-core machine).",
        "",
    ]
    lines += ["## Compared with the Rust trainer", "", rust_comparison(args, summary), ""]
    if args.comparison:
        lines += [args.comparison, ""]
    (out / "results.md").write_text("\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Step cost: Rust SRLLoss vs the vectorised plain-PyTorch SRL (and the slow reference)
# ---------------------------------------------------------------------------------------------

def load_reference():
    tests = REPO / "python" / "tests"
    sys.path.insert(0, str(tests))
    import reference  # noqa: E402  (python/tests/reference.py, independent implementation)
    return reference


def load_vectorised_srl():
    """``Srl`` of benches/pytorch/srl_bench.py: the vectorised float32 PyTorch SRL that
    ``cargo xtask bench --against-pytorch`` times against the Rust trainer."""
    benches = REPO / "benches" / "pytorch"
    sys.path.insert(0, str(benches))
    import srl_bench  # noqa: E402
    return srl_bench.Srl


class VecSRL:
    """``srl_bench.Srl`` holding exactly the state of a Rust SRLLoss: the Rust core's enveloping
    points (in the case's dtype), its memory, seen flags and normalised memory rows (zero rows
    for unseen bins), weights, τ and homogeneity form. ``Srl`` is written for float32; for a
    float64 case its tensors (points, memory, memory rows, 1/spacing) are float64, so it
    computes in float64 as the Rust loss does for float64 input."""

    def __init__(self, srl_cls, srl: SRLLoss, centres, dtype):
        p = srl.params
        centres = [float(c) for c in np.asarray(centres, dtype=np.float64).ravel()]
        k, dim = srl.core.num_bins, srl.core.dim
        v = srl_cls(p, k, dim, centres, p["num_points"], seed=0)
        # Srl draws its own points; use the Rust loss's instead.
        name = "float32" if dtype == torch.float32 else "float64"
        v.points = torch.from_numpy(np.array(srl.core.points(name))).to(dtype)
        v.memory = srl.memory.detach().to(dtype).clone()
        v.seen = srl.seen.detach().clone()
        v.memory_rows = torch.where(v.seen.unsqueeze(1),
                                    torch.nn.functional.normalize(v.memory, dim=1),
                                    torch.zeros_like(v.memory))
        c = torch.tensor(centres, dtype=torch.float64)
        v.inv_spacing = (1.0 / (c[1:] - c[:-1])).to(dtype)
        assert v.points.shape == (p["num_points"], dim)
        self.srl = v

    def __call__(self, h, bins):
        total, _parts, _z = self.srl.loss(h, bins)
        return total


class RefSRL:
    """Calls reference.srl_objective with the state of a Rust SRLLoss (same memory, seen,
    points, weights, τ), converted once to the float64 tensors the reference works in."""

    def __init__(self, ref, srl: SRLLoss, centres):
        self.ref = ref
        p = srl.params
        self.lam = (p["weights"]["envelope"], p["weights"]["homogeneity"],
                    p["weights"]["contrastive"])
        self.tau = p["tau"]
        self.form = "paper" if p["homogeneity"] == "paper" else "authors-code"
        self.centres = torch.as_tensor(np.asarray(centres), dtype=torch.float64)
        self.memory = srl.memory.to(torch.float64).clone()
        self.seen = srl.seen.numpy().copy()
        self.points = torch.from_numpy(np.asarray(srl.core.points("float64"))).clone()

    def __call__(self, h, bins):
        # The reference computes in float64; the cast is part of its autograd graph.
        total, *_ = self.ref.srl_objective(
            h.to(torch.float64), bins, self.centres, self.memory, self.seen, self.points,
            *self.lam, self.tau, form=self.form)
        return total


# Agreement required between the Rust loss and the vectorised PyTorch one before timing:
# |ΔL| <= rtol |L| and, element-wise, |Δ∂L/∂h| <= rtol |∂L/∂h| + rtol max|∂L/∂h|.
AGREEMENT_RTOL = {torch.float32: 1e-4, torch.float64: 1e-10}


def bench_case(name, ref, srl_cls, *, d_in, hidden, batch, centres, preset, num_points, reps,
               warmup, dtype, seed=0):
    """Median time of one training step (forward, L1 + SRL, backward, AdamW step) for the Rust
    SRLLoss, the vectorised PyTorch Srl, the float64 reference and L1 alone, interleaved
    (rotating order)."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    K = len(centres)
    dim = hidden[-1]
    srl = SRLLoss(centres, dim=dim, preset=preset, seed=seed, num_points=num_points,
                  warmup_epochs=0)
    # A realistic memory: one epoch of random features, every bin seen.
    srl.train()
    for _ in range(8):
        hh = torch.randn(batch, dim).abs()
        srl.accumulate(hh, torch.as_tensor(rng.integers(0, K, size=batch)))
    srl.accumulate(torch.randn(K, dim).abs(), torch.arange(K))
    srl.end_epoch()
    srl.eval()  # no accumulation during the timing: the PyTorch losses do none either
    vec = VecSRL(srl_cls, srl, centres, dtype)
    refl = RefSRL(ref, srl, centres)

    variants = ("rust", "pytorch", "reference", "none")  # "none": the same step, L1 alone
    models = {}
    for variant in variants:
        torch.manual_seed(seed)
        m = MLP(d_in, hidden).to(dtype)
        models[variant] = (m, torch.optim.AdamW(m.parameters(), lr=1e-4))
    x = torch.randn(batch, d_in, dtype=dtype)
    y = torch.randn(batch, dtype=dtype)
    bins = torch.as_tensor(rng.integers(0, K, size=batch), dtype=torch.int64)
    loss_fns = {"rust": srl, "pytorch": vec, "reference": refl}

    # Same objective? The loss value and dL/dh at the benchmark batch's h.
    m0 = models["rust"][0]
    h0 = m0(x)[1].detach()
    vals, grads = {}, {}
    for variant, fn in loss_fns.items():
        hv = h0.clone().requires_grad_(True)
        v = fn(hv, bins)
        (g,) = torch.autograd.grad(v, hv)
        assert g.dtype == dtype or variant == "reference", (variant, g.dtype)
        vals[variant], grads[variant] = float(v.detach()), g.double()
    g_rust = grads["rust"]
    gmax = float(g_rust.abs().max())
    check = {"loss_rust": vals["rust"], "grad_max_abs": gmax,
             "zero_rows_in_h": int((h0.abs().sum(1) == 0).sum())}
    for variant in ("pytorch", "reference"):
        dl = abs(vals[variant] - vals["rust"])
        dg = (grads[variant] - g_rust).abs()
        check[variant] = {
            "loss": vals[variant], "loss_abs_diff": dl, "loss_rel_diff": dl / abs(vals["rust"]),
            "grad_max_abs_diff": float(dg.max()),
            "grad_max_abs_diff_over_max_abs": float(dg.max()) / gmax,
            "grad_max_rel_diff_where_above_1e-3_max": float(
                (dg / g_rust.abs())[g_rust.abs() > 1e-3 * gmax].max()),
        }
    rtol = AGREEMENT_RTOL[dtype]
    c = check["pytorch"]
    assert c["loss_rel_diff"] <= rtol, (name, dtype, c)
    assert torch.allclose(grads["pytorch"], g_rust, rtol=rtol, atol=rtol * gmax), (name, dtype, c)
    check["pytorch"]["rtol_asserted"] = rtol

    def step(variant):
        model, opt = models[variant]
        t0 = time.perf_counter()
        pred, h = model(x)
        loss = (pred - y).abs().mean()
        if variant != "none":
            loss = loss + loss_fns[variant](h, bins)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return time.perf_counter() - t0

    for _ in range(warmup):
        for v in variants:
            step(v)
    times = {v: [] for v in variants}
    ratios, ratios_ref = [], []
    n = len(variants)
    for i in range(reps):
        order = variants[i % n:] + variants[:i % n]  # rotate which variant goes first
        t = {v: step(v) for v in order}
        for v in variants:
            times[v].append(t[v])
        ratios.append(t["rust"] / t["pytorch"])
        ratios_ref.append(t["rust"] / t["reference"])

    def q(values, p):
        return float(np.quantile(np.asarray(values), p))

    result = {
        "case": name, "batch": batch, "d_in": d_in, "hidden": list(hidden), "d": dim,
        "K": K, "N": num_points, "preset": preset, "dtype": str(dtype).replace("torch.", ""),
        "parameters": sum(p.numel() for p in m0.parameters()),
        "reps": reps, "warmup": warmup, "check": check,
    }
    for v in variants:
        result[f"{v}_ms"] = {"median": q(times[v], 0.5) * 1e3, "p10": q(times[v], 0.1) * 1e3,
                             "p90": q(times[v], 0.9) * 1e3}
    # The loss's own share: extra time over the L1-only step, medians.
    extra = {v: result[f"{v}_ms"]["median"] - result["none_ms"]["median"]
             for v in ("rust", "pytorch", "reference")}
    result["srl_extra_ms"] = extra
    result["ratio_rust_over_pytorch"] = {
        "of_medians": result["rust_ms"]["median"] / result["pytorch_ms"]["median"],
        "paired_median": q(ratios, 0.5), "paired_p10": q(ratios, 0.1),
        "paired_p90": q(ratios, 0.9),
        "srl_extra_only": extra["rust"] / extra["pytorch"]}
    result["ratio_rust_over_reference"] = {
        "of_medians": result["rust_ms"]["median"] / result["reference_ms"]["median"],
        "paired_median": q(ratios_ref, 0.5), "paired_p10": q(ratios_ref, 0.1),
        "paired_p90": q(ratios_ref, 0.9),
        "srl_extra_only": extra["rust"] / extra["reference"]}
    return result


def run_bench(out: Path, threads: int, reps: int, data_dir: Path) -> None:
    ref = load_reference()
    srl_cls = load_vectorised_srl()
    data = srldir.load_benchmark("airfoil", str(data_dir))
    tab_preset = srldir.srl_params("tabular")
    load_before = os.getloadavg()  # the machine is shared: record its load around the run
    cases = []
    for dtype in (torch.float32, torch.float64):
        cases.append(bench_case(
            "tabular (Airfoil)", ref, srl_cls, d_in=data["x_train"].shape[1], hidden=HIDDEN,
            batch=256, centres=data["centres"], preset="tabular",
            num_points=tab_preset["num_points"], reps=reps, warmup=50, dtype=dtype))
        print(json.dumps(cases[-1]["ratio_rust_over_pytorch"]), flush=True)
        cases.append(bench_case(
            "representation (d=128)", ref, srl_cls, d_in=64, hidden=(256, 256, 128),
            batch=256, centres=np.arange(100, dtype=np.float64), preset="paper",
            num_points=2000, reps=reps, warmup=50, dtype=dtype))
        print(json.dumps(cases[-1]["ratio_rust_over_pytorch"]), flush=True)
    payload = {
        "what": "one training step = forward of the MLP, L1 + SRL, backward, AdamW step; "
                "'rust' = srldir.torch.SRLLoss; 'pytorch' = Srl of benches/pytorch/"
                "srl_bench.py (the vectorised plain-PyTorch SRL of cargo xtask bench "
                "--against-pytorch), given the Rust loss's points, memory, seen flags, "
                "weights, tau and homogeneity form, in the model's dtype (float32, or its "
                "tensors cast to float64 for the float64 rows); 'reference' = "
                "reference.srl_objective (python/tests/reference.py), the slow float64 "
                "correctness reference with a per-bin Python loop, on the same state; 'none' "
                "is the same step with the L1 loss alone; the four variants interleaved, "
                "rotating which goes first; the headline ratio is rust / pytorch",
        "agreement_rule": "before timing, asserted: |L_pytorch - L_rust| <= rtol |L_rust| and "
                          "element-wise |g_pytorch - g_rust| <= rtol |g_rust| + rtol "
                          "max|g_rust| for g = dL/dh at the benchmark batch; rtol 1e-4 "
                          "(float32), 1e-10 (float64)",
        "torch": torch.__version__, "torch_threads": threads, "srldir": srldir.__version__,
        "machine": f"{platform.machine()}, {os.cpu_count()} logical CPUs (shared)",
        "load_average_1_5_15_min": {"before": [round(v, 2) for v in load_before],
                                    "after": [round(v, 2) for v in os.getloadavg()]},
        "cases": cases,
    }
    (out / "step_cost.json").write_text(json.dumps(payload, indent=1) + "\n")

    def ms(c, v):
        t = c[f"{v}_ms"]
        return f"{t['median']:.2f} ({t['p10']:.2f}–{t['p90']:.2f})"

    def ratio(r):
        return f"{r['paired_median']:.3f} ({r['paired_p10']:.3f}–{r['paired_p90']:.3f})"

    def shape(c):
        return f"{c['case']}, MLP {c['d_in']}-{'-'.join(map(str, c['hidden']))}"

    lines = [
        "# Step cost: Rust `SRLLoss` vs the same loss in plain PyTorch",
        "",
        "Produced by `examples/python/airfoil_srl.py --bench`; raw numbers in "
        "`step_cost.json`.",
        "",
        "One training step = MLP forward, L1 + SRL loss, backward, AdamW step. "
        "**Rust**: `srldir.torch.SRLLoss` (loss and ∂L/∂h computed in Rust, one thread). "
        "**PyTorch**: `Srl` of `benches/pytorch/srl_bench.py`, the vectorised plain-PyTorch "
        "SRL that `cargo xtask bench --against-pytorch` times (index_add / bincount / where, "
        "one matrix product per term, autograd for the backward), imported unchanged and "
        "given the Rust loss's own state: its enveloping points (`core.points(dtype)`), "
        "memory, seen flags and normalised memory rows, weights, τ and homogeneity form. "
        "`Srl` is written for float32; in the float64 rows its tensors are float64, so both "
        "sides compute in the model's dtype. Before timing, the script asserts that the "
        "two give the same loss and ∂L/∂h on the benchmark batch (second table). "
        "**L1 only**: the same step without SRL. **Reference**: `srl_objective` of "
        "`python/tests/reference.py`, the slow correctness reference (per-bin Python loop, "
        "float64, h cast to float64 inside the graph), kept as an extra column only; it is "
        "not the baseline. The four variants are timed interleaved "
        f"(rotating order), {reps} steps each after 50 warm-up steps; median per step, "
        "p10–p90 in brackets; a ratio is the median of the per-step ratios (p10–p90). "
        "Memory: every bin seen, SRL active (no warm-up), no accumulation during timing "
        "(`eval()`; `Srl.loss` does not accumulate either). The SRL-part ratio is "
        "(Rust − L1 only) / (PyTorch − L1 only) of the medians: the loss's own cost, without "
        "the network's. Shapes: tabular = the Airfoil bins (K = 38) with the `tabular` "
        "preset (`srl_params(\"tabular\")`: N = 1000 points); representation = K = 100 bins, "
        "the `paper` preset (N = 2000), d = 128.",
        "",
        "| shape | model dtype | batch | d | K | N | params | L1 only ms/step "
        "| Rust ms/step | PyTorch (`Srl`) ms/step | **Rust/PyTorch (step)** "
        "| Rust/PyTorch (SRL part) | slow reference ms/step | Rust/reference (step) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        r, rr = c["ratio_rust_over_pytorch"], c["ratio_rust_over_reference"]
        lines.append(
            f"| {shape(c)} | {c['dtype']} | {c['batch']} | {c['d']} | {c['K']} | {c['N']} "
            f"| {c['parameters']:,} | {ms(c, 'none')} | {ms(c, 'rust')} | {ms(c, 'pytorch')} "
            f"| **{ratio(r)}** | {r['srl_extra_only']:.3f} | {ms(c, 'reference')} "
            f"| {ratio(rr)} |")
    lines += [
        "",
        "Agreement at the benchmark batch (h of the untrained model, batch 256): loss and "
        "∂L/∂h of the PyTorch `Srl` and of the reference against the Rust loss; "
        "\"max |Δg| / max |g|\" is the largest element-wise gradient difference over the "
        "largest gradient element. Asserted for `Srl` before timing: relative loss "
        "difference and element-wise gradient difference within rtol "
        f"{AGREEMENT_RTOL[torch.float32]:g} (float32) / {AGREEMENT_RTOL[torch.float64]:g} "
        "(float64).",
        "",
        "| shape | model dtype | Rust loss | `Srl`: rel. loss diff | `Srl`: max abs Δg "
        "| `Srl`: max abs Δg / max abs g | reference: rel. loss diff "
        "| reference: max abs Δg / max abs g |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for c in cases:
        k, p, rf = c["check"], c["check"]["pytorch"], c["check"]["reference"]
        lines.append(
            f"| {shape(c)} | {c['dtype']} | {k['loss_rust']:.6g} | {p['loss_rel_diff']:.1e} "
            f"| {p['grad_max_abs_diff']:.1e} | {p['grad_max_abs_diff_over_max_abs']:.1e} "
            f"| {rf['loss_rel_diff']:.1e} | {rf['grad_max_abs_diff_over_max_abs']:.1e} |")
    lines += [
        "",
        f"torch {torch.__version__} (CPU), `torch.set_num_threads({threads})`, srldir "
        f"{srldir.__version__}, {payload['machine']}. Absolute times depend on the machine "
        "and on its load: this one was shared with other work while the benchmark ran "
        "(1-minute load average "
        f"{payload['load_average_1_5_15_min']['before'][0]:.1f} before, "
        f"{payload['load_average_1_5_15_min']['after'][0]:.1f} after), which is why the "
        "steps are interleaved and the ratios are per step; the ratio against the "
        "vectorised PyTorch `Srl` is the number to read.",
        "",
    ]
    (out / "step_cost.md").write_text("\n".join(lines))


# ---------------------------------------------------------------------------------------------

def main(argv=None):
    default_data = os.environ.get("SRL_DATA_DIR") or str((REPO / ".." / "shared" / "datasets")
                                                         .resolve())
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=default_data,
                    help="datasets folder (default $SRL_DATA_DIR, else ../shared/datasets "
                         "next to the repository)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    ap.add_argument("--methods", nargs="+", default=["vanilla", "srl"],
                    choices=["vanilla", "srl"])
    ap.add_argument("--bench", action="store_true",
                    help="measure the step cost (Rust SRLLoss vs plain PyTorch) instead of "
                         "training")
    ap.add_argument("--bench-reps", type=int, default=300)
    ap.add_argument("--comparison", default="",
                    help="an extra remark added to results.md after the (generated) "
                         "comparison with the Rust trainer")
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)
    threads = torch.get_num_threads()
    args.out.mkdir(parents=True, exist_ok=True)

    if args.bench:
        run_bench(args.out, threads, args.bench_reps, Path(args.data_dir))
        return

    data = srldir.load_benchmark("airfoil", args.data_dir, split_seed=SPLIT_SEED)
    runs = []
    for seed in args.seeds:
        for method in args.methods:
            r = train_one(data, method, seed, args.epochs)
            t = r["test"]
            print(f"{method:8s} seed {seed}: kept epoch {r['best_epoch']:3d}, val MAE "
                  f"{r['best_val_mae']:.3f}, test MAE all {t['all']['mae']:.3f} many "
                  f"{t['many']['mae']:.3f} medium {t['medium']['mae']:.3f} few "
                  f"{t['few']['mae']:.3f} ({r['seconds']:.1f} s)", flush=True)
            runs.append(r)
    if set(args.methods) == {"vanilla", "srl"}:
        summary = summarise(runs)
        write_results(args.out, args, data, runs, summary, threads)
        print((args.out / "results.md").read_text())


if __name__ == "__main__":
    main()
