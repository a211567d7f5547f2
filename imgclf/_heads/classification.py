"""EvaluationResult and its metrics (scikit-learn); reporters only read these.

``EvaluationResult.metrics`` is computed once per result and is the single source
of every number a reporter shows; ``metrics.json`` is that dict. Values that are
undefined for the data (an AUC for a class without positives, say) are ``None``
(``null`` in JSON), never NaN.
"""

from __future__ import annotations

import csv
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .._files import write_csv, write_json
from .._nn import tta
from ..errors import DataError
from .shortcuts import shortcut_metrics
from .thresholds import pick_threshold

ECE_BINS = 15
BOOTSTRAP_RESAMPLES = 1000
BOOTSTRAP_SEED = 0


@dataclass
class EvaluationResult:
    """What a model predicted on the test images: everything a reporter needs.

    ``scores`` is the model's raw output: N x C probabilities (softmax) or
    N x 1 scores of ``classes[1]`` (sigmoid, thresholded at ``threshold``).
    ``y_true`` holds class indices into ``classes``; ``paths`` the image files in
    the same order, ``sources`` their data sources (empty when unknown). ``history``
    is Keras' per-epoch logs (empty for an evaluation of a saved model), ``config``
    the run's ``config.json`` and ``data_summary`` its counts (plus an ``evaluation``
    entry for an external evaluation).
    """

    y_true: np.ndarray
    scores: np.ndarray
    classes: tuple[str, ...]
    head: str
    paths: list[str]
    threshold: float = 0.5
    history: dict[str, list[float]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    data_summary: dict[str, Any] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @property
    def probabilities(self) -> np.ndarray:
        """N x C class probabilities, also for a sigmoid head."""
        s = np.asarray(self.scores, dtype="float64")
        if self.head == "sigmoid":
            p = s.reshape(-1)
            return np.stack([1 - p, p], axis=1)
        return s

    @property
    def y_pred(self) -> np.ndarray:
        """Predicted class indices (argmax, or ``score >= threshold`` for sigmoid)."""
        if self.head == "sigmoid":
            return (np.asarray(self.scores).reshape(-1) >= self.threshold).astype(int)
        return np.asarray(self.scores).argmax(axis=1)

    @cached_property
    def metrics(self) -> dict[str, Any]:
        """Every metric of this result (computed on first access, then kept)."""
        out = compute_metrics(
            self.y_true, self.y_pred, self.classes, self.probabilities, self.head, self.threshold
        )
        out.update(shortcut_metrics(self))  # per source, confounding, external sets
        return out


def _num(x: Any) -> float | None:
    """A JSON-safe float: ``None`` for None, NaN or infinity."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _ratio(a: float, b: float) -> float | None:
    return float(a / b) if b else None


def bootstrap_accuracy(
    correct: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED
) -> dict[str, Any]:
    """Percentile 95% interval of accuracy over ``resamples`` bootstrap resamples."""
    correct = np.asarray(correct, dtype="float64")
    rng = np.random.default_rng(seed)
    n, accs = len(correct), np.empty(resamples)
    for start in range(0, resamples, 100):  # chunks keep memory small for big test sets
        stop = min(start + 100, resamples)
        accs[start:stop] = correct[rng.integers(0, n, size=(stop - start, n))].mean(axis=1)
    low, high = np.percentile(accs, [2.5, 97.5])
    return {"low": float(low), "high": float(high), "resamples": resamples, "seed": seed}


def calibration(
    y_true: np.ndarray, y_pred: np.ndarray, probabilities: np.ndarray, bins: int = ECE_BINS
) -> dict[str, Any]:
    """Expected calibration error and the reliability table.

    Confidence is the probability of the predicted class (the maximum probability
    for softmax); bins are ``(k/bins, (k+1)/bins]``. ECE is the count-weighted mean
    of |accuracy - confidence| over the bins.
    """
    n = len(y_true)
    conf = probabilities[np.arange(n), y_pred]
    correct = (y_pred == y_true).astype("float64")
    idx = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    table, ece = [], 0.0
    for b in range(bins):
        sel = idx == b
        k = int(sel.sum())
        acc: float | None = None
        mean_conf: float | None = None
        if k:
            acc, mean_conf = float(correct[sel].mean()), float(conf[sel].mean())
            ece += k / n * abs(acc - mean_conf)
        table.append(
            {
                "lower": b / bins,
                "upper": (b + 1) / bins,
                "count": k,
                "confidence": mean_conf,
                "accuracy": acc,
            }
        )
    return {"ece": float(ece), "reliability": table}


def summary_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[int]) -> dict[str, Any]:
    """Accuracy (with bootstrap interval), balanced accuracy, kappa, macro/weighted P/R/F1."""
    from sklearn import metrics as m

    out: dict[str, Any] = {
        "accuracy": float(m.accuracy_score(y_true, y_pred)),
        "accuracy_ci95": bootstrap_accuracy(y_true == y_pred),
        "balanced_accuracy": _num(m.balanced_accuracy_score(y_true, y_pred)),
        "cohen_kappa": _num(m.cohen_kappa_score(y_true, y_pred, labels=labels)),
    }
    for avg in ("macro", "weighted"):
        p, r, f, _ = m.precision_recall_fscore_support(
            y_true, y_pred, labels=labels, average=avg, zero_division=0
        )
        out.update({f"{avg}_precision": _num(p), f"{avg}_recall": _num(r), f"{avg}_f1": _num(f)})
    return out


def _score_metric(fn: Any, positives: np.ndarray, scores: np.ndarray | None) -> float | None:
    """``fn(positives, scores)``, or None without scores, positives or negatives."""
    if scores is None or positives.all() or not positives.any():
        return None
    return _num(fn(positives, scores))


def per_class_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: tuple[str, ...],
    probabilities: np.ndarray | None,
    cm: np.ndarray,
) -> dict[str, dict[str, Any]]:
    """Per class: precision, recall, F1, support, one-vs-rest AUC and average
    precision, sensitivity and specificity."""
    from sklearn import metrics as m

    labels = list(range(len(classes)))
    p, r, f, s = m.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    n, out = int(cm.sum()), {}
    for i, c in enumerate(classes):
        tp = int(cm[i, i])
        fn, fp = int(cm[i].sum()) - tp, int(cm[:, i].sum()) - tp
        tn = n - tp - fn - fp
        pos = y_true == i
        col = None if probabilities is None else probabilities[:, i]
        out[c] = {
            "precision": float(p[i]),
            "recall": float(r[i]),
            "f1": float(f[i]),
            "support": int(s[i]),
            "auc": _score_metric(m.roc_auc_score, pos, col),
            "average_precision": _score_metric(m.average_precision_score, pos, col),
            "sensitivity": _ratio(tp, tp + fn),
            "specificity": _ratio(tn, tn + fp),
        }
    return out


def auc_averages(
    y_true: np.ndarray, probabilities: np.ndarray, per_class: dict[str, dict[str, Any]]
) -> dict[str, float | None]:
    """Macro (mean of the defined per-class AUCs) and micro (pooled one-vs-rest) ROC AUC."""
    from sklearn import metrics as m

    aucs = [row["auc"] for row in per_class.values() if row["auc"] is not None]
    onehot = np.eye(probabilities.shape[1])[y_true]
    return {
        "roc_auc_macro": float(np.mean(aucs)) if aucs else None,
        "roc_auc_micro": _num(m.roc_auc_score(onehot.ravel(), probabilities.ravel())),
    }


def binary_metrics(
    y_true: np.ndarray, cm: np.ndarray, probabilities: np.ndarray | None, threshold: float
) -> dict[str, Any]:
    """Threshold, precision, sensitivity, specificity and F1 of ``classes[1]``; ROC AUC."""
    from sklearn import metrics as m

    tn, fp, fn, tp = (int(v) for v in cm.ravel())
    out: dict[str, Any] = {
        "threshold": float(threshold),
        "precision": float(tp / (tp + fp)) if tp + fp else 0.0,
        "sensitivity": _ratio(tp, tp + fn),  # None without positives (a by-source test)
        "specificity": _ratio(tn, tn + fp),
        "f1": float(2 * tp / (2 * tp + fp + fn)) if tp else 0.0,
    }
    if probabilities is not None and len(set(y_true.tolist())) == 2:
        out["roc_auc"] = float(m.roc_auc_score(y_true, probabilities[:, 1]))
    return out


def compute_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: tuple[str, ...],
    probabilities: np.ndarray | None = None,
    head: str = "softmax",
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Every metric of ``metrics.json`` (see docs/reports.md for the list)."""
    from sklearn import metrics as m

    y_true = np.asarray(y_true).astype(int).reshape(-1)
    y_pred = np.asarray(y_pred).astype(int).reshape(-1)
    if not len(y_true):
        raise DataError("There are no test images to evaluate; add data or change the split.")
    labels = list(range(len(classes)))
    cm = m.confusion_matrix(y_true, y_pred, labels=labels)
    with warnings.catch_warnings():  # classes absent from y_true are expected, not news
        warnings.simplefilter("ignore")
        out: dict[str, Any] = {"n": int(len(y_true)), "classes": list(classes)}
        out.update(summary_metrics(y_true, y_pred, labels))
        per_class = per_class_metrics(y_true, y_pred, tuple(classes), probabilities, cm)
        if probabilities is not None and head != "sigmoid":
            out.update(auc_averages(y_true, probabilities, per_class))
        if head == "sigmoid":
            out.update(binary_metrics(y_true, cm, probabilities, threshold))
        cal = calibration(y_true, y_pred, probabilities) if probabilities is not None else {}
        out["ece"] = cal.get("ece")
        out["per_class"] = per_class
        out["confusion_matrix"] = cm.tolist()
        out["reliability"] = cal.get("reliability", [])
    return out


def write_predictions(run_dir: Path, result: EvaluationResult) -> None:
    """``predictions.csv``: path, true, predicted, one probability column per class.

    Probabilities keep 9 significant digits (exact for float32 scores), so
    ``imgclf report`` recomputes the very same metrics from this file.
    """
    probs = result.probabilities
    pred = result.y_pred
    rows = (
        [p, result.classes[t], result.classes[y], *(f"{v:.9g}" for v in probs[i])]
        for i, (p, t, y) in enumerate(zip(result.paths, result.y_true, pred))
    )
    write_csv(run_dir / "predictions.csv", ["path", "true", "predicted", *result.classes], rows)


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


def load_classification_result(
    folder: Path, config: dict[str, Any], history: dict
) -> EvaluationResult:
    """The EvaluationResult of a finished class-head run or evaluation folder."""
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
        history=history,
        config=config,
        data_summary=config.get("data_summary") or {},
    )


def class_loss(head: Any, label_smoothing: float = 0.0, soft: bool = False) -> Any:
    """A class head's cross-entropy. Sparse integer labels as before; one-hot or soft
    rows (``soft``: MixUp/CutMix, or any label smoothing of a softmax head, which
    Keras applies to one-hot labels only) take CategoricalCrossentropy; a sigmoid head
    smooths with BinaryCrossentropy (y * (1 - s) + s / 2)."""
    import keras

    if head.kind == "sigmoid":
        if not label_smoothing:
            return "binary_crossentropy"
        return keras.losses.BinaryCrossentropy(label_smoothing=label_smoothing)
    if not soft and not label_smoothing:
        return "sparse_categorical_crossentropy"
    return keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing)


def predict_test(run: Any, model: Any, pipes: Any, history: dict) -> EvaluationResult:
    """A class head's test split predicted (``run``: the runner's run_folder.run.Run, ``pipes``
    its Pipelines). A sigmoid head first picks its threshold on the validation split
    (without TTA) and records it in config.json; the test split is predicted with
    ``config.tta`` (_nn/tta.py), recorded in metrics.json."""
    config, data, saved = run.config, run.data, run.saved
    head, info = data.head, saved.config
    threshold = pick_threshold(config, head.kind, model, pipes.ds("val"), pipes.labels("val"))
    if head.kind == "sigmoid":
        saved.threshold = threshold
        info.update(threshold=threshold, threshold_rule=str(config.threshold))
        write_json(run.run_dir / "config.json", info)
    result = EvaluationResult(
        y_true=pipes.labels("test"), scores=tta.predict(model, pipes.ds("test"), config.tta),
        classes=data.classes, head=head.kind, paths=[r.path for r in data.splits["test"]],
        threshold=threshold, history=history, config=info, data_summary=info["data_summary"],
        sources=[r.source for r in data.splits["test"]],
    )  # fmt: skip
    return tta.record(result, config.tta)
