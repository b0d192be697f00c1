#!/usr/bin/env bash
# Reproduces every number in README.md, working in SCRATCH_DIR (outside the repository).
# Needs: PY = a Python with lightgbm numpy pandas; BIN = gbdt_eval.rs built in release (see its
# header); TABLES = the shared tables.
# usage: PY=/tmp/venv/bin/python BIN=/tmp/harness/target/release/gbdt-eval run_all.sh SCRATCH_DIR
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${PY:?set PY}" "${BIN:?set BIN}"; TABLES=${TABLES:-/work/shared/datasets/tables}
mkdir -p "${1:?usage: run_all.sh SCRATCH_DIR}" && cd "$1"
rm -rf data data_big preds preds_big results; mkdir -p results
$PY "$HERE/prep.py" "$TABLES" data
$PY "$HERE/make_synth.py" data_big
for run in runA runB; do                        # two identical runs: bit-for-bit rerun check
  $PY "$HERE/lgbm_ref.py" data preds/$run > results/lgbm_$run.jsonl
  $BIN data preds/$run 2 > results/rust_$run.jsonl
done
for t in 1 2 5; do                              # thread-count check (LightGBM: num_threads)
  $PY "$HERE/lgbm_ref.py" data preds/t$t $t > results/lgbm_t$t.jsonl
  $BIN data preds/t$t $t > results/rust_t$t.jsonl
  $PY "$HERE/lgbm_ref.py" data_big preds_big/t$t $t > results/big_lgbm_t$t.jsonl
  $BIN data_big preds_big/t$t $t > results/big_rust_t$t.jsonl
done
$PY "$HERE/lgbm_ref.py" data_big preds_big/t2b 2 > results/big_lgbm_t2b.jsonl
$BIN data_big preds_big/t2b 2 > results/big_rust_t2b.jsonl
$PY "$HERE/aggregate.py" results/lgbm_runA.jsonl results/rust_runA.jsonl --time \
  results/{lgbm,rust}_runB.jsonl results/{lgbm,rust}_t1.jsonl results/{lgbm,rust}_t2.jsonl
echo; echo "determinism (files of test predictions that differ):"
for e in $(ls preds/runA); do
  echo "$e: rerun $(diff -rq preds/runA/$e preds/runB/$e | wc -l), threads 1v2 $(diff -rq preds/t1/$e preds/t2/$e | wc -l), 2v5 $(diff -rq preds/t2/$e preds/t5/$e | wc -l);" \
       "30k rows: rerun $(diff -rq preds_big/t2/$e preds_big/t2b/$e | wc -l), 1v2 $(diff -rq preds_big/t1/$e preds_big/t2/$e | wc -l), 2v5 $(diff -rq preds_big/t2/$e preds_big/t5/$e | wc -l)"
  echo "  seeds differ (seed 0 vs 1, files): $(for t in $(ls preds/runA/$e); do cmp -s preds/runA/$e/$t/0.txt preds/runA/$e/$t/1.txt || echo x; done | wc -l) of $(ls preds/runA/$e | wc -l)"
done
