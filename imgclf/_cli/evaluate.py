"""``imgclf evaluate``: a saved model on another data set, with a new report folder."""

from __future__ import annotations

import click

from .. import _api as api
from .._config import TTA, parse_sets
from ..errors import ConfigError
from .group import cli
from .output import console, echo_json, result_json, stdout_to_stderr
from .report import parse_reporters
from .tfquiet import import_tensorflow_quietly


def parse_maps(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("joy=happy", "meh=")`` -> {"joy": "happy", "meh": ""}."""
    out = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip():
            raise ConfigError(
                f"--map takes SRC=CLASS (or SRC= to leave SRC out); received {pair!r}."
            )
        out[src.strip()] = dst.strip()
    return out


def loader_options(sets: tuple[str, ...]) -> dict[str, str]:
    """``--set loader.KEY=VALUE`` pairs as loader options; anything else is an error."""
    out = {}
    for key, value in parse_sets(list(sets)).items():
        head, _, rest = key.partition(".")
        if head != "loader" or not rest:
            raise ConfigError(
                f"imgclf evaluate takes only loader options with --set (loader.KEY=VALUE); "
                f"received {key!r}."
            )
        out[rest] = value
    return out


@cli.command("evaluate")
@click.argument("model", metavar="MODEL_OR_RUN_DIR")
@click.option(
    "--data",
    "-d",
    multiple=True,
    help="Data folder or CSV; repeatable (default: the run's own test split).",
)
@click.option("--loader", help="Dataset loader (default: detected from --data).")
@click.option("--task", help="Task of a bare .keras file (a run folder names its own).")
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="SRC=CLASS",
    help="Map data label SRC onto a model class ('SRC=' leaves it out); repeatable.",
)
@click.option("--output", "-o", help="Parent of the new folder (default: RUN_DIR/evaluations).")
@click.option("--report", metavar="LIST", help="Reporters (default: console,plots,json,html).")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True)
@click.option("--set", "sets", multiple=True, metavar="loader.KEY=VALUE", help="Loader options.")
@click.option(
    "--tta",
    type=click.Choice(TTA),
    help="Test-time augmentation (default: the run's own tta setting, else none).",
)
@click.option(
    "--unsafe",
    is_flag=True,
    help="Load a model with Lambda layers (runs their Python code): trusted files only.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the evaluation folder and its metrics as one JSON object; the rest goes to stderr.",
)
def evaluate_cmd(
    model: str,
    data: tuple[str, ...],
    loader: str | None,
    task: str | None,
    maps: tuple[str, ...],
    output: str | None,
    report: str | None,
    batch_size: int,
    sets: tuple[str, ...],
    tta: str | None,
    unsafe: bool,
    as_json: bool,
) -> None:
    """Evaluate a saved model (a run folder or a .keras file) on --data.

    Without --data, a run folder's model is evaluated on its run's test split
    (the images its splits.csv lists).

    The data's labels are mapped onto the model's classes (task aliases, then
    --map); images of no model class are left out and counted. Writes
    predictions.csv, metrics.json and the reports into a new folder.
    """
    label_map, options = parse_maps(maps), loader_options(sets)
    with stdout_to_stderr(as_json):
        import_tensorflow_quietly()
        result = api.evaluate(
            model, list(data), task=task, loader=loader, label_map=label_map,
            loader_options=options, output=output, report=parse_reporters(report),
            batch_size=batch_size, console=console(stderr=as_json), unsafe=unsafe, tta=tta,
        )  # fmt: skip
    if as_json:
        echo_json(result_json(result))
    else:
        console().print(f"[green]Done.[/green] Evaluation folder: {result.run_dir}")
