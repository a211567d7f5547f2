"""The ``plots`` reporter: PNG figures under ``plots/`` (matplotlib, Agg backend).

Each figure is drawn by one function ``draw(result, run_dir) -> Figure | None``
(None: nothing to draw, e.g. no training history for a saved model's evaluation).
Numbers shown in titles and legends come from ``result.metrics``; curves are
drawn from ``result.probabilities``. A figure that fails is reported and skipped;
the others are still written.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._heads.classification import EvaluationResult
from . import gradcam, samples
from .common import PLOTS_DIR, fmt, pyplot, save_figure, shorten
from .history import Plot, draw_accuracy, draw_loss

LEGEND_OUTSIDE = {"loc": "center left", "bbox_to_anchor": (1.02, 0.5), "fontsize": 9}


def _curve_axes(xlabel: str, ylabel: str, title: str) -> tuple[Any, Any]:
    fig, ax = pyplot().subplots(figsize=(6.4, 5.4))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title, xlim=(-0.01, 1.01), ylim=(-0.01, 1.02))
    ax.grid(alpha=0.3)
    return fig, ax


def draw_roc(result: EvaluationResult, run_dir: Path) -> Any:
    """ROC per class (one-vs-rest) with micro and macro averages; one curve if binary."""
    from sklearn.metrics import roc_curve

    m, probs, y = result.metrics, result.probabilities, np.asarray(result.y_true).astype(int)
    fig, ax = _curve_axes(
        "false positive rate (1 - specificity)", "true positive rate (sensitivity)", "ROC curves"
    )
    if result.head == "sigmoid":
        if m.get("roc_auc") is None:
            return None
        c0, c1 = (shorten(c) for c in result.classes)
        ax.set_title(f"ROC curve: {c1} against {c0}")
        fpr, tpr, _ = roc_curve(y == 1, probs[:, 1])
        ax.plot(fpr, tpr, lw=2, label=f"{shorten(result.classes[1])} (AUC {m['roc_auc']:.3f})")
        ax.plot(
            1 - m["specificity"],
            m["sensitivity"],
            "o",
            color="black",
            ms=7,
            label=f"threshold {m['threshold']:.2f}",
        )
    else:
        grid, tprs = np.linspace(0, 1, 201), []
        for i, c in enumerate(result.classes):
            auc = m["per_class"][c]["auc"]
            if auc is None:
                continue
            fpr, tpr, _ = roc_curve(y == i, probs[:, i])
            tprs.append(np.interp(grid, fpr, tpr))
            ax.plot(fpr, tpr, lw=1.3, label=f"{shorten(c)} (AUC {auc:.3f})")
        if not tprs:
            return None
        onehot = np.eye(probs.shape[1])[y]
        fpr, tpr, _ = roc_curve(onehot.ravel(), probs.ravel())
        ax.plot(fpr, tpr, "k--", lw=2.2, label=f"micro-average (AUC {fmt(m['roc_auc_micro'])})")
        ax.plot(
            grid,
            np.mean(tprs, axis=0),
            "k:",
            lw=2.2,
            label=f"macro-average (AUC {fmt(m['roc_auc_macro'])})",
        )
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="chance")
    ax.legend(**LEGEND_OUTSIDE)
    return fig


def draw_pr(result: EvaluationResult, run_dir: Path) -> Any:
    """Precision-recall curve per class (one-vs-rest); one curve if binary."""
    from sklearn.metrics import precision_recall_curve

    m, probs, y = result.metrics, result.probabilities, np.asarray(result.y_true).astype(int)
    fig, ax = _curve_axes("recall", "precision", "Precision-recall curves")
    shown = [1] if result.head == "sigmoid" else range(len(result.classes))
    drawn = 0
    for i in shown:
        c = result.classes[i]
        ap = m["per_class"][c]["average_precision"]
        if ap is None:
            continue
        prec, rec, _ = precision_recall_curve(y == i, probs[:, i])
        ax.plot(rec, prec, lw=1.6, label=f"{shorten(c)} (AP {ap:.3f})")
        drawn += 1
    if not drawn:
        return None
    if result.head == "sigmoid":
        ax.plot(
            m["sensitivity"],
            m["precision"],
            "o",
            color="black",
            ms=7,
            label=f"threshold {m['threshold']:.2f}",
        )
        ax.axhline(float(np.mean(y == 1)), color="grey", lw=0.8, ls="--", label="chance")
    ax.legend(**LEGEND_OUTSIDE)
    return fig


def _confusion_figure(result: EvaluationResult, normalized: bool) -> Any:
    cm = np.asarray(result.metrics["confusion_matrix"], dtype="float64")
    rows = cm.sum(axis=1, keepdims=True)
    data = np.divide(cm, rows, out=np.full_like(cm, np.nan), where=rows > 0) if normalized else cm
    k = len(result.classes)
    side = max(4.5, 0.62 * k + 2.4)
    fig, ax = pyplot().subplots(figsize=(side + 1.2, side))
    top = 1.0 if normalized else max(1.0, float(np.nanmax(data)))
    im = ax.imshow(np.nan_to_num(data), cmap="Blues", vmin=0, vmax=top)
    names = [shorten(c, 14) for c in result.classes]
    ax.set_xticks(range(k), names, rotation=40, ha="right", rotation_mode="anchor")
    ax.set_yticks(range(k), names)
    size = 10 if k <= 8 else 8
    for i in range(k):
        for j in range(k):
            v = data[i, j]
            text = "\u2013" if np.isnan(v) else f"{v:.2f}" if normalized else f"{int(v)}"
            dark = not np.isnan(v) and v > 0.55 * top
            ax.text(
                j,
                i,
                text,
                ha="center",
                va="center",
                fontsize=size,
                color="white" if dark else "black",
            )
    what = "row-normalised (recall on the diagonal)" if normalized else "counts"
    ax.set(xlabel="predicted class", ylabel="true class", title=f"Confusion matrix, {what}")
    bar = fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    if not normalized:
        from matplotlib.ticker import MaxNLocator

        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    return fig


def draw_confusion_counts(result: EvaluationResult, run_dir: Path) -> Any:
    """The confusion matrix as counts."""
    return _confusion_figure(result, normalized=False)


def draw_confusion_normalized(result: EvaluationResult, run_dir: Path) -> Any:
    """The confusion matrix with each row divided by its total."""
    return _confusion_figure(result, normalized=True)


def draw_reliability(result: EvaluationResult, run_dir: Path) -> Any:
    """Accuracy against confidence per bin, with the bins' image counts below."""
    m = result.metrics
    table = [b for b in m.get("reliability", []) if b["count"]]
    if not table:
        return None
    fig, (ax, axn) = pyplot().subplots(
        2, 1, figsize=(6.4, 6.4), sharex=True, gridspec_kw={"height_ratios": [3, 1]}
    )
    width = table[0]["upper"] - table[0]["lower"]
    centers = [(b["lower"] + b["upper"]) / 2 for b in table]
    acc = np.array([b["accuracy"] for b in table])
    conf = np.array([b["confidence"] for b in table])
    ax.bar(
        centers,
        acc,
        width=width * 0.95,
        color="tab:blue",
        edgecolor="black",
        lw=0.5,
        label="accuracy in bin",
    )
    ax.bar(
        centers,
        np.abs(conf - acc),
        bottom=np.minimum(acc, conf),
        width=width * 0.95,
        color="tab:red",
        alpha=0.35,
        hatch="//",
        edgecolor="tab:red",
        lw=0.5,
        label="gap to mean confidence",
    )
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set(
        ylabel="accuracy",
        ylim=(0, 1.02),
        xlim=(0, 1),
        title=f"Reliability diagram (ECE {fmt(m['ece'])}, {len(m['reliability'])} bins)",
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    axn.bar(centers, [b["count"] for b in table], width=width * 0.95, color="grey")
    axn.set(xlabel="confidence (probability of the predicted class)", ylabel="images")
    axn.grid(alpha=0.3)
    fig.align_ylabels()
    return fig


def draw_samples(result: EvaluationResult, run_dir: Path) -> Any:
    """The sample grid (see samples.py)."""
    draw = samples.draw_samples

    return draw(result, run_dir)


def draw_gradcam(result: EvaluationResult, run_dir: Path) -> Any:
    """The Grad-CAM overlays (see gradcam.py)."""
    draw = gradcam.draw_gradcam

    return draw(result, run_dir)


PLOTS = (
    Plot("loss.png", "Loss", "Training and validation loss per epoch.", draw_loss),
    Plot("accuracy.png", "Accuracy", "Training and validation accuracy per epoch.", draw_accuracy),
    Plot(
        "roc.png",
        "ROC curves",
        "One-vs-rest ROC per class with AUC, micro- and macro-averages.",
        draw_roc,
    ),
    Plot(
        "precision_recall.png",
        "Precision-recall curves",
        "One-vs-rest precision-recall per class with average precision (AP).",
        draw_pr,
    ),
    Plot(
        "confusion_counts.png",
        "Confusion matrix (counts)",
        "Rows: true class; columns: predicted class.",
        draw_confusion_counts,
    ),
    Plot(
        "confusion_normalized.png",
        "Confusion matrix (row-normalised)",
        "Each row divided by the class's test images: recall on the diagonal.",
        draw_confusion_normalized,
    ),
    Plot(
        "reliability.png",
        "Reliability diagram",
        "Accuracy against confidence in 15 bins; the gap is the calibration error.",
        draw_reliability,
    ),
    Plot(
        "samples.png",
        "Sample test images",
        "Wrong predictions first (red, most confident first), then correct ones (green).",
        draw_samples,
    ),
    Plot(
        "gradcam.png",
        "Grad-CAM",
        "Where the model looked for its predicted class: most confident correct and "
        "wrong test images.",
        draw_gradcam,
    ),
)


def class_plots(result: EvaluationResult) -> tuple[Plot, ...]:
    """The figures of a class head's result: PLOTS."""
    return PLOTS


def render_plots(
    result: EvaluationResult, run_dir: Path, plots: Sequence[Plot]
) -> tuple[list[Path], dict[str, str]]:
    """Draw ``plots`` into ``run_dir/plots``; return (written files, {file: error})."""
    out, written, failed = Path(run_dir) / PLOTS_DIR, [], {}
    out.mkdir(parents=True, exist_ok=True)
    for plot in plots:
        try:
            fig = plot.draw(result, Path(run_dir))
            if fig is not None:
                written.append(save_figure(fig, out / plot.file))
        except Exception as exc:  # one bad figure must not cost the others
            failed[plot.file] = f"{type(exc).__name__}: {exc}"
            pyplot().close("all")
    return written, failed
