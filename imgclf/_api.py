"""The Python API: what the CLI calls, and what other projects call."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from . import _config as configmod
from . import _plugins as plugins
from ._data.pipeline import pillow_paths_of
from ._evaluation import check_eval_paths, evaluate_external, evaluate_saved
from ._exporting.compare import export_and_compare
from ._heads import select_head
from ._heads.classification import EvaluationResult
from ._log import console_or_quiet
from ._nn.augment import build_augmenter as build_augmenter  # public: imgclf.build_augmenter
from ._nn.backbones import build_with_weights, model_builder
from ._nn.saving import load_model as load_model  # public: imgclf.load_model
from ._nn.saving import unsafe_loading
from ._prediction.files import collect_images, score_batches
from ._prediction.predictors import KerasPredictor, load_predictor
from ._reporting import chosen_reporters, render
from ._resolve import get_task, make_config
from ._run_folder.artifacts import load_result
from ._run_folder.state import resume_config
from ._runner import RunResult, execute
from ._tfquiet import import_tensorflow_quietly
from ._training.strategy import wait_for_all_workers
from .errors import ConfigError

if TYPE_CHECKING:  # names for the annotations only: TensorFlow stays unimported
    import keras
    import numpy as np

    from ._exporting.formats import Exported


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

    ``options`` are RunConfig fields (epochs, batch_size, lr, image_size, seed, ...;
    ``report`` takes a list or a comma-separated string). ``resume``: the folder of an
    interrupted run, continued with its own settings. ``console``: a rich Console to
    show the run's progress and report on (the CLI's output); None shows nothing,
    and notes and warnings go to the ``imgclf`` logger either way.
    """
    if resume:
        opts = {"model": model, "data": data, **options}
        cfg = resume_config(resume, task, config_file, opts)
    else:
        cfg = make_config(task, config_file=config_file, model=model, data=data, **options)
    return run_config(cfg, console, resume)


def run_config(
    cfg: configmod.RunConfig, console: Console | None = None, resume: str | Path | None = None
) -> RunResult:
    """Run an already resolved RunConfig (what the CLI does); then evaluate the final
    model on each ``eval_data`` set (paths checked before training)."""
    console = console_or_quiet(console)
    check_eval_paths(cfg.eval_data)
    import_tensorflow_quietly()
    result = execute(cfg, get_task(cfg.task), console, resume=resume)
    if cfg.eval_data and result.result is not None:  # None: not the chief of several workers
        evaluate_external(result, cfg.eval_data, console)
    if result.result is not None:  # the chief: its run folder is complete
        for name, error in plugins.run_finished(cfg, result.run_dir, result.metrics):
            console.print(
                f"[yellow]warning:[/yellow] plugin {escape(repr(name))} failed after the run "
                f"(run_finished: {escape(error)}); the run folder is complete."
            )
    wait_for_all_workers(cfg)  # multi-worker: the others wait for the chief's evaluation
    return result


def build_model(
    name: str,
    task: str,
    input_shape: Sequence[int] | None = None,
    classes: Sequence[str] | None = None,
    head: str = "classes",
    weights: str | None = None,
) -> keras.Model:
    """The Keras model a run of ``task`` with model ``name`` would train (uncompiled);
    ``head`` names one of the task's heads (``--head``), e.g. ``va``. ``weights`` as
    ``--weights``: ``"imagenet"``, ``"none"`` or a ``.weights.h5``/``.keras`` path;
    ``None`` is imagenet for a pretrained backbone and none for every other model."""
    spec = get_task(task)
    builder = model_builder(name)
    import_tensorflow_quietly()
    if input_shape is None:
        size = spec.image_size(None, builder)
        input_shape = (size, size, 3)
    chosen = select_head(configmod.RunConfig(task, head=head), spec)
    if chosen.kind != "regression":
        if spec.classes_from_data and len(classes or ()) < 2:
            raise ConfigError(
                f"Task {task!r} takes its classes from the data; pass classes= (two or "
                f"more names); received classes={classes!r}."
            )
        chosen = spec.head_for(tuple(classes) if classes else None)
    return build_with_weights(builder, tuple(input_shape), chosen, weights, name)


def predict(
    model_or_path: keras.Model | str | Path,
    images: Sequence[str | Path],
    batch_size: int = 32,
    image_size: int | None = None,
    unsafe: bool = False,
) -> np.ndarray:
    """Scores (N x outputs) for image files and folders' images, streamed in batches.

    ``model_or_path``: a Keras model, a run folder, or a ``.keras``/``.tflite``/``.onnx``
    file or SavedModel folder (see ``imgclf.export``). Rows follow
    ``imgclf.collect_images(images)``.
    """
    import numpy as np

    files = collect_images(images)
    import_tensorflow_quietly()
    predictor: Any
    if isinstance(model_or_path, (str, Path)):
        predictor, info = load_predictor(model_or_path, unsafe=unsafe)
        size = image_size or info.image_size
    else:
        predictor = KerasPredictor(model_or_path)
        size = image_size or int(model_or_path.input_shape[1])

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
) -> tuple[Exported, dict[str, Any] | None]:
    """Export a run's model (or a ``.keras`` file) as ``savedmodel``, ``tflite`` or ``onnx``
    (``onnx`` needs ``pip install "imgclf[onnx]"``).

    ``quantize`` (TFLite): ``none``, ``dynamic``, ``float16`` or ``int8`` (calibrated on
    the run's training images). For a run folder the exported model is compared with
    the Keras model on the run's test split. Returns (Exported, comparison or None);
    the file goes to ``RUN_DIR/exports/`` unless ``output`` names it.
    """
    import_tensorflow_quietly()
    return export_and_compare(model, format, quantize, output, task, evaluate, batch_size, unsafe)


def evaluate(
    model: str | Path,
    data: str | Path | Sequence[str | Path] = (),
    *,
    task: str | None = None,
    loader: str | None = None,
    label_map: dict[str, str] | None = None,
    loader_options: dict[str, Any] | None = None,
    output: str | Path | None = None,
    report: str | Sequence[str] | None = None,
    batch_size: int = 64,
    console: Console | None = None,
    unsafe: bool = False,
    tta: str | None = None,
) -> RunResult:
    """Evaluate a saved model (a run folder or ``.keras`` file) on another data set.

    Labels are mapped onto the model's classes through the task's aliases and
    ``label_map`` (``{"joy": "happy"}``; ``""`` leaves a label out); images of no
    model class are left out and counted. Writes ``<run>/evaluations/<timestamp>/``
    (or a folder under ``output``) with predictions, metrics and the reports
    ``report`` (a list or ``"json,html"``; default: all built-in). ``task`` is needed
    only for a bare file. ``console``: where the report is shown (None: nowhere).
    No ``data``: a run folder's model on its run's own test split (``splits.csv``).
    ``unsafe=True`` loads a model with Lambda layers (see ``load_model``). ``tta``:
    test-time augmentation, ``none|flip|crops`` (default: the run's own ``tta``).
    """
    sources = [data] if isinstance(data, (str, Path)) else list(data)
    import_tensorflow_quietly()
    with unsafe_loading(unsafe):  # the model is loaded deep inside; this reaches it
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
            tta_mode=tta,
        )


def report(
    run_dir: str | Path,
    reporters: str | Sequence[str] | None = None,
    console: Console | None = None,
) -> EvaluationResult:
    """Re-render a run's (or evaluation's) reports from its saved files; nothing is
    predicted again. ``reporters`` (a list or ``"json,html"``) defaults to all built-in
    ones; ``console``: where the console reporter shows them (None: nowhere)."""
    names = chosen_reporters(reporters)
    import_tensorflow_quietly()  # Grad-CAM loads the model
    result = load_result(run_dir)
    render(names, result, Path(run_dir), console_or_quiet(console))
    return result


def list_tasks() -> list[str]:
    return plugins.registries()["tasks"].names()


def list_models() -> list[str]:
    return plugins.registries()["models"].names()
