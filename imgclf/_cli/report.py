"""``imgclf report``: re-render a run's reports from its saved files."""

from __future__ import annotations

import click

from .. import _api as api
from .group import cli
from .output import console
from .tfquiet import import_tensorflow_quietly


def parse_reporters(value: str | None) -> list[str] | None:
    """``"console,html"`` -> ["console", "html"]; ``none`` -> []; None stays None."""
    if value is None:
        return None
    if value.strip().casefold() == "none":
        return []
    return [n.strip() for n in value.split(",") if n.strip()]


@cli.command("report")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option(
    "--report",
    metavar="LIST",
    help="Reporters, comma-separated (default: console,plots,json,html).",
)
def report_cmd(run_dir: str, report: str | None) -> None:
    """Re-render the reports of RUN_DIR (a run or evaluation folder) from its
    config.json, predictions.csv and history.csv; nothing is predicted again."""
    import_tensorflow_quietly()  # Grad-CAM loads the model
    api.report(run_dir, parse_reporters(report), console())
