"""LightGBM reference on the prepared splits (see prep.py).

Engines:
  lgbm-default  lightgbm.train defaults for objective=regression (100 rounds, lr 0.1, 31 leaves,
                min_data_in_leaf 20; the same as LGBMRegressor()), fit on the train part only.
  lgbm-es       the same defaults but up to 5000 rounds, early stopping after 50 rounds
                without improvement of the validation part's L2; predicts with the best round.
  lgbm-es-sub   lgbm-es with bagging_fraction 0.8 (every round) and feature_fraction 0.8, so
                that the seed matters.
Seeds 0,1,2 (the `seed` parameter). Writes one JSON line per fit to stdout and the test
predictions ('%.17g', one a line) to PRED_DIR/<engine>/<table>/<seed>.txt.

usage: python lgbm_ref.py DATA_DIR PRED_DIR [N_JOBS]
"""
import json
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd


def part(d: Path, name: str):
    df = pd.read_csv(d / f"{name}.csv")
    return df.drop(columns=["__target__"]).to_numpy(float), df["__target__"].to_numpy(float)


def main():
    data, preds = Path(sys.argv[1]), Path(sys.argv[2])
    n_jobs = int(sys.argv[3]) if len(sys.argv) > 3 else None
    tables = sorted(p.name for p in data.iterdir() if p.is_dir())
    for table in tables:
        xtr, ytr = part(data / table, "train")
        xva, yva = part(data / table, "val")
        xte, yte = part(data / table, "test")
        for engine in ["lgbm-default", "lgbm-es", "lgbm-es-sub"]:
            for seed in [0, 1, 2]:
                params = {"objective": "regression", "seed": seed, "verbose": -1}
                if n_jobs is not None:
                    params["num_threads"] = n_jobs
                if engine == "lgbm-es-sub":
                    params |= {"bagging_fraction": 0.8, "bagging_freq": 1, "feature_fraction": 0.8}
                dtr = lgb.Dataset(xtr, ytr)
                if engine.startswith("lgbm-es"):
                    dva = lgb.Dataset(xva, yva, reference=dtr)
                    t0 = time.perf_counter()
                    m = lgb.train(params | {"metric": "l2"}, dtr, num_boost_round=5000,
                                  valid_sets=[dva],
                                  callbacks=[lgb.early_stopping(50, verbose=False)])
                    fit_s = time.perf_counter() - t0
                    rounds = m.best_iteration
                else:
                    t0 = time.perf_counter()
                    m = lgb.train(params, dtr)
                    fit_s = time.perf_counter() - t0
                    rounds = m.current_iteration()
                p = m.predict(xte, num_iteration=m.best_iteration or None)
                mae = float(np.mean(np.abs(p - yte)))
                out = preds / engine / table
                out.mkdir(parents=True, exist_ok=True)
                (out / f"{seed}.txt").write_text("".join(f"{v:.17g}\n" for v in p))
                print(json.dumps({"engine": engine, "table": table, "seed": seed, "mae": mae,
                                  "fit_s": fit_s, "rounds": int(rounds),
                                  "threads": n_jobs or 0}), flush=True)


if __name__ == "__main__":
    main()
