"""Rebuild an EvaluationResult from a run (or evaluation) folder's saved files.

``config.json`` gives the classes, head, threshold, image size and data summary;
``predictions.csv`` the test paths, true labels and scores; ``history.csv`` (when
present) the training history. Nothing is predicted again.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import DataError
from ..heads.classification import EvaluationResult


def read_config(folder: Path) -> dict[str, Any]:
    """``folder/config.json`` as a dict; DataError when it is missing or not JSON."""
    path = Path(folder) / "config.json"
    if not path.is_file():
        raise DataError(
            f"{str(folder)!r} is not a run folder: it has no config.json. Give the folder "
            "'imgclf run' or 'imgclf evaluate' wrote (runs/<task>/<model>/<timestamp>)."
        )
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}.") from None


def read_history(path: Path) -> dict[str, list[float]]:
    """Keras' CSVLogger file as {metric: [value per epoch]} (empty when absent)."""
    if not Path(path).is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows if r.get(k) not in (None, "")] for k in keys}


def read_predictions(
    path: Path, classes: tuple[str, ...]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(paths, true class indices, N x C probabilities) from ``predictions.csv``."""
    if not Path(path).is_file():
        raise DataError(f"{path} is missing; the run did not finish its evaluation.")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = {"path", "true", *classes} - set(reader.fieldnames or [])
        rows = list(reader)
    if missing:
        raise DataError(f"{path} lacks the column(s) {', '.join(sorted(missing))}.")
    if not rows:
        raise DataError(f"{path} holds no predictions.")
    index = {c: i for i, c in enumerate(classes)}
    unknown = sorted({r["true"] for r in rows} - set(index))
    if unknown:
        raise DataError(f"{path}: true label(s) {', '.join(unknown)} are not run classes.")
    y_true = np.array([index[r["true"]] for r in rows], dtype="int32")
    # Scores are float32 model outputs written with 9 digits: back to float32 is exact.
    probs = np.array([[float(r[c]) for c in classes] for r in rows], dtype="float32")
    return [r["path"] for r in rows], y_true, probs.astype("float64")


def threshold_of(config: dict[str, Any]) -> float:
    """The decision threshold a binary run used (0.5 when it did not store one)."""
    try:
        return float(config.get("threshold", 0.5))
    except (TypeError, ValueError):
        return 0.5


def load_result(folder: str | Path) -> EvaluationResult:
    """The EvaluationResult of a finished run or evaluation folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"Run folder {str(folder)!r} does not exist.")
    config = read_config(folder)
    if config.get("head") == "regression":
        from ..heads.regression import load_regression_result

        return load_regression_result(folder, config, read_history(folder / "history.csv"))
    try:
        classes, head = tuple(config["classes"]), config.get("head", "softmax")
    except KeyError:
        raise DataError(f"{folder}/config.json has no 'classes'; not a run folder.") from None
    paths, y_true, probs = read_predictions(folder / "predictions.csv", classes)
    scores = probs[:, 1:2] if head == "sigmoid" else probs
    return EvaluationResult(
        y_true=y_true,
        scores=scores,
        classes=classes,
        head=head,
        paths=paths,
        threshold=threshold_of(config),
        history=read_history(folder / "history.csv"),
        config=config,
        data_summary=config.get("data_summary") or {},
    )
