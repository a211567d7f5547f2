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

from ..errors import DataError
from ..heads import kind_of
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


def history_rows(path: Path) -> list[dict[str, str]]:
    """Rows of a history.csv (Keras' CSVLogger file), or [] when there is none yet."""
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            return [r for r in csv.DictReader(fh) if (r.get("epoch") or "").isdigit()]
    except OSError:
        return []


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv as {metric: [value per epoch]} (empty when absent)."""
    rows = history_rows(path)
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows if r.get(k) not in (None, "")] for k in keys}


def load_result(folder: str | Path) -> EvaluationResult:
    """The EvaluationResult of a finished run or evaluation folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"Run folder {str(folder)!r} does not exist.")
    config = read_config(folder)
    return kind_of(config.get("head", "softmax")).load_result(
        folder, config, read_history(folder / "history.csv")
    )
