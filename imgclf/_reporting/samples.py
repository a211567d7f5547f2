"""A grid of test images with true and predicted labels, wrong predictions first."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from .._heads.classification import EvaluationResult
from .common import pyplot, shorten

GRID_COLUMNS = 4
GRID_IMAGES = 16
DISPLAY_SIDE = 256


def confidence(result: EvaluationResult) -> np.ndarray:
    """Probability of the predicted class, per test image."""
    probs = result.probabilities
    return probs[np.arange(len(probs)), result.y_pred]


def pick_samples(result: EvaluationResult, count: int = GRID_IMAGES, seed: int = 0) -> list[int]:
    """Indices: wrong predictions (most confident first), then a seeded sample of
    correct ones; at least a quarter of ``count`` are correct when there are any."""
    y_true, y_pred = np.asarray(result.y_true).astype(int), result.y_pred
    conf = confidence(result)
    wrong = [int(i) for i in np.argsort(-conf, kind="stable") if y_pred[i] != y_true[i]]
    rng = np.random.default_rng(seed)
    right = [int(i) for i in rng.permutation(np.flatnonzero(y_pred == y_true))]
    n_wrong = min(len(wrong), count - min(len(right), count // 4))
    return wrong[:n_wrong] + right[: count - n_wrong]


def read_image(path: str, side: int = DISPLAY_SIDE) -> np.ndarray | None:
    """An RGB uint8 image scaled to at most ``side`` pixels, or None if unreadable."""
    import cv2

    img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if img is None:
        return None
    h, w = img.shape[:2]
    if max(h, w) > side:
        scale = side / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        img = cv2.resize(img, size, interpolation=cv2.INTER_AREA)  # not dst=INTER_AREA
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


def label_title(result: EvaluationResult, i: int, conf: float) -> tuple[str, str]:
    """Two-line title and its colour (green right, red wrong) for test image ``i``."""
    t, p = int(result.y_true[i]), int(result.y_pred[i])
    title = f"true: {shorten(result.classes[t], 16)}\npred: {shorten(result.classes[p], 16)}"
    return f"{title} ({conf:.2f})", ("tab:green" if t == p else "tab:red")


def image_grid(count: int, cols: int = GRID_COLUMNS, cell: float = 2.5) -> tuple[Any, list[Any]]:
    """A figure with ``count`` image cells (axes off) in rows of ``cols``."""
    cols = max(1, min(cols, count))
    rows = math.ceil(count / cols)
    fig, axes = pyplot().subplots(rows, cols, figsize=(cols * cell, rows * (cell + 0.55)))
    axes = list(np.atleast_1d(axes).ravel())
    for ax in axes:
        ax.axis("off")
    return fig, axes[:count]


def draw_samples(result: EvaluationResult, run_dir: Path) -> Any:
    """The sample grid, or None without test images."""
    picked = pick_samples(result)
    if not picked:
        return None
    conf = confidence(result)
    fig, axes = image_grid(len(picked))
    for ax, i in zip(axes, picked):
        img = read_image(result.paths[i])
        if img is None:
            ax.text(0.5, 0.5, "unreadable", ha="center", va="center", transform=ax.transAxes)
        else:
            ax.imshow(img)
        title, colour = label_title(result, i, float(conf[i]))
        ax.set_title(title, color=colour, fontsize=9)
    n_wrong = sum(int(result.y_pred[i] != result.y_true[i]) for i in picked)
    what = "Evaluation images" if result.data_summary.get("evaluation") else "Test images"
    fig.suptitle(
        f"{what}: {n_wrong} wrong (red), {len(picked) - n_wrong} correct (green); "
        "in brackets: probability of the predicted class",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
