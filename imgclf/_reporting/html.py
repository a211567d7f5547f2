"""The ``html`` reporter: one self-contained ``report.html`` per run.

Plots are embedded as PNG data URIs; styles are inline; there are no scripts, no
fonts to fetch and no http(s) references, so the file opens offline and can be
mailed around. Every string that comes from data (class names, file names,
paths, config values) goes through ``html.escape``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from .._heads.classification import EvaluationResult
from .common import PLOTS_DIR, fmt
from .history import Plot
from .page import (
    config_section,
    data_section,
    page,
    plots_section,
    reference_section,
    table,
)
from .plots import PLOTS, render_plots
from .samples import confidence
from .shortcuts import confounding_section, external_section, per_source_section, thresholds_section

REPORT_FILE = "report.html"
MISTAKES_SHOWN = 15


def summary_section(m: dict[str, Any]) -> str:
    """The summary metrics table."""
    ci = m.get("accuracy_ci95") or {}
    rows = [
        ["images", str(m["n"])],
        ["accuracy", fmt(m["accuracy"], 4)],
        [
            "accuracy, 95% bootstrap interval",
            f"{fmt(ci.get('low'))} \u2013 {fmt(ci.get('high'))}" if ci else "n/a",
        ],
        ["balanced accuracy", fmt(m.get("balanced_accuracy"), 4)],
        ["Cohen's kappa", fmt(m.get("cohen_kappa"), 4)],
    ]
    for avg in ("macro", "weighted"):
        for key in ("precision", "recall", "f1"):
            rows.append([f"{avg} {key.replace('f1', 'F1')}", fmt(m.get(f"{avg}_{key}"), 4)])
    for key, label in (
        ("roc_auc_macro", "ROC AUC, macro-average"),
        ("roc_auc_micro", "ROC AUC, micro-average"),
        ("threshold", "decision threshold"),
        ("sensitivity", "sensitivity"),
        ("specificity", "specificity"),
        ("roc_auc", "ROC AUC"),
        ("ece", "expected calibration error (15 bins)"),
    ):
        if key in m:
            rows.append([label, fmt(m[key], 4)])
    return "<h2>Summary</h2>" + table(["metric", "value"], rows)


def per_class_section(m: dict[str, Any]) -> str:
    """The per-class table and the confusion matrix."""
    keys = ("precision", "recall", "f1", "auc", "average_precision", "sensitivity", "specificity")
    header = ["class", "precision", "recall", "F1", "AUC", "AP", "sensitivity", "specificity"]
    rows = [
        [escape(c), *(fmt(row.get(k)) for k in keys), str(row["support"])]
        for c, row in m["per_class"].items()
    ]
    cm_rows = [
        [escape(c), *(f"<b>{v}</b>" if i == j else str(v) for j, v in enumerate(r))]
        for i, (c, r) in enumerate(zip(m["classes"], m["confusion_matrix"]))
    ]
    return (
        "<h2>Per class</h2>"
        + table([*header, "support"], rows)
        + "<p class=meta>AUC and AP are one-vs-rest; n/a where a class has no positives "
        "or no negatives in the data.</p><h2>Confusion matrix</h2>"
        + table(["true \u2193 / predicted \u2192", *(escape(c) for c in m["classes"])], cm_rows)
    )


def evaluation_section(evaluation: dict[str, Any] | None) -> str:
    """For an external evaluation: model, data, labels left out, classes missing."""
    if not evaluation:
        return ""
    items = [
        f"Model <code>{escape(str(evaluation.get('model', '')))}</code> evaluated on "
        + ", ".join(f"<code>{escape(str(d))}</code>" for d in evaluation.get("data", []))
    ]
    for label, n in (evaluation.get("left_out") or {}).items():
        items.append(f"{n} image(s) labelled <b>{escape(str(label))}</b> left out: no model class")
    missing = evaluation.get("missing_classes") or []
    if missing:
        items.append(
            "No images of the model's class(es) "
            + ", ".join(f"<b>{escape(c)}</b>" for c in missing)
            + " in this data (support 0)."
        )
    return "<h2>Evaluation</h2><div class=note>" + "<br>".join(items) + "</div>"


def mistakes_section(result: EvaluationResult) -> str:
    """The most confident wrong predictions."""
    conf = confidence(result)
    wrong = [i for i in (-conf).argsort(kind="stable") if result.y_pred[i] != result.y_true[i]]
    if not wrong:
        return ""
    rows = [
        [
            escape(Path(result.paths[i]).name),
            escape(result.classes[int(result.y_true[i])]),
            escape(result.classes[int(result.y_pred[i])]),
            f"{conf[i]:.3f}",
        ]
        for i in wrong[:MISTAKES_SHOWN]
    ]
    return (
        f"<h2>Most confident mistakes ({min(len(wrong), MISTAKES_SHOWN)} of {len(wrong)})</h2>"
        + table(["file", "true", "predicted", "confidence"], rows, left=3)
    )


def classes_page(result: EvaluationResult, run_dir: Path, images: dict[str, bytes]) -> str:
    """A class head's whole report as one HTML string."""
    cfg, m = result.config or {}, result.metrics
    evaluation = (result.data_summary or {}).get("evaluation")
    title = f"{cfg.get('task', 'imgclf')} \u00b7 {cfg.get('model', 'model')}"
    kind = "Evaluation" if evaluation else "Run"
    body = "".join(
        (
            f"<h1>{escape(title)}</h1><p class=meta>{kind} <code>{escape(Path(run_dir).name)}"
            f"</code> \u00b7 report written {datetime.now():%Y-%m-%d %H:%M} \u00b7 "
            f"{m['n']} images evaluated \u00b7 classes: {escape(', '.join(result.classes))}</p>",
            confounding_section(m),
            evaluation_section(evaluation),
            external_section(m),
            summary_section(m),
            thresholds_section(m),
            per_source_section(m),
            reference_section(result),
            per_class_section(m),
            plots_section(images, PLOTS),
            mistakes_section(result),
            data_section(result.data_summary or {}, list(result.classes)),
            config_section(cfg),
        )
    )
    return page(title, body)


def plot_images(result: EvaluationResult, run_dir: Path, plots: Sequence[Plot]) -> dict[str, bytes]:
    """The run's PNG files of ``plots``; drawn first when ``plots/`` holds none."""
    folder = Path(run_dir) / PLOTS_DIR
    if not any((folder / p.file).is_file() for p in plots):
        render_plots(result, run_dir, plots)
    return {p.file: (folder / p.file).read_bytes() for p in plots if (folder / p.file).is_file()}
