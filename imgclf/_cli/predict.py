"""``imgclf predict``: label image files and folders with a run, .keras, .tflite, .onnx or
SavedModel."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from .._prediction.files import collect_images, predict_files
from .._prediction.predictors import load_predictor
from . import exitcodes
from .group import cli, err_console
from .output import console, echo_json_line
from .tfquiet import import_tensorflow_quietly


def _line(pred, head: str) -> str:
    path = escape(pred.path)
    if pred.values is not None:
        return path + "  " + "  ".join(f"{escape(t)} {v:+.3f}" for t, v in pred.values.items())
    if head == "sigmoid":
        return f"{path}  [bold]{escape(pred.label)}[/bold]  (score {pred.score:.3f})"
    top = ", ".join(f"{escape(c)} {s:.3f}" for c, s in pred.top)
    return f"{path}  [bold]{escape(pred.label)}[/bold]  {top}"


@cli.command("predict")
@click.argument("model", metavar="MODEL_OR_RUN_DIR")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--top-k", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (JSON Lines).")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--task", help="Task of a bare .keras file (a run folder names its own).")
@click.option(
    "--unsafe",
    is_flag=True,
    help="Load a model with Lambda layers (runs their Python code): trusted files only.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Name the model's format and runtime (LiteRT, tf.lite, ONNX Runtime, Keras) on stderr.",
)
def predict_cmd(
    model: str,
    paths: tuple[str, ...],
    top_k: int,
    as_json: bool,
    batch_size: int,
    task: str | None,
    unsafe: bool,
    verbose: bool,
) -> None:
    """Predict the class of image files and of every image under folders.

    MODEL_OR_RUN_DIR is a run folder, a .keras file, or a .tflite or .onnx file or
    SavedModel folder written by 'imgclf export'. Binary tasks print the score of the
    positive class and the label at the run's threshold. Unreadable files are reported
    on stderr (and as {"path", "error"} lines with --json) and skipped; the exit
    status is then 1. A .tflite file runs on LiteRT when it is installed (pip install
    'imgclf[litert]'), else on TensorFlow's tf.lite; an .onnx file on ONNX Runtime
    (pip install 'imgclf[onnx]'); --verbose says which.
    """
    files = collect_images(paths)
    import_tensorflow_quietly()
    predictor, info = load_predictor(model, task=task, unsafe=unsafe)
    if verbose:  # stderr: --json output on stdout stays pure JSON Lines
        err_console.print(
            f"model: {escape(model)} ({predictor.format}, runtime {predictor.runtime})",
            soft_wrap=True,
        )
    out = console(highlight=False, soft_wrap=True)  # a path is never broken
    failed = 0
    for item in predict_files(predictor, info, files, batch_size, top_k):
        if isinstance(item, tuple):
            failed += 1
            err_console.print(f"[yellow]skipped:[/yellow] {escape(item[0])}: {escape(item[1])}")
            if as_json:
                echo_json_line({"path": item[0], "error": item[1]})
        elif as_json:
            echo_json_line(item.to_json(info))
        else:
            out.print(_line(item, info.head))
    if failed:
        err_console.print(f"[yellow]{failed} of {len(files)} file(s) could not be read.[/yellow]")
        sys.exit(exitcodes.FAILED)
