"""The honest-evaluation figures of a class head's result (docs/shortcut-learning.md).

Beside the pooled test metrics, ``metrics.json`` carries what says whether they
travel: ``confounding`` (the source x class table and Cramér's V, from the
pre-flight), ``per_source`` (accuracy, and sensitivity/specificity for a sigmoid
head, per data source of the test images, whenever the test split holds several
sources or is one held-out source), ``external`` (the final model on the run's
``--eval-data`` sets) and, for ``imgclf evaluate`` of a sigmoid model,
``thresholds``: the figures at the run's threshold and at the one Youden's J picks
on the evaluated data (the threshold is a choice that depends on where the
model is used).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._data.checks.confounding import source_names
from .thresholds import youden_threshold


def _ratio(a: int, b: int) -> float | None:
    return float(a / b) if b else None


def binary_figures(y_true: np.ndarray, positive: np.ndarray, threshold: float) -> dict[str, Any]:
    """Accuracy, balanced accuracy, sensitivity, specificity, precision and F1 of the
    scores ``positive`` thresholded at ``threshold`` (None where undefined)."""
    y = np.asarray(y_true).astype(int).reshape(-1)
    pred = (np.asarray(positive).reshape(-1) >= threshold).astype(int)
    tp, fn = int(((pred == 1) & (y == 1)).sum()), int(((pred == 0) & (y == 1)).sum())
    tn, fp = int(((pred == 0) & (y == 0)).sum()), int(((pred == 1) & (y == 0)).sum())
    sens, spec = _ratio(tp, tp + fn), _ratio(tn, tn + fp)
    both = [v for v in (sens, spec) if v is not None]
    return {
        "threshold": float(threshold),
        "n": int(len(y)),
        "accuracy": _ratio(tp + tn, len(y)),
        "balanced_accuracy": float(np.mean(both)) if len(both) == 2 else None,
        "sensitivity": sens,
        "specificity": spec,
        "precision": _ratio(tp, tp + fp),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def threshold_comparison(
    y_true: np.ndarray, positive: np.ndarray, run_threshold: float
) -> dict[str, Any]:
    """The figures at the run's threshold and at Youden's J on this data."""
    out: dict[str, Any] = {"run": binary_figures(y_true, positive, run_threshold)}
    if len(set(np.asarray(y_true).reshape(-1).tolist())) < 2:
        out["youden_on_this_data"] = None
        out["note"] = "Youden's J needs both classes in the data; it holds one."
    else:
        best = youden_threshold(y_true, positive)
        out["youden_on_this_data"] = binary_figures(y_true, positive, best)
    return out


def per_source(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    sources: Sequence[str],
    classes: Sequence[str],
    binary: bool,
    every_source: Sequence[str] = (),
) -> dict[str, dict[str, Any]]:
    """Source (short name, unique among ``every_source``, the run's sources) -> n,
    accuracy, images per class; sensitivity and specificity of ``classes[1]`` for a
    binary head (None where undefined)."""
    y, pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    src = np.asarray(list(sources))
    names = source_names({*sources, *every_source})
    out = {}
    for source in sorted(set(sources), key=lambda s: names[s]):
        name, sel = names[source], src == source
        yt, yp = y[sel], pred[sel]
        row: dict[str, Any] = {
            "n": int(sel.sum()),
            "accuracy": float((yt == yp).mean()),
            "classes": {c: int((yt == i).sum()) for i, c in enumerate(classes)},
        }
        if binary:
            pos, neg = yt == 1, yt == 0
            row["sensitivity"] = _ratio(int((yp[pos] == 1).sum()), int(pos.sum()))
            row["specificity"] = _ratio(int((yp[neg] == 0).sum()), int(neg.sum()))
        out[name] = row
    return out


def shortcut_metrics(result: Any) -> dict[str, Any]:
    """``confounding``, ``per_source``, ``external`` and ``thresholds`` where they apply
    (``result``: an EvaluationResult)."""
    summary, config = result.data_summary or {}, result.config or {}
    out: dict[str, Any] = {}
    if summary.get("confounding"):
        out["confounding"] = summary["confounding"]
    sources = list(result.sources or [])
    if len(sources) == len(result.y_true) and (len(set(sources)) > 1 or summary.get("test_source")):
        binary, every = result.head == "sigmoid", list(summary.get("sources") or ())
        out["per_source"] = per_source(
            result.y_true, result.y_pred, sources, result.classes, binary, every
        )
    if config.get("external"):
        out["external"] = config["external"]
    if result.head == "sigmoid" and summary.get("evaluation"):
        positive = np.asarray(result.scores).reshape(-1)
        out["thresholds"] = threshold_comparison(result.y_true, positive, result.threshold)
    return out
