import os
from pathlib import Path

import pytest


def data_dir() -> Path | None:
    """The shared datasets: $SRL_DATA_DIR, else ../shared/datasets beside the repository."""
    env = os.environ.get("SRL_DATA_DIR")
    if env:
        return Path(env)
    guess = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
    return guess if guess.is_dir() else None


@pytest.fixture
def datasets() -> Path:
    d = data_dir()
    if d is None or not d.is_dir():
        pytest.skip("no datasets folder: set SRL_DATA_DIR")
    return d
