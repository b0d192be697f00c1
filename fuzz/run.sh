#!/usr/bin/env bash
# Runs one fuzz target with the limits of docs/fuzzing.md, one process, on its committed
# corpus (new inputs are added to fuzz/corpus/<target>/; minimise afterwards with
# `cargo +nightly fuzz cmin <target>`). Log: fuzz/target/logs/<target>.log.
#
#   fuzz/run.sh <target> [seconds=600] [extra libFuzzer flags…]
set -euo pipefail
cd "$(dirname "$0")"
target=$1
secs=${2:-600}
shift $(( $# >= 2 ? 2 : 1 ))
cargo +nightly fuzz build "$target"
mkdir -p target/logs "artifacts/$target" "corpus/$target"
"target/x86_64-unknown-linux-gnu/release/$target" \
    -artifact_prefix="artifacts/$target/" \
    -max_total_time="$secs" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -max_len=65536 -print_final_stats=1 "$@" "corpus/$target" \
    2>&1 | tee "target/logs/$target.log"
