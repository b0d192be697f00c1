"""Aggregate the JSON lines of lgbm_ref.py and the Rust harness into markdown tables:
table x engine -> test MAE mean ± std over the 3 engine seeds (from RESULTS), and the median
fit time (ms) over every fit in RESULTS and TIMING (repeated runs; the machine is shared, so
single timings are noisy).
usage: python aggregate.py RESULTS.jsonl... [--time TIMING.jsonl...]
"""
import json
import statistics as st
import sys
from collections import defaultdict

args = sys.argv[1:]
cut = args.index("--time") if "--time" in args else len(args)
rows = [json.loads(l) for f in args[:cut] for l in open(f) if l.strip()]
trows = rows + [json.loads(l) for f in args[cut + 1:] for l in open(f) if l.strip()]
tby = defaultdict(list)
for r in trows:
    tby[(r["table"], r["engine"])].append(r)
by = defaultdict(list)
for r in rows:
    by[(r["table"], r["engine"])].append(r)
tables = sorted({t for t, _ in by})
engines = list(dict.fromkeys(r["engine"] for r in rows))

print("| engine | " + " | ".join(tables) + " | mean MAE / lgbm-default |")
print("|---|" + "---|" * len(tables) + "---|")
for e in engines:
    cells, ratios = [], []
    for t in tables:
        rs = by.get((t, e), [])
        if not rs:
            cells.append("–")
            continue
        m = [r["mae"] for r in rs]
        mean, sd = st.mean(m), (st.stdev(m) if len(m) > 1 else 0.0)
        ref = st.mean(r["mae"] for r in by[(t, "lgbm-default")])
        ratios.append(mean / ref)
        cells.append(f"{mean:.4g} ± {sd:.2g}")
    print(f"| {e} | " + " | ".join(cells) + f" | {st.mean(ratios):.3f} |")

print()
print("| engine | " + " | ".join(tables) + " |")
print("|---|" + "---|" * len(tables))
for e in engines:
    cells = []
    for t in tables:
        rs = tby.get((t, e), [])
        if not rs:
            cells.append("–")
            continue
        ms = st.median(r["fit_s"] for r in rs) * 1000
        rounds = st.median(r["rounds"] for r in rs)
        cells.append(f"{ms:.3g} ms ({rounds:g} r)")
    print(f"| {e} | " + " | ".join(cells) + " |")

w = defaultdict(set)
for r in rows:
    if "w1_same" in r:
        w[r["engine"]].add(r["w1_same"])
if w:
    print()
    print("unit weights bit-identical to no weights: " +
          ", ".join(f"{e}: {'yes' if v == {True} else 'no' if v == {False} else 'not always'}"
                    for e, v in w.items()))
