"""``imgclf data check``: what a run would find wrong with a data set, before it runs."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .. import _plugins as plugins
from .._config import RunConfig, apply, parse_sets
from .._data.checks.check import CheckReport, check_or_error
from ..errors import ConfigError
from . import exitcodes
from .group import cli
from .output import console as make_console
from .output import echo_json, stdout_to_stderr
from .tfquiet import import_tensorflow_quietly


@cli.group("data")
def data_group() -> None:
    """Inspect data sets."""


def counts_table(report: CheckReport) -> Table:
    classes = sorted({c for per in report.counts.values() for c in per})
    table = Table(title="Images per split and class", title_justify="left")
    table.add_column("split")
    for c in classes:
        table.add_column(c, justify="right")
    table.add_column("total", justify="right", style="bold")
    for split, per in report.counts.items():
        table.add_row(split, *(str(per.get(c, 0)) for c in classes), str(sum(per.values())))
    return table


def sources_table(found: dict) -> Table:
    """The source x class table and Cramér's V (the confounding check)."""
    v = found.get("cramers_v")
    title = f"Images per source and class (Cramér's V {'n/a' if v is None else f'{v:.2f}'})"
    table = Table(title=title, title_justify="left")
    table.add_column("source")
    for c in found["classes"]:
        table.add_column(escape(c), justify="right")
    for source, per in found["table"].items():
        table.add_row(escape(source), *(str(per.get(c, 0)) for c in found["classes"]))
    return table


def print_report(report: CheckReport, console: Console) -> None:
    """Counts, formats and sizes, then warnings and errors, one line each."""
    if report.counts:
        console.print(counts_table(report))
    if report.formats:
        shown = ", ".join(f"{k} {n}" for k, n in report.formats.items())
        console.print(f"Formats and modes: {escape(shown)}")
    if report.sizes:
        (w0, w1), (h0, h1) = report.sizes["width"], report.sizes["height"]
        console.print(f"Sizes: width {w0}-{w1}, height {h0}-{h1} px")
    if report.confounding:
        console.print(sources_table(report.confounding))
    if report.imbalance:
        console.print(f"Class imbalance (largest/smallest): {report.imbalance:.1f}")
    d = report.duplicates
    within = ", ".join(f"{s} {n}" for s, n in d.within.items()) or "none"
    console.print(f"Exact duplicates: within splits {within}; across splits {d.across}")
    for why, n in report.decoded_with_pillow.items():
        console.print(f"Decoded through Pillow ({why}): {n}")
    for line in report.warnings:
        console.print(f"[yellow]warning:[/yellow] {escape(line)}", highlight=False)
    for line in report.errors:
        console.print(f"[bold red]error:[/bold red] {escape(line)}", highlight=False)
    verdict = f"{len(report.errors)} error(s)" if report.errors else "[green]no errors[/green]"
    console.print(f"{report.images} images checked: {verdict}, {len(report.warnings)} warning(s)")


@data_group.command("check")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--task", help="Map labels onto this task's classes and check them.")
@click.option("--loader", help="Dataset loader (default: detected, the task's first).")
@click.option("--json", "as_json", is_flag=True, help="Print a machine-readable report.")
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Loader options and label mappings: loader.KEY=VALUE, label_map.SRC=CLASS.",
)
def check_cmd(
    paths: tuple[str, ...], task: str | None, loader: str | None, as_json: bool, sets: tuple
) -> None:
    """Check the data set(s) at PATH the way a run loads them: counts, formats, sizes,
    unreadable files, exact duplicates within and across splits, class imbalance and
    labels that map to no class. Exit code 0 when clean, 1 when there are errors."""
    spec = plugins.registries()["tasks"].get(task) if task else None
    values: dict = {"data": list(paths), "loader": loader}
    apply(values, parse_sets(list(sets)), "--set")
    unknown = set(values) - {"data", "loader", "loader_options", "label_map"}
    if unknown:
        raise ConfigError(
            f"imgclf data check takes only loader.KEY=VALUE and label_map.SRC=CLASS with "
            f"--set; received {', '.join(sorted(unknown))}."
        )
    config = RunConfig(task=task or "", **values)
    console = make_console(stderr=as_json)
    with stdout_to_stderr(as_json):
        import_tensorflow_quietly()  # the trial decode is TensorFlow's own
        report = check_or_error(config, spec, console)
    if as_json:
        echo_json(report.to_dict())
    else:
        print_report(report, console)
    sys.exit(exitcodes.FAILED if report.errors else exitcodes.OK)
