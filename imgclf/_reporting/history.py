"""Figures of the training history (any head) and the Plot record every figure has."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._config import higher_is_better
from .._heads.classification import EvaluationResult
from .common import pyplot


@dataclass(frozen=True)
class Plot:
    """One figure: its file under ``plots/``, a title and caption (for report.html)."""

    file: str
    title: str
    caption: str
    draw: Callable[[EvaluationResult, Path], Any]


def saved_epoch(history: dict[str, list[float]], monitor: str) -> int | None:
    """The epoch (from 1) whose weights model.keras holds: the best by ``monitor``
    (highest accuracy, lowest loss) or, for ``last``, the final one; None for one epoch."""
    values = history.get("val_loss" if monitor == "last" else monitor) or []
    if len(values) < 2:
        return None
    if monitor == "last":
        return len(values)
    pick = np.nanargmax if higher_is_better(monitor) else np.nanargmin
    return int(pick(values)) + 1


def history_figure(result: EvaluationResult, key: str, label: str) -> Any:
    """Train and validation ``key`` per epoch, the best (saved) epoch marked; None without
    history."""
    h = result.history or {}
    series = [(key, "train", "-o"), (f"val_{key}", "validation", "-s")]
    if not any(h.get(k) for k, _, _ in series):
        return None
    from matplotlib.ticker import MaxNLocator

    fig, ax = pyplot().subplots(figsize=(7, 4.2))
    for k, name, style in series:
        if h.get(k):
            ax.plot(range(1, len(h[k]) + 1), h[k], style, ms=4, label=name)
    phase = h.get("phase") or []
    for epoch in range(1, len(phase)):
        if phase[epoch] != phase[epoch - 1]:  # fine-tuning starts (training/phases.py)
            ax.axvline(epoch + 0.5, color="tab:green", ls="--", lw=1,
                       label=f"phase {int(phase[epoch])} starts")  # fmt: skip
    best = saved_epoch(h, (result.config or {}).get("monitor") or "val_loss")
    if best:
        ax.axvline(best, color="grey", ls=":", lw=1, label=f"saved epoch ({best})")
    ax.set(xlabel="epoch", ylabel=label, title=f"{label.capitalize()} per epoch")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=9)
    return fig


def draw_loss(result: EvaluationResult, run_dir: Path) -> Any:
    """Training and validation loss per epoch."""
    return history_figure(result, "loss", "loss")


def draw_accuracy(result: EvaluationResult, run_dir: Path) -> Any:
    """Training and validation accuracy per epoch."""
    return history_figure(result, "accuracy", "accuracy")
