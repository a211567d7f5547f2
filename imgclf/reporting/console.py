"""The console reporter: summary, per-class table and confusion matrix (rich)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from ..evaluation import EvaluationResult


def summary_line(metrics: dict) -> str:
    parts = [f"accuracy {metrics['accuracy']:.4f}", f"macro-F1 {metrics['macro_f1']:.4f}"]
    for key in ("sensitivity", "specificity", "roc_auc", "threshold"):
        if key in metrics:
            parts.append(f"{key} {metrics[key]:.4f}")
    return f"Test ({metrics['n']} images): " + ", ".join(parts)


def report_console(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    metrics = result.metrics
    console.print(f"[bold]{summary_line(metrics)}[/bold]")
    table = Table(title="Per class")
    for col in ("class", "precision", "recall", "F1", "support"):
        table.add_column(col, justify="left" if col == "class" else "right")
    for name, row in metrics["per_class"].items():
        table.add_row(
            name,
            f"{row['precision']:.3f}",
            f"{row['recall']:.3f}",
            f"{row['f1']:.3f}",
            str(row["support"]),
        )
    console.print(table)
    cm = Table(title="Confusion matrix (rows: true, columns: predicted)")
    cm.add_column("true \\ pred")
    for name in metrics["classes"]:
        cm.add_column(name, justify="right")
    for name, row in zip(metrics["classes"], metrics["confusion_matrix"]):
        cm.add_row(name, *(str(v) for v in row))
    console.print(cm)
