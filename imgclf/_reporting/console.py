"""The console reporter: summary, per-class table and confusion matrix (rich)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .._heads.classification import EvaluationResult
from .common import fmt
from .reference import print_references
from .shortcuts import print_shortcuts


def summary_line(metrics: dict[str, Any], what: str = "Test") -> str:
    """``Test (N images): accuracy ... (95% CI ...), macro-F1 ...`` plus binary figures."""
    ci = metrics.get("accuracy_ci95") or {}
    acc = f"accuracy {metrics['accuracy']:.4f}"
    if ci:
        acc += f" (95% CI {ci['low']:.3f}-{ci['high']:.3f})"
    parts = [acc, f"macro-F1 {fmt(metrics['macro_f1'], 4)}"]
    for key in ("sensitivity", "specificity", "roc_auc", "threshold"):
        if key in metrics:
            parts.append(f"{key} {fmt(metrics[key], 4)}")
    return f"{what} ({metrics['n']} images): " + ", ".join(parts)


def detail_line(metrics: dict[str, Any]) -> str:
    """Balanced accuracy, kappa, weighted F1, AUC averages and ECE on one line."""
    parts = [
        f"balanced accuracy {fmt(metrics.get('balanced_accuracy'), 4)}",
        f"Cohen's kappa {fmt(metrics.get('cohen_kappa'), 4)}",
        f"weighted F1 {fmt(metrics.get('weighted_f1'), 4)}",
    ]
    if "roc_auc_macro" in metrics:
        parts.append(
            f"ROC AUC macro {fmt(metrics['roc_auc_macro'], 4)} / "
            f"micro {fmt(metrics['roc_auc_micro'], 4)}"
        )
    parts.append(f"ECE {fmt(metrics.get('ece'), 4)}")
    return ", ".join(parts)


def per_class_table(metrics: dict[str, Any]) -> Table:
    """Precision, recall, F1, AUC, specificity and support per class."""
    table = Table(title="Per class")
    columns = ("class", "precision", "recall", "F1", "AUC", "specificity", "support")
    for col in columns:
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, row in metrics["per_class"].items():
        table.add_row(
            escape(name),
            *(fmt(row.get(k)) for k in ("precision", "recall", "f1", "auc", "specificity")),
            str(row["support"]),
        )
    return table


def confusion_table(metrics: dict[str, Any]) -> Table:
    """The confusion matrix with class names."""
    cm = Table(title="Confusion matrix (rows: true, columns: predicted)")
    cm.add_column("true \\ pred")
    for name in metrics["classes"]:
        cm.add_column(escape(name), justify="right")
    for name, row in zip(metrics["classes"], metrics["confusion_matrix"]):
        cm.add_row(escape(name), *(str(v) for v in row))
    return cm


def print_evaluation_notes(evaluation: dict[str, Any], console: Console) -> None:
    """Left-out labels and model classes absent from the data of an external evaluation."""
    for label, n in (evaluation.get("left_out") or {}).items():
        console.print(
            f"[yellow]left out:[/yellow] {n} image(s) labelled {escape(repr(label))}: "
            "no class of the model"
        )
    missing = evaluation.get("missing_classes") or []
    if missing:
        console.print(
            "[yellow]note:[/yellow] no images of the model's class(es) "
            f"{escape(', '.join(missing))} in this data (support 0)"
        )


def print_classes(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    """A class head's summary, per-class table and confusion matrix in the terminal."""
    metrics = result.metrics
    evaluation = (result.data_summary or {}).get("evaluation")
    if evaluation:
        print_evaluation_notes(evaluation, console)
    what = "Evaluation" if evaluation else "Test"
    console.print(f"[bold]{escape(summary_line(metrics, what))}[/bold]")
    console.print(escape(detail_line(metrics)))
    console.print(per_class_table(metrics))
    console.print(confusion_table(metrics))
    print_shortcuts(metrics, console)
    print_references(result, console)
