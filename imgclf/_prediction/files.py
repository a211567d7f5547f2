"""Predict image files and folders with any model format, streaming in batches.

Files are decoded by the same tf.data code as training (so a prediction sees the
pixels the model was trained on) and run through a predictor (inference.py) one
batch at a time: a folder of any size needs the memory of one batch.
Unreadable files are reported and skipped, never the end of the whole run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._data.checks.inspect import inspect_files
from .._data.folder import IMAGE_SUFFIXES
from .._data.pipeline import make_dataset
from .._data.records import Record
from .._run_folder.model import ModelInfo
from ..errors import ConfigError, DataError


def collect_images(paths: Sequence[str | Path]) -> list[str]:
    """Image files named directly, plus every image file under named folders (sorted)."""
    out: list[str] = []
    for given in paths:
        p = Path(given)
        if p.is_dir():
            found = sorted(
                str(Path(root) / f)
                for root, _, files in os.walk(p)
                for f in files
                if Path(f).suffix.lower() in IMAGE_SUFFIXES
            )
            if not found:
                kinds = ", ".join(sorted(IMAGE_SUFFIXES))
                raise DataError(f"Folder {str(given)!r} holds no image files ({kinds}).")
            out.extend(found)
        elif p.is_file():
            out.append(str(p))
        else:
            raise DataError(f"No such file or folder: {str(given)!r}.")
    if not out:
        raise ConfigError("Give at least one image file or folder to predict.")
    return out


def split_readable(files: Sequence[str]) -> tuple[list[str], dict[str, str], frozenset[str]]:
    """(readable files, {unreadable file: why}, files to decode with Pillow)."""
    infos = inspect_files(files)
    bad = {p: str(i.error) for p, i in infos.items() if not i.ok}
    good = [p for p in files if p not in bad]
    return good, bad, frozenset(p for p in good if infos[p].decoder == "pillow")


def score_batches(
    predictor: Any, files: Sequence[str], size: int, batch_size: int, pillow: frozenset[str]
) -> Iterator[tuple[list[str], np.ndarray]]:
    """(file names, scores) one batch at a time, in the order of ``files``."""
    records = [Record(p, None) for p in files]
    ds = make_dataset(
        records, (), "softmax", size, batch_size, cache="none", with_labels=False,
        pillow_paths=pillow,
    )  # fmt: skip
    start = 0
    for batch in ds.as_numpy_iterator():
        names = list(files[start : start + len(batch)])
        start += len(batch)
        yield names, predictor(batch)


@dataclass
class Prediction:
    """One file's prediction: the label, its score and the top classes."""

    path: str
    label: str
    score: float
    top: list[tuple[str, float]]
    values: dict[str, float] | None = None  # a regression head: target -> value

    def to_json(self, info: ModelInfo) -> dict[str, Any]:
        if self.values is not None:
            return {"path": self.path, "values": self.values}
        out: dict[str, Any] = {"path": self.path, "label": self.label, "score": self.score}
        if info.head == "sigmoid":
            out.update(positive=info.classes[1], threshold=info.threshold)
        else:
            out["top"] = [{"class": c, "score": s} for c, s in self.top]
        return out


def interpret(path: str, scores: np.ndarray, info: ModelInfo, top_k: int) -> Prediction:
    """Scores -> label: argmax (softmax), or ``score >= threshold`` (sigmoid: the
    score is the probability of ``classes[1]``); a regression head's values as they are."""
    s = np.asarray(scores, dtype="float64").reshape(-1)
    if info.head == "regression":  # classes are the targets (valence, arousal)
        return Prediction(path, "", 0.0, [], dict(zip(info.classes, map(float, s))))
    if info.head == "sigmoid":
        p = float(s[0])
        label = info.classes[1] if p >= info.threshold else info.classes[0]
        return Prediction(path, label, p, [(info.classes[1], p), (info.classes[0], 1 - p)])
    order = np.argsort(-s, kind="stable")[: max(1, top_k)]
    top = [(info.classes[i], float(s[i])) for i in order]
    return Prediction(path, top[0][0], top[0][1], top)


def predict_files(
    predictor: Any, info: ModelInfo, files: Sequence[str], batch_size: int = 32, top_k: int = 3
) -> Iterator[Prediction | tuple[str, str]]:
    """Predictions in file order; an unreadable file yields ``(path, reason)`` instead."""
    good, bad, pillow = split_readable(files)
    yield from bad.items()
    for names, scores in score_batches(predictor, good, info.image_size, batch_size, pillow):
        for name, row in zip(names, scores):
            yield interpret(name, row, info, top_k)
