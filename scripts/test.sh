#!/usr/bin/env bash
# The project's tests (README's test command; .ci/run runs exactly this after fmt, clippy and
# doc): the Rust workspace, then the Python package `srldir` built and tested in a virtual
# environment under target/ (scripts/python-tests.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace
scripts/python-tests.sh
