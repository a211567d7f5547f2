"""The built-in reporters ``console``, ``plots`` and ``html``: each asks HEAD_REPORTS
once what its result's head kind shows (``json`` writes any metrics: json.py).

A head kind's report pieces: its console lines (console.py for a class head,
regression.py), its figures (plots.py, regression.py) and its HTML page (html.py,
regression.py); the pages share their sections (page.py) and history figures
(history.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from .._files import atomic_write_bytes
from .._heads import kind_name
from .._heads.classification import EvaluationResult
from .._log import warn
from . import console as console_report
from . import html, plots, regression
from .common import PLOTS_DIR
from .history import Plot


@dataclass(frozen=True)
class HeadReport:
    """What the reports of one head kind show."""

    console: Callable[[EvaluationResult, Path, Console], None]
    plots: Callable[[EvaluationResult], tuple[Plot, ...]]
    page: Callable[[EvaluationResult, Path, dict[str, bytes]], str]


HEAD_REPORTS = {
    "classes": HeadReport(console_report.print_classes, plots.class_plots, html.classes_page),
    "regression": HeadReport(
        regression.report_console_regression,
        regression.regression_plots,
        regression.render_regression_html,
    ),
}


def head_report(result: EvaluationResult) -> HeadReport:
    return HEAD_REPORTS[kind_name(result.head)]


def report_console(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    """Summary and tables in the terminal (per class and confusion matrix, or per target)."""
    head_report(result).console(result, run_dir, console)


def report_plots(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    """PNGs under plots/: curves, ROC, PR, confusion, reliability, samples, Grad-CAM."""
    figures = head_report(result).plots(result)
    written, failed = plots.render_plots(result, run_dir, figures)
    for name, error in failed.items():
        warn(console, f"plot {name} skipped: {error}")
    console.print(f"Plots: {len(written)} PNG files in {escape(str(Path(run_dir) / PLOTS_DIR))}")


def report_html(result: EvaluationResult, run_dir: Path, console: Console) -> None:
    """report.html: one self-contained page with metrics, data, config and all plots."""
    report = head_report(result)
    path = Path(run_dir) / html.REPORT_FILE
    images = html.plot_images(result, run_dir, report.plots(result))
    text = report.page(result, run_dir, images)
    atomic_write_bytes(path, text.encode("utf-8"))
    console.print(f"Report: {escape(str(path))}")
