"""The ``html`` reporter: one self-contained ``report.html`` per run.

Plots are embedded as PNG data URIs; styles are inline; there are no scripts, no
fonts to fetch and no http(s) references, so the file opens offline and can be
mailed around. Every string that comes from data (class names, file names,
paths, config values) goes through ``html.escape``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape as rich_escape

from ..heads.classification import EvaluationResult
from .common import PLOTS_DIR, atomic_write_bytes, fmt
from .plots import PLOTS, Plot, plots_for, render_plots
from .samples import confidence

REPORT_FILE = "report.html"
MISTAKES_SHOWN = 15
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 margin:0 auto;max-width:1100px;padding:24px;color:#1f2328;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;
 margin-top:2em}.meta{color:#57606a}
table{border-collapse:collapse;margin:.6em 0 1.2em;font-size:.92em}
th,td{border:1px solid #d0d7de;padding:4px 9px;text-align:right;vertical-align:top}
th{background:#f6f8fa}td.l,th.l{text-align:left}td.diag{background:#dbe9f7;font-weight:600}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.plots{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px 24px}
figure{margin:.6em 0 1.4em}figure.wide{grid-column:1/-1}h3{margin:.4em 0}
figure img{max-width:100%;height:auto;border:1px solid #d0d7de}
figcaption{color:#57606a;font-size:.92em}.wrap{overflow-x:auto}
code{font-size:.92em;background:#f6f8fa;padding:1px 4px;border-radius:4px}
"""


def table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """An HTML table of already escaped cells; the first ``left`` columns left-aligned."""

    def cells(values: list[str], tag: str) -> str:
        return "".join(
            f"<{tag}{' class=l' if i < left else ''}>{v}</{tag}>" for i, v in enumerate(values)
        )

    body = "".join(f"<tr>{cells(r, 'td')}</tr>" for r in rows)
    return f"<div class=wrap><table><tr>{cells(header, 'th')}</tr>{body}</table></div>"


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


WIDE_PLOTS = ("samples.png", "gradcam.png")


def reference_section(result: EvaluationResult) -> str:
    """The task's published figures next to this run's (see reference.py)."""
    from .reference import comparisons

    lines = [escape(ref["line"]) for ref in comparisons(result)]
    return "<h2>Compared with the paper</h2><p>" + "<br>".join(lines) + "</p>" if lines else ""


def plots_section(images: dict[str, bytes], plots: Sequence[Plot] = PLOTS) -> str:
    """Every plot as an embedded PNG with title and caption."""
    parts = []
    for plot in plots:
        if plot.file in images:
            data = base64.b64encode(images[plot.file]).decode("ascii")
            wide = " class=wide" if plot.file in WIDE_PLOTS else ""
            parts.append(
                f"<figure{wide}><h3>{escape(plot.title)}</h3><img alt='{escape(plot.title)}' "
                f"src='data:image/png;base64,{data}'><figcaption>{escape(plot.caption)}"
                "</figcaption></figure>"
            )
    return f"<h2>Plots</h2><div class=plots>{''.join(parts)}</div>" if parts else ""


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


def counts_table(counts: dict[str, dict[str, int]], classes: list[str], what: str) -> str:
    """Rows of per-class counts with totals."""
    header = [escape(what), *(escape(c) for c in classes), "total"]
    rows = [
        [escape(str(k)), *(str(c.get(cls, 0)) for cls in classes), str(sum(c.values()))]
        for k, c in counts.items()
    ]
    totals = [sum(c.get(cls, 0) for c in counts.values()) for cls in classes]
    rows.append(["<b>total</b>", *(f"<b>{t}</b>" for t in totals), f"<b>{sum(totals)}</b>"])
    return table(header, rows)


def data_section(summary: dict[str, Any], classes: list[str]) -> str:
    """Images per split/source and class, and what was left out while loading."""
    if not summary:
        return ""
    known = list(summary.get("classes") or classes)
    parts = ["<h2>Data</h2>"]
    if summary.get("counts"):
        parts += [
            "<h3>Images per split and class</h3>",
            counts_table(summary["counts"], known, "split"),
        ]
    if summary.get("sources"):
        parts += [
            "<h3>Images per source and class</h3>",
            counts_table(summary["sources"], known, "source"),
        ]
    skipped = summary.get("skipped") or {}
    if skipped:
        rows = [[escape(str(k)), str(v)] for k, v in sorted(skipped.items())]
        parts += ["<h3>Left out while loading</h3>", table(["what", "images"], rows)]
    return "".join(parts)


def config_section(config: dict[str, Any]) -> str:
    """The run's settings and library versions."""
    if not config:
        return ""
    skip = {"data", "versions"}
    rows = [
        [escape(k), escape(v if isinstance(v, str) else json.dumps(v, default=str))]
        for k, v in config.items()
        if k not in skip
    ]
    parts = ["<h2>Configuration</h2>", table(["setting", "value"], rows, left=2)]
    versions = config.get("versions") or {}
    if versions:
        rows = [[escape(k), escape(str(v))] for k, v in versions.items()]
        parts += ["<h3>Versions</h3>", table(["package", "version"], rows, left=2)]
    return "".join(parts)


def page(title: str, body: str) -> str:
    """A self-contained HTML page around ``body``."""
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{escape(title)} \u2013 imgclf report</title><style>{CSS}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def render_html(result: EvaluationResult, run_dir: Path, images: dict[str, bytes]) -> str:
    """The whole report as one HTML string."""
    if result.head == "regression":
        from .regression import render_regression_html

        return render_regression_html(result, run_dir, images)
    cfg, m = result.config or {}, result.metrics
    evaluation = (result.data_summary or {}).get("evaluation")
    title = f"{cfg.get('task', 'imgclf')} \u00b7 {cfg.get('model', 'model')}"
    kind = "Evaluation" if evaluation else "Run"
    body = "".join(
        (
            f"<h1>{escape(title)}</h1><p class=meta>{kind} <code>{escape(Path(run_dir).name)}"
            f"</code> \u00b7 report written {datetime.now():%Y-%m-%d %H:%M} \u00b7 "
            f"{m['n']} images evaluated \u00b7 classes: {escape(', '.join(result.classes))}</p>",
            evaluation_section(evaluation),
            summary_section(m),
            reference_section(result),
            per_class_section(m),
            plots_section(images),
            mistakes_section(result),
            data_section(result.data_summary or {}, list(result.classes)),
            config_section(cfg),
        )
    )
    return page(title, body)


def plot_images(result: EvaluationResult, run_dir: Path) -> dict[str, bytes]:
    """The run's PNG plots; drawn first when ``plots/`` holds none."""
    folder, plots = Path(run_dir) / PLOTS_DIR, plots_for(result)
    if not any((folder / p.file).is_file() for p in plots):
        render_plots(result, run_dir)
    return {p.file: (folder / p.file).read_bytes() for p in plots if (folder / p.file).is_file()}


def report_html(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    """report.html: one self-contained page with metrics, data, config and all plots."""
    path = Path(run_dir) / REPORT_FILE
    text = render_html(result, run_dir, plot_images(result, run_dir))
    atomic_write_bytes(path, text.encode("utf-8"))
    console.print(f"Report: {rich_escape(str(path))}")
