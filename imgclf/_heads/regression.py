"""Regression heads (e.g. valence/arousal): the result, its metrics, its saved files.

A regression run ends like a classification run: ``predictions.csv`` (path, then
``true_<target>`` and ``predicted_<target>`` per target, 9 significant digits so
``imgclf report`` recomputes the same figures), ``metrics.json`` and the reports.
Per target the metrics are RMSE, Pearson's r, Lin's concordance correlation
coefficient (CCC) and sign agreement, plus their means over the targets
(``rmse_mean`` is the "average RMSE" papers report for valence and arousal).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._data.pipeline import label_array
from .._files import write_csv
from .._nn import tta
from ..errors import DataError
from .classification import EvaluationResult, _num

PER_TARGET = ("rmse", "mae", "pearson", "ccc", "sign_agreement")


def pearson(t: np.ndarray, p: np.ndarray) -> float | None:
    """Pearson's r; None when either side is constant (r is undefined)."""
    st, sp = t.std(), p.std()
    if st == 0 or sp == 0:
        return None
    return _num(((t - t.mean()) * (p - p.mean())).mean() / (st * sp))


def ccc(t: np.ndarray, p: np.ndarray) -> float | None:
    """Lin's concordance correlation coefficient, population moments:
    2 cov(t, p) / (var t + var p + (mean t - mean p)^2). 1 only when p == t."""
    cov = ((t - t.mean()) * (p - p.mean())).mean()
    den = t.var() + p.var() + (t.mean() - p.mean()) ** 2
    return _num(2 * cov / den) if den > 0 else None


def sign_agreement(t: np.ndarray, p: np.ndarray) -> float:
    """Share of images whose prediction falls on the same side of 0 as the truth
    (0 counts as the non-negative side): positive vs negative valence, say."""
    return float(np.mean((t >= 0) == (p >= 0)))


def regression_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, targets: tuple[str, ...]
) -> dict[str, Any]:
    """Every figure of a regression run's ``metrics.json`` (see docs/reports.md)."""
    if not len(y_true):
        raise DataError("There are no test images to evaluate; add data or change the split.")
    t = np.asarray(y_true, dtype="float64").reshape(len(y_true), -1)
    p = np.asarray(y_pred, dtype="float64").reshape(len(y_pred), -1)
    per: dict[str, dict[str, Any]] = {}
    for i, name in enumerate(targets):
        ti, pi = t[:, i], p[:, i]
        per[name] = {
            "rmse": float(np.sqrt(np.mean((ti - pi) ** 2))),
            "mae": float(np.mean(np.abs(ti - pi))),
            "pearson": pearson(ti, pi),
            "ccc": ccc(ti, pi),
            "sign_agreement": sign_agreement(ti, pi),
        }
    out: dict[str, Any] = {"n": int(len(t)), "head": "regression", "targets": list(targets)}
    for key in PER_TARGET:
        values = [row[key] for row in per.values()]
        out[f"{key}_mean"] = float(np.mean(values)) if None not in values else None
    out["per_target"] = per
    return out


@dataclass
class RegressionResult(EvaluationResult):
    """What a regression model predicted on the test images.

    ``y_true`` and ``scores`` are N x D (true and predicted targets), ``classes``
    holds the target names (also as ``targets``), ``head`` is ``"regression"``.
    There are no class probabilities.
    """

    @property
    def targets(self) -> tuple[str, ...]:
        return self.classes

    @property
    def y_pred(self) -> np.ndarray:
        return np.asarray(self.scores, dtype="float64")

    @property
    def probabilities(self) -> np.ndarray:
        raise TypeError("a regression result has no class probabilities; read y_pred")

    @cached_property
    def metrics(self) -> dict[str, Any]:
        return regression_metrics(self.y_true, self.scores, self.classes)


def write_regression_predictions(run_dir: Path, result: RegressionResult) -> None:
    """``predictions.csv``: path, ``true_<t>`` and ``predicted_<t>`` per target."""
    names = result.targets
    header = ["path", *(f"true_{n}" for n in names), *(f"predicted_{n}" for n in names)]
    t, p = np.asarray(result.y_true), np.asarray(result.scores)
    rows = (
        [path, *(f"{v:.9g}" for v in t[i]), *(f"{v:.9g}" for v in p[i])]
        for i, path in enumerate(result.paths)
    )
    write_csv(Path(run_dir) / "predictions.csv", header, rows)


def read_regression_predictions(
    path: Path, targets: tuple[str, ...]
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(paths, N x D true, N x D predicted) from a regression run's predictions.csv."""
    if not Path(path).is_file():
        raise DataError(f"{path} is missing; the run did not finish its evaluation.")
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        wanted = ["path", *(f"{k}_{n}" for k in ("true", "predicted") for n in targets)]
        missing = set(wanted) - set(reader.fieldnames or [])
        rows = list(reader)
    if missing:
        raise DataError(f"{path} lacks the column(s) {', '.join(sorted(missing))}.")
    if not rows:
        raise DataError(f"{path} holds no predictions.")
    true = np.array([[float(r[f"true_{n}"]) for n in targets] for r in rows], dtype="float32")
    pred = np.array([[float(r[f"predicted_{n}"]) for n in targets] for r in rows], dtype="float32")
    return [r["path"] for r in rows], true, pred


def load_regression_result(folder: Path, config: dict[str, Any], history: dict) -> RegressionResult:
    """The RegressionResult of a finished regression run folder (nothing predicted)."""
    targets = tuple(config.get("targets") or ())
    if not targets:
        raise DataError(f"{folder}/config.json has no 'targets'; not a regression run folder.")
    paths, true, pred = read_regression_predictions(Path(folder) / "predictions.csv", targets)
    return RegressionResult(
        y_true=true, scores=pred, classes=targets, head="regression", paths=paths,
        history=history, config=config, data_summary=config.get("data_summary") or {},
    )  # fmt: skip


def predict_test(run: Any, model: Any, pipes: Any, history: dict) -> RegressionResult:
    """A regression head's test split predicted: N x targets scores, no threshold
    (``run``: the runner's run_folder.run.Run, ``pipes`` its Pipelines)."""
    head, test, saved = run.data.head, run.data.splits["test"], run.saved
    mode = run.config.tta
    result = RegressionResult(
        y_true=label_array(test, head.targets, "regression"),
        scores=np.asarray(tta.predict(model, pipes.ds("test"), mode), dtype="float32"),
        classes=tuple(head.targets), head="regression", paths=[r.path for r in test],
        history=history, config=saved.config, data_summary=saved.config["data_summary"],
    )  # fmt: skip
    return tta.record(result, mode)


def training_metrics() -> list[Any]:
    """RMSE with all targets pooled, shown while training; the per-target figures
    come from the evaluation."""
    import keras

    return [keras.metrics.RootMeanSquaredError(name="rmse")]
