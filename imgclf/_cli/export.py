"""``imgclf export``: a run's model as a SavedModel, a (quantized) TFLite file or ONNX."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from .. import _api as api
from .._exporting.formats import FORMATS, QUANTIZE
from .group import cli
from .output import console as make_console
from .output import echo_json, stdout_to_stderr
from .tfquiet import import_tensorflow_quietly


def comparison_table(comparison: dict) -> Table:
    table = Table(title=f"Test split ({comparison['n']} images): Keras vs exported")
    for col in ("metric", "keras", "exported", "difference"):
        table.add_column(col, justify="left" if col == "metric" else "right")
    for key, k in comparison["keras"].items():
        e = comparison["exported"].get(key)
        if e is not None:
            table.add_row(key, f"{k:.4f}", f"{e:.4f}", f"{e - k:+.4f}")
    table.add_row("label agreement", "", f"{comparison['agreement']:.4f}", "")
    table.add_row("max score difference", "", f"{comparison['max_abs_score_diff']:.2e}", "")
    return table


@cli.command("export")
@click.argument("model", metavar="MODEL_OR_RUN_DIR")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="tflite",
    show_default=True,
    help="onnx needs the extra: pip install 'imgclf[onnx]'.",
)
@click.option(
    "--quantize",
    type=click.Choice(QUANTIZE),
    default="none",
    show_default=True,
    help="TFLite only. int8 calibrates on the run's training images.",
)
@click.option("--output", "-o", help="Output file or folder (default: RUN_DIR/exports/...).")
@click.option("--task", help="Task of a bare .keras file (a run folder names its own).")
@click.option(
    "--no-eval", is_flag=True, help="Do not compare with the Keras model on the test split."
)
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option(
    "--unsafe",
    is_flag=True,
    help="Load a model with Lambda layers (runs their Python code): trusted files only.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the exported path, size and comparison as one JSON object.",
)
def export_cmd(
    model: str,
    fmt: str,
    quantize: str,
    output: str | None,
    task: str | None,
    no_eval: bool,
    batch_size: int,
    unsafe: bool,
    as_json: bool,
) -> None:
    """Export a run's model for inference: SavedModel, TFLite (optionally quantized) or ONNX.

    Augmentation, dropout and other training-only parts are not in the exported
    graph. For a run folder the exported model is evaluated on the run's test
    split next to the Keras model; both sets of figures go into
    <exported file>.eval.json. 'imgclf predict' takes the exported file.
    """
    with stdout_to_stderr(as_json):
        import_tensorflow_quietly()
        exported, comparison = api.export(
            model, fmt, quantize, output=output, task=task, evaluate=not no_eval,
            batch_size=batch_size, unsafe=unsafe,
        )  # fmt: skip
    if as_json:
        echo_json(export_json(exported, comparison))
    else:
        print_export(exported, comparison)


def export_json(exported: Any, comparison: dict | None) -> dict:
    """``export --json``: where the file went, its size, and the Keras comparison (None
    without a test split or with --no-eval)."""
    keys = ("path", "format", "quantize", "size_bytes")
    return {**{k: getattr(exported, k) for k in keys}, "comparison": comparison}


def print_export(exported: Any, comparison: dict | None) -> None:
    console = make_console(highlight=False, soft_wrap=True)  # whole paths, never broken
    mb, path = exported.size_bytes / 1e6, escape(str(exported.path))
    console.print(f"Exported [bold]{path}[/bold] ({exported.format}, quantize "
                  f"{exported.quantize}): {mb:.2f} MB ({exported.size_bytes:,} bytes)")  # fmt: skip
    if comparison is None:
        console.print("Not evaluated: no run folder with a test split (or --no-eval).")
        return
    console.print(comparison_table(comparison))
    console.print(f"Exported model run by {comparison['runtime']}.")
    console.print(f"Written: {escape(comparison['file'])}")
