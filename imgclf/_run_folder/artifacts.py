"""Rebuild an EvaluationResult from a run (or evaluation) folder's saved files.

``config.json`` gives the classes, head, threshold, image size and data summary;
``predictions.csv`` the test paths, true labels and scores; ``history.csv`` (when
present) the training history. Nothing is predicted again.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._data.records import Record
from .._heads import kind_of
from .._heads.classification import EvaluationResult
from ..errors import DataError
from .splitfile import read_splits, resolve_path


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
    """Rows of a history.csv (Keras' CSVLogger file), or [] when there is none yet.

    ``epoch`` counts from 1 in every row returned: a folder written before history.csv
    did (its first epoch is 0, as Keras counts) is shifted by one as it is read.
    """
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = [r for r in csv.DictReader(fh) if (r.get("epoch") or "").isdigit()]
    except OSError:
        return []
    if rows and int(rows[0]["epoch"]) == 0:
        rows = [{**r, "epoch": str(int(r["epoch"]) + 1)} for r in rows]
    return rows


def read_history(path: Path) -> dict[str, list[float]]:
    """history.csv as {metric: [value per epoch]} (empty when absent)."""
    rows = history_rows(path)
    keys = [k for k in (rows[0] if rows else {}) if k != "epoch"]
    return {k: [float(r[k]) for r in rows if r.get(k) not in (None, "")] for k in keys}


@dataclass(frozen=True)
class RunFolder:
    """A run (or evaluation) folder read back: its ``config.json`` and the files beside it."""

    path: Path
    config: dict[str, Any]

    @property
    def model_path(self) -> Path:
        return self.path / "model.keras"

    def history(self) -> dict[str, list[float]]:
        return read_history(self.path / "history.csv")

    def splits(self, check_files: bool = False) -> dict[str, list[Record]]:
        """split -> records from ``splits.csv`` (absolute paths; an older folder's
        relative ones resolved against the current directory). ``check_files``: a
        DataError naming the folder and a missing image when any is gone."""
        splits = read_splits(self.path, resolve=False)
        return self._resolved(splits, "splits.csv", check_files)

    def run_splits(self, check_files: bool = False) -> dict[str, list[Record]]:
        """``splits()``; without splits.csv (runs of imgclf 0.1), the test split from
        ``predictions.csv``."""
        if (self.path / "splits.csv").is_file():
            return self.splits(check_files)
        path = self.path / "predictions.csv"
        if not path.is_file():
            raise DataError(
                f"{self.path} has neither splits.csv nor predictions.csv: nothing to test on."
            )
        with open(path, newline="", encoding="utf-8") as fh:
            test = [Record(r["path"], r["true"], split="test") for r in csv.DictReader(fh)]
        return self._resolved({"test": test}, "predictions.csv", check_files)

    def result(self) -> EvaluationResult:
        """The EvaluationResult its head kind reads back (nothing is predicted again)."""
        kind = kind_of(self.config.get("head", "softmax"))
        result = kind.load_result(self.path, self.config, self.history())
        if "tta" in self.config:  # how the test was predicted (runs since the setting)
            result.metrics["tta"] = self.config["tta"] or "none"
        if isinstance(result, EvaluationResult) and (self.path / "splits.csv").is_file():
            source = {r.path: r.source for r in self.splits().get("test", [])}  # absolute
            result.sources = [source.get(resolve_path(p), "") for p in result.paths]
        return result

    def _resolved(
        self, splits: dict[str, list[Record]], listed_in: str, check_files: bool
    ) -> dict[str, list[Record]]:
        """``splits`` with every path resolved (see splitfile.resolve_path); with
        ``check_files``, a DataError naming this folder and one missing image."""
        missing = []
        for record in (r for part in splits.values() for r in part):
            recorded, record.path = record.path, resolve_path(record.path)
            if check_files and not os.path.exists(record.path):
                missing.append((recorded, record.path))
        if not missing:
            return splits
        total = sum(len(part) for part in splits.values())
        recorded, resolved = missing[0]
        if recorded != resolved:
            where = f"{recorded} (looked for at {resolved})"
            advice = (
                f"This run folder is older than imgclf's absolute paths: its {listed_in} "
                "names images relative to the directory the run was started from. Run the "
                "command from that directory, or re-run the training."
            )
        else:
            where = recorded
            advice = (
                "The data set has moved or been deleted since the run: put it back where "
                "it was, or re-run the training on its new location."
            )
        raise DataError(
            f"Run folder {str(self.path)!r}: {len(missing)} of the {total} images its "
            f"{listed_in} lists are missing, e.g. {where}. {advice}"
        )


def open_run(path: str | Path) -> RunFolder:
    """The run or evaluation folder at ``path``: every read of a run folder starts here.
    DataError when there is no such folder or it has no readable ``config.json``."""
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"Run folder {str(path)!r} does not exist.")
    return RunFolder(path, read_config(path))


def load_result(folder: str | Path) -> EvaluationResult:
    """The EvaluationResult of a finished run or evaluation folder."""
    return open_run(folder).result()
