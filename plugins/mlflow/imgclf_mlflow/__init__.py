"""imgclf-mlflow: every imgclf run logged to MLflow, through imgclf's public hooks.

- ``extra_callbacks(config, run_dir)``: when training starts, an MLflow run is opened
  (in the experiment named after the task) with config.json's settings as
  parameters, and a callback logs each epoch's metrics with step = epoch (from 1);
- ``run_finished(config, run_dir, metrics)``: metrics.json's numbers (``test_*``),
  then config.json, metrics.json, history.csv, predictions.csv, report.html, plots/
  and model.keras as artifacts; the MLflow run is closed FINISHED.

Where: ``MLFLOW_TRACKING_URI``, else a sqlite store in ``./mlruns/``
(settings.py). Without an importable ``mlflow`` the plugin does nothing and says
why, once.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from imgclf import hookimpl

from . import settings

__version__ = "0.1.0"


@hookimpl
def extra_callbacks(config: Any, run_dir: Path) -> list[Any] | None:
    if not settings.active():
        return None
    from . import tracker  # imports Keras and MLflow: only when a run starts

    try:
        tracked = tracker.start(config, run_dir)
    except Exception as exc:  # a tracking store that is down must not stop the training
        warnings.warn(
            f"imgclf-mlflow: could not open an MLflow run at {settings.tracking_uri()!r} "
            f"({type(exc).__name__}: {exc}); this run is trained without its epochs tracked.",
            stacklevel=2,
        )
        return None
    return [tracker.EpochLogger(tracked)]


@hookimpl
def run_finished(config: Any, run_dir: Path, metrics: dict[str, Any]) -> None:
    if not settings.active():
        return
    from . import tracker

    tracker.finish(config, run_dir, metrics)
