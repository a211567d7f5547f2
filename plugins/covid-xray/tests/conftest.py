"""Paths to the real data sets (skipped with a reason when absent) and tiny CSV layouts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# ../shared/data from the project root: real data for tests, never in the repository.
DATA = (Path(__file__).resolve().parents[3] / ".." / "shared" / "data").resolve()
IEEE = DATA / "covid-chestxray-ieee8023"
KAGGLE = DATA / "xray-dataset-covid19"


def _need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"real data {path} is absent (a checkout has no ../shared/data)")
    return path


@pytest.fixture
def ieee_dir() -> Path:
    return _need(IEEE / "metadata.csv").parent


@pytest.fixture
def kaggle_dir() -> Path:
    return _need(KAGGLE / "xray_dataset_covid19").parent
