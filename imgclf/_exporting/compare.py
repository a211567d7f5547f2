"""What exporting cost: the exported model next to the Keras model on the run's test split.

Both models see the very same decoded batches; the result holds each one's
headline metrics, the rate at which their predicted labels agree and the largest
score difference, and is written into the run folder beside the exported file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._data.records import Record, class_label
from .._files import write_json
from .._heads.classification import EvaluationResult
from .._prediction.files import score_batches, split_readable
from .._prediction.predictors import (
    KerasPredictor,
    ONNXPredictor,
    SavedModelPredictor,
    TFLitePredictor,
    load_predictor,
)
from .._run_folder.artifacts import open_run
from .._run_folder.model import ModelInfo
from ..errors import DataError
from .formats import check_choice, default_target, export_keras, require_onnx

HEADLINE = ("accuracy", "macro_f1", "balanced_accuracy", "roc_auc")
PREDICTORS = {"savedmodel": SavedModelPredictor, "tflite": TFLitePredictor, "onnx": ONNXPredictor}


def run_splits(run_dir: Path) -> dict[str, list[Record]]:
    """The run's splits (``open_run``), every image checked to be there."""
    return open_run(run_dir).run_splits(check_files=True)


def score_both(
    keras_fn: Any, exported_fn: Any, records: Sequence[Record], size: int, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(Keras scores, exported scores) of ``records``, decoded once."""
    good, bad, pillow = split_readable([r.path for r in records])
    if bad:
        first = next(iter(bad.items()))
        raise DataError(
            f"{len(bad)} test image(s) of the run can no longer be read, e.g. {first[0]} "
            f"({first[1]}); restore them to compare the exported model."
        )
    a, b = [], []
    for _, batch_scores in score_batches(
        _Pair(keras_fn, exported_fn), good, size, batch_size, pillow
    ):
        a.append(batch_scores[0])
        b.append(batch_scores[1])
    return np.concatenate(a), np.concatenate(b)


class _Pair:
    """Runs one batch through two predictors (score_batches takes one)."""

    def __init__(self, first: Any, second: Any) -> None:
        self.first, self.second = first, second

    def __call__(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.first(batch), self.second(batch)


def headline(result: EvaluationResult) -> dict[str, float]:
    m = result.metrics
    return {k: float(m[k]) for k in HEADLINE if isinstance(m.get(k), (int, float))}


def compare(
    keras_fn: Any,
    exported_fn: Any,
    info: ModelInfo,
    records: Sequence[Record],
    batch_size: int = 64,
) -> dict[str, Any]:
    """Metrics of both models on ``records``, their label agreement and max score gap.

    A regression head: splits.csv holds no targets, so the two models' outputs are
    compared with each other only (agreement: the share of outputs of equal sign).
    """
    if info.head == "regression":
        ks, es = score_both(keras_fn, exported_fn, records, info.image_size, batch_size)
        return {
            "n": len(ks), "keras": {}, "exported": {},
            "agreement": float(np.mean(np.sign(ks) == np.sign(es))),
            "max_abs_score_diff": float(np.max(np.abs(ks - es))),
            "rmse_vs_keras": float(np.sqrt(np.mean((ks - es) ** 2))),
        }  # fmt: skip
    index = {c: i for i, c in enumerate(info.classes)}
    records = [r for r in records if r.label in index]
    if not records:
        raise DataError("The run's test split holds no image of the model's classes.")
    ks, es = score_both(keras_fn, exported_fn, records, info.image_size, batch_size)
    y = np.array([index[class_label(r)] for r in records])
    paths = [r.path for r in records]

    def result(scores: np.ndarray) -> EvaluationResult:
        return EvaluationResult(y, scores, info.classes, info.head, paths, info.threshold)

    keras_r, exported_r = result(ks), result(es)
    return {
        "n": len(records),
        "keras": headline(keras_r),
        "exported": headline(exported_r),
        "agreement": float(np.mean(keras_r.y_pred == exported_r.y_pred)),
        "max_abs_score_diff": float(np.max(np.abs(ks - es))),
    }


def write_comparison(exported_path: Path, comparison: dict[str, Any], meta: dict[str, Any]) -> Path:
    """``<exported>.eval.json`` beside the exported file (inside a SavedModel's parent)."""
    p = Path(exported_path)
    out = p.parent / f"{p.name}.eval.json"
    write_json(out, {**meta, **comparison})
    return out


def export_and_compare(
    model: str | Path,
    fmt: str,
    quantize: str,
    output: str | Path | None = None,
    task: str | None = None,
    evaluate: bool = True,
    batch_size: int = 64,
    unsafe: bool = False,
) -> tuple[Any, dict[str, Any] | None]:
    """Export ``model`` (run folder or .keras) and, for a run, compare on its test split.

    Returns (Exported, comparison or None). A bare .keras file has no test split:
    it is exported but not compared, and cannot be int8-quantized (no training images).
    """
    check_choice(fmt, quantize)
    if fmt == "onnx":
        require_onnx(runtime=evaluate)
    source = Path(model)
    if source.suffix in (".tflite", ".onnx") or (source / "saved_model.pb").is_file():
        raise DataError(
            f"{source} is already exported; export from the run folder or its model.keras."
        )
    keras_fn, info = load_predictor(source, task=task, unsafe=unsafe)
    assert isinstance(keras_fn, KerasPredictor)
    splits = run_splits(info.run_dir) if info.run_dir else {}
    if quantize == "int8" and not splits.get("train"):
        raise DataError(
            f"int8 quantization calibrates on the run's training images, and {source} "
            "names none (a bare .keras file, or a run of imgclf 0.1 without splits.csv). "
            "Export from a run folder, or use --quantize dynamic."
        )
    target = Path(output) if output else default_target(info, source, fmt, quantize)
    train = [r.path for r in splits.get("train", [])]
    exported = export_keras(keras_fn.model, info, target, fmt, quantize, train)
    if not (evaluate and splits.get("test")):
        return exported, None

    fn = PREDICTORS[fmt](target)
    comparison = compare(keras_fn, fn, info, splits["test"], batch_size)
    comparison["runtime"] = fn.runtime  # which interpreter gave the "exported" figures
    meta = {
        "format": fmt,
        "quantize": quantize,
        "path": str(target),
        "size_bytes": exported.size_bytes,
    }
    comparison["file"] = str(write_comparison(target, comparison, meta))
    return exported, comparison
