"""Reports of a regression head: metrics table, predicted-vs-true scatter plots, HTML.

The built-in ``console``, ``plots`` and ``html`` reporters hand a result whose
``head`` is ``regression`` to the functions here; ``json`` writes its metrics as
for any run. Class-only figures (confusion matrix, ROC, calibration, samples,
Grad-CAM) do not exist for a regression head and are not drawn.
"""

from __future__ import annotations

import functools
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.markup import escape as rich_escape
from rich.table import Table

from .common import fmt, pyplot, shorten
from .history import Plot, draw_loss, history_figure
from .page import config_section, data_section, page, plots_section, reference_section, table
from .reference import print_references

COLUMNS = (
    ("rmse", "RMSE"),
    ("mae", "MAE"),
    ("pearson", "Pearson r"),
    ("ccc", "CCC"),
    ("sign_agreement", "sign agreement"),
)


def metrics_rows(m: dict[str, Any]) -> list[list[str]]:
    """One row per target and a mean row: name, then the COLUMNS figures."""
    rows = [[t, *(fmt(m["per_target"][t].get(k), 4) for k, _ in COLUMNS)] for t in m["targets"]]
    rows.append(["mean", *(fmt(m.get(f"{k}_mean"), 4) for k, _ in COLUMNS)])
    return rows


def report_console_regression(result: Any, run_dir: Path, console: Console) -> None:
    """The metrics table per target and the paper comparison."""
    m = result.metrics
    table = Table(title=f"Test ({m['n']} images): regression of {', '.join(m['targets'])}")
    table.add_column("target")
    for _, label in COLUMNS:
        table.add_column(label, justify="right")
    for row in metrics_rows(m):
        table.add_row(*(rich_escape(c) for c in row))
    console.print(table)
    print_references(result, console)


def draw_rmse(result: Any, run_dir: Path) -> Any:
    """Training and validation RMSE (all targets pooled) per epoch."""
    return history_figure(result, "rmse", "RMSE")


def scatter_plot(index: int, result: Any, run_dir: Path) -> Any:
    """``scatter`` as a Plot draws it (result, run folder)."""
    return scatter(result, index)


def scatter(result: Any, index: int) -> Any:
    """Predicted against true values of target ``index``, with the diagonal."""
    t = np.asarray(result.y_true, dtype="float64")[:, index]
    p = np.asarray(result.y_pred, dtype="float64")[:, index]
    name = result.targets[index]
    row = result.metrics["per_target"][name]
    fig, ax = pyplot().subplots(figsize=(5.6, 5.4))
    ax.scatter(t, p, s=10, alpha=0.5, edgecolors="none")
    low = float(min(t.min(), p.min(), -1.0))
    high = float(max(t.max(), p.max(), 1.0))
    ax.plot([low, high], [low, high], color="grey", ls="--", lw=1, label="prediction = truth")
    ax.axhline(0, color="grey", lw=0.5)
    ax.axvline(0, color="grey", lw=0.5)
    ax.set(
        xlabel=f"true {shorten(name)}",
        ylabel=f"predicted {shorten(name)}",
        xlim=(low, high),
        ylim=(low, high),
        title=f"{shorten(name)}: RMSE {fmt(row['rmse'])}, CCC {fmt(row['ccc'])}, "
        f"r {fmt(row['pearson'])}",
    )
    ax.set_aspect("equal")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def regression_plots(result: Any) -> tuple[Plot, ...]:
    """Loss and RMSE per epoch, then one scatter plot per target."""
    plots = [
        Plot("loss.png", "Loss", "Training and validation loss (MSE) per epoch.", draw_loss),
        Plot("rmse.png", "RMSE", "Training and validation RMSE per epoch.", draw_rmse),
    ]
    for i, name in enumerate(result.targets):
        plots.append(
            Plot(
                f"scatter_{name}.png",
                f"Predicted against true {name}",
                "One dot per test image; on the dashed line the prediction equals the truth.",
                functools.partial(scatter_plot, i),
            )
        )
    return tuple(plots)


def render_regression_html(result: Any, run_dir: Path, images: dict[str, bytes]) -> str:
    """The report page of a regression run."""
    cfg, m = result.config or {}, result.metrics
    title = f"{cfg.get('task', 'imgclf')} \u00b7 {cfg.get('model', 'model')} \u00b7 head " + str(
        cfg.get("head_name", "regression")
    )
    header = ["target", *(label for _, label in COLUMNS)]
    body = "".join(
        (
            f"<h1>{escape(title)}</h1><p class=meta>Run <code>{escape(Path(run_dir).name)}"
            f"</code> \u00b7 report written {datetime.now():%Y-%m-%d %H:%M} \u00b7 "
            f"{m['n']} images evaluated \u00b7 targets: {escape(', '.join(m['targets']))}</p>",
            "<h2>Summary</h2>",
            table(header, [[escape(c) for c in row] for row in metrics_rows(m)]),
            "<p class=meta>RMSE and MAE: lower is better; Pearson r and CCC in [-1, 1], "
            "higher is better (CCC also penalises a shift or scale between prediction and "
            "truth); sign agreement: share of images predicted on the right side of 0.</p>",
            reference_section(result),
            plots_section(images, regression_plots(result)),
            data_section(result.data_summary or {}, list(cfg.get("classes") or [])),
            config_section(cfg),
        )
    )
    return page(title, body)
