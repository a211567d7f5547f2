"""The Python API: what the CLI calls, and what other projects call."""

from __future__ import annotations

import contextvars
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from . import config as configmod
from . import plugins
from .errors import ModelError
from .heads.classification import EvaluationResult
from .runner import RunResult, execute
from .runner import build_augmenter as run_augmenter
from .tasks import TaskSpec


def get_task(name: str) -> TaskSpec:
    return plugins.registries()["tasks"].get(name)


def make_config(
    task: str, *, config_file: str | Path | None = None, **options: Any
) -> configmod.RunConfig:
    """Resolve a RunConfig: defaults < task defaults < ``config_file`` < ``options``."""
    spec = get_task(task)
    defaults = {"model": spec.default_model, **spec.defaults}
    if isinstance(options.get("data"), (str, Path)):
        options["data"] = [options["data"]]
    if options.get("data") is not None:
        options["data"] = [str(d) for d in options["data"]]
    return configmod.resolve(task, defaults, config_file, options)


def run(
    task: str,
    model: str | None = None,
    data: str | Path | Sequence[str | Path] | None = None,
    *,
    config_file: str | Path | None = None,
    console: Console | None = None,
    resume: str | Path | None = None,
    **options: Any,
) -> RunResult:
    """Train ``model`` on ``data`` for ``task``, evaluate on the test split, write the run folder.

    ``options`` are RunConfig fields (epochs, batch_size, lr, image_size, seed, ...).
    ``resume``: the folder of an interrupted run, continued with its own settings.
    """
    if resume:
        from .runs.state import resume_config

        opts = {"model": model, "data": data, **options}
        cfg = resume_config(resume, task, config_file, opts)
    else:
        cfg = make_config(task, config_file=config_file, model=model, data=data, **options)
    return execute(cfg, get_task(task), console or Console(), resume=resume)


def run_config(
    cfg: configmod.RunConfig, console: Console | None = None, resume: str | Path | None = None
) -> RunResult:
    """Run an already resolved RunConfig (what the CLI does)."""
    return execute(cfg, get_task(cfg.task), console or Console(), resume=resume)


def build_model(
    name: str,
    task: str,
    input_shape: Sequence[int] | None = None,
    classes: Sequence[str] | None = None,
    head: str = "classes",
) -> Any:
    """The Keras model a run of ``task`` with model ``name`` would train (uncompiled);
    ``head`` names one of the task's heads (``--head``), e.g. ``va``."""
    from .heads import select_head

    spec = get_task(task)
    builder = plugins.registries()["models"].get(name)
    if input_shape is None:
        input_shape = (spec.input_size, spec.input_size, 3)
    chosen = select_head(configmod.RunConfig(task, head=head), spec)
    if chosen.kind != "regression":
        chosen = spec.head_for(tuple(classes) if classes else None)
    return builder(tuple(input_shape), chosen)


def build_augmenter(
    name: str | None, task: str | None = None, seed: int | None = None, **options: Any
) -> Any:
    """The augmenter a run applies to training batches, to test or use outside a run.

    ``name`` resolves as ``--augmenter`` does (``<task>/<name>``, a task's own, first;
    ``None``: the task's default); ``options`` are its ``--set augmenter.KEY=VALUE``
    settings. The same ``seed`` gives the same draws, ``None`` a random one; ``"none"``
    gives ``None`` (no augmentation).
    """
    spec = get_task(task) if task else None
    cfg = configmod.RunConfig(task or "", augmenter=name, augmenter_options=options, seed=seed)
    return run_augmenter(cfg, spec)


_UNSAFE = contextvars.ContextVar("imgclf_unsafe_load", default=False)


def load_model(path: str | Path, unsafe: bool | None = None) -> Any:
    """Load a ``model.keras`` file or a run folder's model, with Keras safe mode on.

    Safe mode refuses layers that carry Python code (``Lambda``): loading them runs
    that code. ``unsafe=True`` (``--unsafe``) is the explicit opt-in for trusted files;
    ``None`` follows the enclosing ``evaluate(..., unsafe=...)``.
    """
    import keras

    from .nn import layers  # noqa: F401  (registers imgclf's layers for loading)

    unsafe = _UNSAFE.get() if unsafe is None else unsafe
    p = Path(path)
    if p.is_dir():
        p = p / "model.keras"
    if not p.is_file():
        raise ModelError(f"No model at {str(path)!r}: give a .keras file or a run folder.")
    try:
        return keras.saving.load_model(p, safe_mode=not unsafe)
    except Exception as exc:
        if "safe_mode" in str(exc):
            raise ModelError(
                f"Model {str(p)!r} holds a layer with Python code (a Lambda layer); loading "
                "it would run that code, so it is refused. If you trust where the file comes "
                "from, opt in with --unsafe (Python: imgclf.load_model(path, unsafe=True))."
            ) from None
        raise ModelError(f"Cannot load model {str(p)!r}: {exc}") from None


def predict(
    model_or_path: Any,
    images: Sequence[str | Path],
    batch_size: int = 32,
    image_size: int | None = None,
    unsafe: bool = False,
) -> Any:
    """Scores (N x outputs) for image files and folders' images, streamed in batches.

    ``model_or_path``: a Keras model, a run folder, or a ``.keras``/``.tflite`` file or
    SavedModel folder (see ``imgclf.export``). Rows follow ``imgclf.collect_images(images)``.
    """
    import numpy as np

    from .prediction.files import collect_images, score_batches
    from .prediction.predictors import KerasPredictor, load_predictor

    files = collect_images(images)
    if isinstance(model_or_path, (str, Path)):
        predictor, info = load_predictor(model_or_path, unsafe=unsafe)
        size = image_size or info.image_size
    else:
        predictor, size = KerasPredictor(model_or_path), image_size
        size = size or int(model_or_path.input_shape[1])
    from .data.pipeline import pillow_paths_of

    batches = score_batches(predictor, files, size, batch_size, pillow_paths_of(files))
    return np.concatenate([scores for _, scores in batches])


def export(
    model: str | Path,
    format: str = "tflite",
    quantize: str = "none",
    *,
    output: str | Path | None = None,
    task: str | None = None,
    evaluate: bool = True,
    batch_size: int = 64,
    unsafe: bool = False,
) -> tuple[Any, dict[str, Any] | None]:
    """Export a run's model (or a ``.keras`` file) as ``savedmodel`` or ``tflite``.

    ``quantize`` (TFLite): ``none``, ``dynamic``, ``float16`` or ``int8`` (calibrated on
    the run's training images). For a run folder the exported model is compared with
    the Keras model on the run's test split. Returns (Exported, comparison or None);
    the file goes to ``RUN_DIR/exports/`` unless ``output`` names it.
    """
    from .exporting.compare import export_and_compare

    return export_and_compare(model, format, quantize, output, task, evaluate, batch_size, unsafe)


def evaluate(
    model: str | Path,
    data: str | Path | Sequence[str | Path],
    *,
    task: str | None = None,
    loader: str | None = None,
    label_map: dict[str, str] | None = None,
    loader_options: dict[str, Any] | None = None,
    output: str | Path | None = None,
    report: Sequence[str] | None = None,
    batch_size: int = 64,
    console: Console | None = None,
    unsafe: bool = False,
) -> RunResult:
    """Evaluate a saved model (a run folder or ``.keras`` file) on another data set.

    Labels are mapped onto the model's classes through the task's aliases and
    ``label_map`` (``{"joy": "happy"}``; ``""`` leaves a label out); images of no
    model class are left out and counted. Writes ``<run>/evaluations/<timestamp>/``
    (or a folder under ``output``) with predictions, metrics and the reports
    ``report`` (default: all built-in). ``task`` is needed only for a bare file.
    ``unsafe=True`` loads a model with Lambda layers (see ``load_model``).
    """
    from .external import evaluate_saved

    sources = [data] if isinstance(data, (str, Path)) else list(data)
    token = _UNSAFE.set(unsafe)  # the model is loaded deep inside; this reaches it
    try:
        return evaluate_saved(
            model,
            [str(d) for d in sources],
            task=task,
            loader=loader,
            label_map=label_map,
            loader_options=loader_options,
            output=output,
            report=report,
            batch_size=batch_size,
            console=console,
        )
    finally:
        _UNSAFE.reset(token)


def report(
    run_dir: str | Path, reporters: Sequence[str] | None = None, console: Console | None = None
) -> EvaluationResult:
    """Re-render a run's (or evaluation's) reports from its saved files; nothing is
    predicted again. ``reporters`` defaults to all built-in ones."""
    from .reporting import DEFAULT_REPORTERS, check_reporters, render
    from .runs.artifacts import load_result

    names = list(DEFAULT_REPORTERS if reporters is None else reporters)
    check_reporters(names)
    result = load_result(run_dir)
    render(names, result, Path(run_dir), console or Console())
    return result


def list_tasks() -> list[str]:
    return plugins.registries()["tasks"].names()


def list_models() -> list[str]:
    return plugins.registries()["models"].names()
