"""EvaluationResult and its metrics (scikit-learn); reporters only read these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class EvaluationResult:
    """What a model predicted on the test images: everything a reporter needs.

    ``scores`` is the model's raw output: N x C probabilities (softmax) or
    N x 1 scores of ``classes[1]`` (sigmoid, thresholded at ``threshold``).
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
        if self.head == "sigmoid":
            return (np.asarray(self.scores).reshape(-1) >= self.threshold).astype(int)
        return np.asarray(self.scores).argmax(axis=1)

    @property
    def metrics(self) -> dict[str, Any]:
        return compute_metrics(
            self.y_true, self.y_pred, self.classes, self.probabilities, self.head, self.threshold
        )


def compute_metrics(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: tuple[str, ...],
    probabilities: np.ndarray | None = None,
    head: str = "softmax",
    threshold: float = 0.5,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class P/R/F1/support and the confusion matrix."""
    from sklearn import metrics as m

    labels = list(range(len(classes)))
    p, r, f, s = m.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    cm = m.confusion_matrix(y_true, y_pred, labels=labels)
    out: dict[str, Any] = {
        "n": int(len(y_true)),
        "accuracy": float(m.accuracy_score(y_true, y_pred)),
        "macro_f1": float(
            m.f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)
        ),
        "classes": list(classes),
        "per_class": {
            c: {
                "precision": float(p[i]),
                "recall": float(r[i]),
                "f1": float(f[i]),
                "support": int(s[i]),
            }
            for i, c in enumerate(classes)
        },
        "confusion_matrix": cm.tolist(),
    }
    if head == "sigmoid":
        tn, fp, fn, tp = cm.ravel()
        out.update(
            threshold=float(threshold),
            precision=float(p[1]),
            sensitivity=float(tp / (tp + fn)) if tp + fn else 0.0,
            specificity=float(tn / (tn + fp)) if tn + fp else 0.0,
            f1=float(f[1]),
        )
        if probabilities is not None and len(set(y_true.tolist())) == 2:
            out["roc_auc"] = float(m.roc_auc_score(y_true, probabilities[:, 1]))
    return out
