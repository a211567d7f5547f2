"""Experiment tracking the way a tracking service is fed: a Keras callback.

``CsvTracker`` appends one row per epoch to ``<output>/tracking.csv``: when, task,
model, seed, epoch and every metric Keras logged. For a tracking service, replace
the body of ``on_epoch_end`` with its client call (``mlflow.log_metrics(logs,
step=epoch)``, ``wandb.log(...)``, an HTTP POST); see docs/writing-plugins.md.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import keras  # this module is imported by the hook, when a run starts


class CsvTracker(keras.callbacks.Callback):
    """Append ``time, task, model, seed, epoch, <metric>=<value>...`` rows to a CSV."""

    def __init__(self, config, path: str | Path | None = None) -> None:
        super().__init__()
        self.path = Path(path) if path else Path(config.output) / "tracking.csv"
        # not self.params: Keras sets that (epochs, steps, verbose) on every callback
        self.tags = {"task": config.task, "model": config.model, "seed": config.seed}

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        # one metrics column: runs of other models or heads log other metrics to this file
        metrics = ";".join(f"{k}={float(v):.6g}" for k, v in sorted((logs or {}).items()))
        when = time.strftime("%Y-%m-%dT%H:%M:%S")
        self._append([when, *self.tags.values(), epoch + 1, metrics])  # from 1, as history.csv

    def _append(self, row: list) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists()
        with open(self.path, "a", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            if new:
                writer.writerow(["time", *self.tags, "epoch", "metrics"])
            writer.writerow(row)
