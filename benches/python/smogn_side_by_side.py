#!/usr/bin/env python3
"""Side-by-side timing of our SMOGN (srl-resample) and the Python `smogn` package.

Setup (once):
    python3 -m venv /tmp/venv-smogn
    /tmp/venv-smogn/bin/pip install smogn "numpy<2" "pandas<2"
    (smogn 0.1.2 calls np.quantile(interpolation=...), gone from NumPy 2.4, and writes
    through chained iloc assignments that pandas 3 no longer allows)
    cargo build --release -p srl-resample --example smogn_bench
    <target>/release/examples/smogn_bench gen /tmp/smogn-bench

Run:
    /tmp/venv-smogn/bin/python benches/python/smogn_side_by_side.py \
        --bench <target>/release/examples/smogn_bench --dir /tmp/smogn-bench

Both sides resample exactly the same rows: the first n rows of the table's CSV, with the
relevance φ computed by the package's own functions (phi_ctrl_pts "auto", both extremes,
coef 1.5, then phi) and handed to our bench in a file, so the rare bumps are identical.
Settings: k = 5, pert = 0.02, threshold 0.5, "balance", under-sampling on (the package's
defaults, which are also ours).

The package builds an n_bump × n_bump distance matrix with Python loops, so it gets a time
budget: it runs on growing subsets (doubling) while the next run is predicted (from a
power-law fit of the sizes measured so far) to fit in what is left; the time at the full size
is extrapolated from that fit and labelled as such. Ours runs at every size and at the full
size. Without the package, only our side is timed.
"""

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

try:
    import smogn
    from smogn.phi import phi
    from smogn.phi_ctrl_pts import phi_ctrl_pts

    HAVE_SMOGN = True
except ImportError:  # only our side is timed
    HAVE_SMOGN = False


def relevance(y):
    """φ of every row, in row order, from the package's own relevance functions."""
    if not HAVE_SMOGN:
        sys.exit("computing φ needs the smogn package (pip install smogn)")
    ys = y.sort_values()
    cp = phi_ctrl_pts(y=ys, method="auto", xtrm_type="both", coef=1.5, ctrl_pts=None)
    ph = phi(y=ys, ctrl_pts=cp)
    out = pd.Series(np.asarray(ph, dtype=float), index=ys.index)
    return out.loc[y.index].to_numpy()


def ours(bench, csv, n, phi_values, method="smogn", repeats=3, out=None):
    with tempfile.NamedTemporaryFile("w", suffix=".phi", delete=False) as f:
        f.write("\n".join(repr(float(v)) for v in phi_values))
        path = f.name
    try:
        cmd = [bench, "time", csv, path, str(n), method, str(repeats), "auto"]
        if out:
            cmd.append(out)
        res = subprocess.run(cmd, check=True, capture_output=True, text=True)
        return json.loads(res.stdout)
    finally:
        os.unlink(path)


def theirs(df, seed=1):
    np.random.seed(seed)
    random.seed(seed)
    t = time.perf_counter()
    out = smogn.smoter(data=df, y="y", k=5, pert=0.02, samp_method="balance",
                       rel_thres=0.5)
    return time.perf_counter() - t, out


def fit(points):
    """Least-squares fit of log t = a + b log n; returns (a, b)."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    if len(points) == 1:
        return ys[0] - 2 * xs[0], 2.0  # assume quadratic from one point
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return my - b * mx, b


def run_table(args, name, full, budget):
    csv = os.path.join(args.dir, name)
    table = pd.read_csv(csv)
    print(f"\n## {name}: {full} rows × {table.shape[1] - 1} input columns", flush=True)
    rows = []
    py_points = []
    spent = 0.0
    n = args.start
    sizes = []
    while n < full:
        sizes.append(n)
        n *= 2
    sizes.append(full)
    for n in sizes:
        df = table.iloc[:n].reset_index(drop=True)
        ph = relevance(df["y"])
        r = ours(args.bench, csv, n, ph, "smogn", args.repeats)
        s = ours(args.bench, csv, n, ph, "smoter", args.repeats)
        row = {"rows": n, "rare": int((ph >= 0.5).sum()), "ours_smogn_s": r["median_seconds"],
               "ours_smoter_s": s["median_seconds"], "python_s": None, "python": "skipped"}
        if HAVE_SMOGN and not args.no_python:
            if py_points:
                a, b = fit(py_points[-3:])
                predicted = math.exp(a + b * math.log(n))
            else:
                predicted = 0.0
            if spent + predicted <= budget:
                t, _ = theirs(df)
                spent += t
                py_points.append((n, t))
                row.update(python_s=t, python="measured")
        rows.append(row)
        print(json.dumps(row), flush=True)
    if py_points:
        a, b = fit(py_points[-3:])
        for row in rows:
            if row["python_s"] is None:
                row["python_s"] = math.exp(a + b * math.log(row["rows"]))
                row["python"] = f"extrapolated (t ∝ n^{b:.2f})"
    print(f"\n| rows | rare | ours SMOGN (s) | ours SMOTER (s) | smogn package (s) | ratio |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        py = row["python_s"]
        ratio = f"{py / row['ours_smogn_s']:,.0f}×" if py else "–"
        pys = f"{py:,.1f} ({row['python']})" if py else "–"
        print(f"| {row['rows']:,} | {row['rare']:,} | {row['ours_smogn_s']:.4f} | "
              f"{row['ours_smoter_s']:.4f} | {pys} | {ratio} |")
    return rows


def compare(args, name, n):
    """Statistics of the synthetic rows of both on a small subset (same rows, same φ)."""
    csv = os.path.join(args.dir, name)
    df = pd.read_csv(csv, nrows=n)
    ph = relevance(df["y"])
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
        out_path = f.name
    r = ours(args.bench, csv, n, ph, "smogn", 1, out_path)
    mine = pd.read_csv(out_path)
    os.unlink(out_path)
    _, theirs_out = theirs(df)
    # The package's synthetic rows: output rows that are not input rows.
    key = list(df.columns)
    merged = theirs_out.merge(df.drop_duplicates(), on=key, how="left", indicator=True)
    synth_py = merged.loc[merged["_merge"] == "left_only", "y"].to_numpy()
    synth_us = mine.loc[mine["kind"].isin(["interpolated", "noise"]), "y"].to_numpy()
    print(f"\n## Statistics on the first {n} rows of {name}: ours vs package")
    print(f"output rows: ours {len(mine)}, package {len(theirs_out)}; synthetic: ours "
          f"{len(synth_us)} (noise {int((mine['kind'] == 'noise').sum())}), package "
          f"{len(synth_py)}")
    rare = [(reg["y_min"], reg["y_max"], reg["before"]) for reg in r["regions"] if reg["rare"]]
    print("rare regions (y range, rows): " + ", ".join(f"[{lo:g}, {hi:g}] {m}"
                                                       for lo, hi, m in rare))
    print("| | synthetic rows | of which noise | synthetic y inside a rare range | min y | "
          "median y | max y |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    noise = int((mine["kind"] == "noise").sum())
    for who, v, nz in (("ours", synth_us, str(noise)), ("smogn package", synth_py, "?")):
        inside = np.zeros(len(v), dtype=bool)
        for lo, hi, _ in rare:
            inside |= (v >= lo) & (v <= hi)
        print(f"| {who} | {len(v)} | {nz} | {inside.mean():.1%} | {v.min():.4g} | "
              f"{np.median(v):.4g} | {v.max():.4g} |")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--bench", required=True, help="the smogn_bench example binary")
    p.add_argument("--dir", default="/tmp/smogn-bench", help="where `gen` wrote the CSVs")
    p.add_argument("--budget", type=float, default=480.0,
                   help="seconds of package run time per table (default 480)")
    p.add_argument("--start", type=int, default=250, help="smallest subset")
    p.add_argument("--repeats", type=int, default=3, help="runs of ours per size (median)")
    p.add_argument("--no-python", action="store_true", help="time ours only")
    p.add_argument("--compare-rows", type=int, default=1000)
    p.add_argument("--compare-only", action="store_true", help="skip the timings")
    p.add_argument("--tables", default="wide28k.csv:28000,mixed17k.csv:17000")
    p.add_argument("--measure", type=int, default=0,
                   help="only time both sides once at this many rows of each table (no "
                        "budget: checks an extrapolation)")
    args = p.parse_args()
    if args.measure:
        for spec in args.tables.split(","):
            name = spec.split(":")[0]
            csv = os.path.join(args.dir, name)
            df = pd.read_csv(csv, nrows=args.measure)
            ph = relevance(df["y"])
            r = ours(args.bench, csv, args.measure, ph, "smogn", args.repeats)
            t, _ = theirs(df)
            print(json.dumps({"table": name, "rows": args.measure, "ours_smogn_s":
                              r["median_seconds"], "python_s": t, "python": "measured",
                              "ratio": t / r["median_seconds"]}), flush=True)
        return
    print(f"smogn package: {'installed' if HAVE_SMOGN else 'not installed'}; "
          f"cpus: {os.cpu_count()}")
    for spec in args.tables.split(",") if not args.compare_only else []:
        name, full = spec.split(":")
        run_table(args, name, int(full), args.budget)
    if HAVE_SMOGN and not args.no_python and args.compare_rows:
        compare(args, "mixed17k.csv", args.compare_rows)
        compare(args, "wide28k.csv", args.compare_rows)


if __name__ == "__main__":
    main()
