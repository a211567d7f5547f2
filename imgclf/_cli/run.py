"""``imgclf run``: train and evaluate a model for a task."""

from __future__ import annotations

import click

from .. import _api as api
from .._config import SPLITS, STRATEGIES, parse_sets
from .._run_folder.state import resume_config
from .group import cli
from .output import console, echo_json, result_json, stdout_to_stderr
from .tfquiet import import_tensorflow_quietly


@cli.command("run")
@click.argument("task")
@click.option("--model", "-m", help="Model name (see 'imgclf list models').")
@click.option(
    "--head",
    metavar="NAME",
    help="Output head: 'classes' (default) or one the task declares, e.g. 'va' for "
    "face-emotion's valence/arousal regression (see 'imgclf list tasks').",
)
@click.option(
    "--weights",
    metavar="SOURCE",
    help="Initial weights: imagenet (pretrained backbones; their default), none (random "
    "init; every other model's default) or a .weights.h5/.keras file of the same model.",
)
@click.option("--data", "-d", multiple=True, help="Data folder or CSV; repeat for several.")
@click.option("--loader", help="Dataset loader (default: detected from --data).")
@click.option("--epochs", type=int)
@click.option("--batch-size", type=int)
@click.option("--lr", type=float, help="Learning rate (the peak under a schedule).")
@click.option("--image-size", type=int, help="Square input side in pixels.")
@click.option("--seed", type=int)
@click.option("--limit", type=int, help="Use a stratified sample of about N images.")
@click.option("--class-weight", type=click.Choice(["none", "auto"]))
@click.option("--augmenter", help="Augmenter for the training split ('none' for none).")
@click.option(
    "--report",
    metavar="LIST",
    help="Reporters, comma-separated (default: console,plots,json,html; 'none' for none).",
)
@click.option("--output", "-o", help="Folder for run folders (default: runs).")
@click.option(
    "--config",
    "config_file",
    type=click.Path(),
    help="TOML file of settings, or a recipe the task ships (imgclf list).",
)
@click.option(
    "--strict", is_flag=True, default=None, help="Fail on unreadable images instead of skipping."
)
@click.option(
    "--allow-leakage",
    is_flag=True,
    default=None,
    help="Continue when an image is copied across splits (the count goes into the report).",
)
@click.option(
    "--drop-leaked",
    is_flag=True,
    default=None,
    help="Leave out val/test images that are exact copies of images in an earlier split.",
)
@click.option(
    "--strategy",
    type=click.Choice(STRATEGIES),
    metavar="NAME",
    help="tf.distribute strategy: auto (TPU with --set tpu=ADDRESS or TPU_NAME, multi-worker "
    "when TF_CONFIG names 2+ workers, mirrored with 2+ GPUs), default, mirrored, "
    "multi-worker or tpu.",
)
@click.option(
    "--mixed-precision",
    "mixed_precision",
    is_flag=False,
    flag_value="on",
    default=None,
    type=click.Choice(["auto", "off", "on", "force", "bfloat16"]),
    help="auto (default): bf16 where the hardware has it, else float32; off: float32; "
    "on (the bare flag): mixed_float16 on GPUs, mixed_bfloat16 on TPUs (refused on a CPU "
    "unless force); bfloat16: on any device.",
)
@click.option(
    "--tensorboard", is_flag=True, default=None, help="Write TensorBoard logs to RUN_DIR/logs."
)
@click.option(
    "--time-limit",
    "time_limit",
    type=float,
    metavar="MINUTES",
    help="Pause at the end of the last epoch that fits in MINUTES of training (exit code 75); "
    "--resume continues it, and may give a new limit. For sessions with a time limit.",
)
@click.option(
    "--deterministic",
    is_flag=True,
    default=None,
    help="Same seed, same numbers: TensorFlow op determinism and ordered tf.data (a cost on "
    "GPUs, none measured on a CPU); --resume then repeats the uninterrupted run exactly.",
)
@click.option(
    "--split",
    type=click.Choice(SPLITS),
    help="random (default): test images drawn from every source; by-source: the test split "
    "is one whole --data source (--set test_source=NAME), trained on the others.",
)
@click.option(
    "--eval-data",
    "eval_data",
    multiple=True,
    metavar="PATH",
    help="An external data set the final model is evaluated on after the run (repeatable); "
    "its figures go into metrics.json ('external') and the report.",
)
@click.option(
    "--resume",
    metavar="RUN_DIR",
    help="Continue an interrupted run from its last completed epoch, with its settings.",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KEY=VALUE",
    help="Any setting, e.g. --set patience=3 --set loader.label_column=emotion.",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the run folder and final metrics as one JSON object; progress and reports "
    "go to stderr.",
)
def run_cmd(
    task: str,
    config_file: str | None,
    sets: tuple[str, ...],
    resume: str | None,
    as_json: bool,
    **flags,
) -> None:
    """Train a model for TASK on --data, evaluate it and write a run folder.

    Any setting can also come from an environment variable IMGCLF_<SETTING>
    (IMGCLF_EPOCHS=3): flags and --set win over it, and it wins over --config."""
    overrides = {k: v for k, v in flags.items() if v is not None and v is not False and v != ()}
    for key in ("data", "eval_data"):
        if key in overrides:
            overrides[key] = list(overrides[key])
    if str(overrides.get("report", "")).strip().casefold() == "none":
        overrides["report"] = []
    overrides.update(parse_sets(list(sets)))
    if resume:
        cfg = resume_config(resume, task, config_file, overrides)
    else:
        cfg = api.make_config(task, config_file=config_file, **overrides)
    with stdout_to_stderr(as_json):
        import_tensorflow_quietly()
        result = api.run_config(cfg, console(stderr=as_json), resume=resume)
    if as_json:
        echo_json(result_json(result))
    else:
        console().print(f"[green]Done.[/green] Run folder: {result.run_dir}")
