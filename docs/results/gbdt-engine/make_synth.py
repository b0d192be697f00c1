"""A generated 30,000-row Friedman-1 table (20 features, 15 noise; seed 7) for the
thread-count determinism check only (large enough for multi-threaded histogram work).
usage: python make_synth.py OUT_DIR"""
import sys
from pathlib import Path
import numpy as np
import pandas as pd
rng = np.random.default_rng(7)
n = 30000
x = rng.uniform(size=(n, 20))
y = (10 * np.sin(np.pi * x[:, 0] * x[:, 1]) + 20 * (x[:, 2] - 0.5) ** 2 + 10 * x[:, 3]
     + 5 * x[:, 4] + rng.normal(size=n))
df = pd.DataFrame(x, columns=[f"x{i}" for i in range(20)])
df["__target__"] = y
out = Path(sys.argv[1]) / "friedman1-30k"
out.mkdir(parents=True, exist_ok=True)
perm = rng.permutation(n)
for name, rows in [("train", perm[:21000]), ("val", perm[21000:25500]), ("test", perm[25500:])]:
    df.iloc[np.sort(rows)].to_csv(out / f"{name}.csv", index=False, float_format="%.17g")
