"""Prepare the six shared tables for the GBDT-engine comparison.

One 70/15/15 random split per table (numpy default_rng(SPLIT_SEED)), written once to
splits.json and used by every engine. String columns are one-hot encoded with the
training rows' levels (an unseen level is all zeros); missing numerics are imputed with
the training median. Writes <out>/<table>/{train,val,test}.csv (features..., target last)
as plain numeric CSV with a header.

usage: python prep.py TABLES_DIR OUT_DIR
"""
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd

SPLIT_SEED = 20260426


def load(tables: Path):
    t = {}
    # auto-mpg: whitespace + TAB, quoted car name, '?' missing; target col1, drop col9
    d = pd.read_csv(tables / "auto-mpg/auto-mpg.data", sep=r"\s+", header=None,
                    quotechar='"', na_values="?")
    d.columns = [f"col{i}" for i in range(1, 10)]
    t["auto-mpg"] = (d.drop(columns=["col9"]), "col1")
    d = pd.read_csv(tables / "energy-efficiency/ENB2012_data.csv").dropna(how="all")
    t["energy-efficiency"] = (d.drop(columns=["Y2"]), "Y1")
    d = pd.read_csv(tables / "forest-fires/forestfires.csv")
    t["forest-fires"] = (d, "area")
    d = pd.read_csv(tables / "student-mat/student-mat.csv", sep=";")
    t["student-mat"] = (d.drop(columns=["G1", "G2"]), "G3")
    d = pd.read_csv(tables / "wine-quality-red/winequality-red.csv", sep=";")
    t["wine-quality-red"] = (d, "quality")
    d = pd.read_csv(tables / "yacht-hydrodynamics/yacht_hydrodynamics.data", sep=r"\s+",
                    header=None).dropna(how="all")
    d.columns = [f"col{i}" for i in range(1, 8)]
    t["yacht-hydrodynamics"] = (d, "col7")
    return t


def main():
    tables, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    splits = {}
    for name, (df, target) in load(tables).items():
        df = df.reset_index(drop=True)
        n = len(df)
        perm = np.random.default_rng(SPLIT_SEED).permutation(n)
        n_tr, n_va = int(round(0.70 * n)), int(round(0.15 * n))
        idx = {"train": sorted(perm[:n_tr].tolist()),
               "val": sorted(perm[n_tr:n_tr + n_va].tolist()),
               "test": sorted(perm[n_tr + n_va:].tolist())}
        splits[name] = idx
        y = df[target].astype(float)
        x = df.drop(columns=[target])
        tr = x.iloc[idx["train"]]
        cols = []
        for c in x.columns:
            if not pd.api.types.is_numeric_dtype(x[c]):
                for lv in sorted(tr[c].dropna().unique()):
                    cols.append((f"{c}={lv}", (x[c] == lv).astype(float)))
            else:
                v = x[c].astype(float)
                cols.append((str(c), v.fillna(tr[c].astype(float).median())))
        feat = pd.DataFrame(dict(cols))
        feat["__target__"] = y
        (out / name).mkdir(exist_ok=True)
        for part, rows in idx.items():
            feat.iloc[rows].to_csv(out / name / f"{part}.csv", index=False, float_format="%.17g")
        print(f"{name}: n={n} features={feat.shape[1] - 1} "
              f"train/val/test={len(idx['train'])}/{len(idx['val'])}/{len(idx['test'])}")
    (out / "splits.json").write_text(json.dumps({"split_seed": SPLIT_SEED, "tables": splits}))


if __name__ == "__main__":
    main()
