#!/bin/sh
# Regenerates docs/results/tabular/ (issue 26, item 5): the tabular imbalanced-regression family
# side by side — the networks (vanilla and the DIR methods, SRL among them), gradient-boosted
# trees plain and with each DIR weighting, and resampling (SMOGN before a network, SRL or the
# trees; WERCS before the trees) — with `srl compare` on the six public tables of
# ../shared/datasets/tables (5-fold cross-validation × 3 seeds, the full table preset) and on
# the four UCI-DIR benchmarks (their protocol split × 3 seeds, the full profile). Every choice
# is made on validation data; test numbers are reported only.
# Usage: sh docs/results/tabular/run.sh [SRL_BINARY]   (from the repository root)
set -eu
SRL=${1:-target/release/srl}
DATA=${SRL_DATA_DIR:-../shared/datasets}
T=$DATA/tables
OUT=docs/results/tabular
. docs/results/own-data/tables.sh
METHODS=vanilla,lds,denseweight,bni,conr,srl,lds+srl,gbdt,gbdt+inv,gbdt+sqinv,gbdt+lds,gbdt+denseweight
RESAMPLED=smogn,smogn+srl,smogn+gbdt,wercs+gbdt
mkdir -p "$OUT/compare"
cmp() {
  name=$1; shift
  rm -f "$OUT/compare/$name.note"
  # Resampling needs rare targets (box-plot extremes of the training targets); where there are
  # none, the resampled methods are left out and the reason is kept in $name.log.
  if ! "$SRL" compare --force --methods "$METHODS,$RESAMPLED" --out "$OUT/compare/$name" "$@" \
      > "$OUT/compare/$name.txt" 2> "$OUT/compare/$name.log"; then
    echo "without resampling: $(tail -1 "$OUT/compare/$name.log")" > "$OUT/compare/$name.note"
    "$SRL" compare --force --methods "$METHODS" --out "$OUT/compare/$name" "$@" \
      > "$OUT/compare/$name.txt" 2> "$OUT/compare/$name.log"
  fi
}
for_each_table cmp
for b in airfoil abalone concrete real-estate; do
  SRL_DATA_DIR=$DATA cmp "$b" --benchmark "$b" --profile full --seeds 3
done
python3 docs/results/tabular/summary.py "$OUT"
