#!/usr/bin/env bash
# Builds the Python package from python/ into a virtual environment under target/ and runs
# pytest with the torch, scikit-learn and distributed tests. The environment is created once
# and reused; the packages come from PyPI (torch from PyPI is its CUDA build, which runs on the
# CPU: about 4 GB installed, about 1 minute to install here).
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${SRLDIR_VENV:-target/pyenv}"
start=$SECONDS
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
py="$(cd "$venv" && pwd)/bin/python"
if ! "$py" -c "import numpy, pytest, sklearn, pandas, torch" 2>/dev/null; then
    "$py" -m pip install --quiet --disable-pip-version-check \
        numpy pytest scikit-learn pandas torch
fi
echo "python test environment ready in $((SECONDS - start)) s ($venv)"
start=$SECONDS
# `pip install ./python` is what README tells users; pip builds the wheel with maturin.
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
echo "srldir built and installed in $((SECONDS - start)) s"
start=$SECONDS
(cd python && "$py" -m pytest -q -p no:cacheprovider)
echo "python tests ran in $((SECONDS - start)) s"
