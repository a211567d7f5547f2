"""The decision threshold of a binary (sigmoid) head: fixed, or picked on validation."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._config import RunConfig
from ..errors import DataError


def youden_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The threshold maximising sensitivity + specificity - 1 (Youden's J)."""
    from sklearn.metrics import roc_curve

    if len(set(np.asarray(y_true).tolist())) < 2:
        raise DataError("threshold=youden needs both classes in the validation split.")
    fpr, tpr, thresholds = roc_curve(y_true, np.asarray(scores).reshape(-1))
    best = int(np.argmax(tpr - fpr))
    return float(min(max(thresholds[best], 1e-6), 1 - 1e-6))


def pick_threshold(
    config: RunConfig, head_kind: str, model: Any, val_ds: Any, y_val: np.ndarray
) -> float:
    if head_kind != "sigmoid" or not isinstance(config.threshold, str):
        return float(config.threshold) if isinstance(config.threshold, float) else 0.5
    return youden_threshold(y_val, model.predict(val_ds, verbose=0))
