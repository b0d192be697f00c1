#!/usr/bin/env bash
# Builds the Python package from python/ into a virtual environment under target/ and runs
# pytest with the torch, scikit-learn and distributed tests. The environment is created once
# and reused; the packages come from PyPI (torch from PyPI is its CUDA build, which runs on the
# CPU: about 5 GB installed, about 1.5 minutes to install here).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SRLDIR_VENV:-target/pyenv}"
start=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
bin="$(cd "$venv" && pwd)/bin"
if ! "$bin/python" -c "import numpy, pytest, sklearn, pandas, torch" 2>/dev/null; then
    "$bin/python" -m pip install --quiet --disable-pip-version-check \
        numpy pytest scikit-learn pandas torch
fi
echo "python test environment ready in $((SECONDS - start)) s ($venv)"
start=$SECONDS
# `pip install ./python` is what README tells users; pip builds the wheel with maturin. Here
# in the `python-ci` profile (Cargo.toml: release without thin LTO, parallel codegen) instead
# of `release`, which compiles about twice as long.
MATURIN_PEP517_ARGS="${MATURIN_PEP517_ARGS:---profile python-ci}" \
    "$bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
    --no-deps ./python
echo "srldir built and installed in $((SECONDS - start)) s"
start=$SECONDS
# The pytest script, not `python -m pytest`: the latter puts the working directory on sys.path,
# where python/srldir (without its compiled _core) would shadow the installed package.
(cd python && "$bin/pytest" -q -p no:cacheprovider tests)
echo "python tests ran in $((SECONDS - start)) s"
