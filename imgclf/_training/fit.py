"""The one generic trainer: strategy, compile, class weights, callbacks, fit."""

from __future__ import annotations

import os
import shutil
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from .._config import RunConfig
from .._data.records import has_soft_targets
from .._files import write_json
from .._heads import kind_of
from .._nn import backbones
from .._nn.augment import soft_labels
from .._run_folder.run import Run
from .._tasks import Head
from ..errors import ConfigError, ImgclfError
from . import optimizers, phases, precision, schedules
from . import strategy as dist
from .progress import progress_callback
from .strategy import gpu_count, strategy_for


def set_seeds(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow so a run can be repeated."""
    import keras

    keras.utils.set_random_seed(seed)


def pick_strategy(config: RunConfig | None = None) -> Any:
    """The run's tf.distribute strategy (``config.strategy``, see strategy.py); without
    a config: MirroredStrategy with several GPUs, else the default strategy."""
    if config is None:
        import tensorflow as tf

        return tf.distribute.MirroredStrategy() if gpu_count() > 1 else tf.distribute.get_strategy()
    return strategy_for(config)


def loss_for(head: Head, label_smoothing: float = 0.0, soft: bool = False) -> Any:
    """The head kind's loss: cross-entropy for class heads (smoothed, on soft labels:
    heads/classification.py ``class_loss``), MSE for regression."""
    return kind_of(head.kind).loss(head, label_smoothing, soft)


def compile_model(
    model: Any,
    head: Head,
    lr: float,
    config: RunConfig | None = None,
    steps_per_epoch: int | None = None,
    epochs: int | None = None,
    soft: bool = False,
) -> Any:
    """The run's optimizer (optimizers.py; Adam without a config) at ``lr`` over a phase
    of ``epochs``, with the head kind's loss and metrics (``HEADS``, heads/)."""
    import keras

    if config is None:
        optimizer, smoothing = keras.optimizers.Adam(learning_rate=lr), 0.0
    else:
        optimizer = optimizers.make_optimizer(config, lr, steps_per_epoch, epochs)
        smoothing = config.label_smoothing
    model.compile(
        optimizer=optimizer,
        loss=loss_for(head, smoothing, soft),
        metrics=kind_of(head.kind).metrics(),
    )
    return model


def class_weights(y: np.ndarray, n_classes: int) -> dict[int, float]:
    """Balanced weights (n / (k * count)) for the classes present in ``y``."""
    from sklearn.utils.class_weight import compute_class_weight

    y = np.asarray(y).astype(int)
    present = np.unique(y)
    w = compute_class_weight("balanced", classes=present, y=y)
    out = {i: 1.0 for i in range(n_classes)}
    out.update({int(c): float(v) for c, v in zip(present, w)})
    return out


def require_tensorboard() -> None:
    """Keras' TensorBoard callback writes through the ``tensorboard`` package, which
    TensorFlow no longer installs: say so before any data is read."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        raise ConfigError(
            "--tensorboard needs the tensorboard package, which is not installed: pip "
            "install tensorboard (it also gives you the viewer: tensorboard --logdir RUN_DIR/logs)."
        )


def make_callbacks(
    config: RunConfig,
    run_dir: Path,
    console: Console,
    steps: int | None,
    extra: Sequence[Any],
    state: Any = None,
    multi_phase: bool = False,
) -> list[Any]:
    """Callbacks in the order they must run at an epoch's end: the phase number is
    logged, the schedule logs the learning rate, the checkpoint and history are
    written, then the backup, then ``state.json`` says the epoch is complete (see
    callbacks.py, faults.py); the time limit, last, may pause the run there.
    ``EpochSeeds`` runs after the backup is restored (determinism.py). ``fit_phase``
    tells them each phase's epochs."""
    import keras

    from .._nn.determinism import EpochSeeds
    from .callbacks import (
        BestCheckpoint,
        EpochState,
        HistoryWriter,
        PhaseColumn,
        ResumeSeed,
        TimeLimit,
        ema_callbacks,
    )

    schedule = schedule_callbacks(config)
    plateau = [cb for cb in schedule if isinstance(cb, keras.callbacks.ReduceLROnPlateau)]
    validate_ema, ema_in, ema_out = ema_callbacks() if config.ema else ((), (), ())
    early = early_stopping(config)
    checkpoint = BestCheckpoint(run_dir / "model.keras", monitor=config.monitor)
    history = HistoryWriter(run_dir / "history.csv")
    backup = keras.callbacks.BackupAndRestore(str(run_dir / "backup"), double_checkpoint=True)
    board = []
    if config.tensorboard:
        require_tensorboard()
        board = [keras.callbacks.TensorBoard(str(run_dir / "logs"))]
    return [
        *([validate_ema] if config.ema else []),
        *([PhaseColumn()] if multi_phase else []),
        *schedule,
        *([ema_in] if config.ema else []),
        *early,
        checkpoint,
        *([ema_out] if config.ema else []),
        history,
        backup,
        ResumeSeed(history, [*plateau, *early, checkpoint]),
        EpochSeeds(config.seed),
        *([EpochState(state)] if state is not None else []),
        *board,
        progress_callback(console, config.epochs, steps),
        *extra,
        *([TimeLimit(config.time_limit, config.epochs)] if config.time_limit else []),
    ]


def early_stopping(config: RunConfig) -> list[Any]:
    """Early stopping on ``monitor``, restoring its best epoch; none for ``last``, where
    a schedule that ends at zero makes the final weights the model (docs/recipe.md)."""
    import keras

    if config.monitor == "last":
        return []
    return [
        keras.callbacks.EarlyStopping(
            monitor=config.monitor, patience=config.patience, restore_best_weights=True
        )
    ]


def schedule_callbacks(config: RunConfig) -> list[Any]:
    """``plateau``: ReduceLROnPlateau; ``cosine``/``onecycle``: the rate of each epoch's
    last step in the logs (the optimizer steps the schedule itself, schedules.py)."""
    import keras

    from .callbacks import StepRate

    if config.lr_schedule == "plateau":
        return [
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=max(1, config.patience // 2), min_lr=1e-5
            )
        ]
    return [StepRate()] if config.lr_schedule in schedules.PER_STEP else []


def build_distributed(
    config: RunConfig,
    build: Callable[[], Any],
    head: Head,
    console: Console,
    steps_per_epoch: int | None = None,
    soft: bool = False,
    started: str | None = None,
) -> tuple[Any, Any, Any]:
    """``build()`` compiled under the run's strategy and dtype policy: (model,
    strategy, policy). ``started``: a resumed run's policy, kept (precision.py).

    Variables must be created inside the strategy's scope to be mirrored, and layers
    take the dtype policy that is global while they are built (strategy.py).
    """
    strategy = pick_strategy(config)
    builder = model_builder(config)
    policy = precision.policy_for(config, strategy, builder, started)
    console.print(precision.describe(config, strategy, builder, started))
    for line in (dist.describe(strategy, config.batch_size, policy), optimizers.describe(config)):
        if line:
            console.print(line)
    with dist.dtype_policy(policy), strategy.scope():
        model = compile_model(build(), head, config.lr, config, steps_per_epoch,
                              config.epochs, soft)  # fmt: skip
    return dist.fit_ready(model, strategy), strategy, policy


def model_builder(config: RunConfig) -> Any:
    """The registered builder of ``config.model`` (its ``prefers_float32``), or None."""
    try:
        return backbones.model_builder(config.model) if config.model else None
    except ImgclfError:  # an unregistered test model: the name alone decides
        return None


def train(
    run: Run,
    build: Callable[[], Any],
    train_data: Callable[[tuple[int, int], Any], Any],
    val_data: Callable[[Any], Any],
    y_train: np.ndarray | None = None,
    extra_callbacks: Sequence[Any] = (),
    steps_per_epoch: int | None = None,
    blocks: Callable[[Any], list[list[str]]] | None = None,
) -> tuple[Any, dict[str, list[float]]]:
    """Build ``build()`` (the model for ``run``'s head) under the strategy, fit it in
    its phases (phases.py), and return (model, history); checkpoints, history and
    backup go to ``run.run_dir``.

    ``train_data((start, stop), input_context)``: the training batches of epochs
    [start, stop) in a row (``make_dataset(epochs=...)``), read by one iterator with
    ``steps_per_epoch`` steps per epoch; ``val_data(input_context)`` the validation
    batches. ``input_context`` is None, or in a multi-worker run this worker's
    ``tf.distribute.InputContext`` (strategy.py ``fit_input``). A run folder holding a backup (an
    interrupted run) continues from its last completed epoch, after the last
    finished phase; the best checkpoint over all epochs is the model returned.
    ``blocks(model)``: the backbone's layers grouped into blocks, for ``unfreeze``.
    """
    config, head, run_dir, console = run.config, run.data.head, run.run_dir, run.console
    soft = soft_labels(config, run.task, head.kind, has_soft_targets(run.data.splits["train"]))
    started = run.saved.config.get("dtype_policy")  # a resumed run's, from its first start
    model, strategy, policy = build_distributed(
        config, build, head, console, steps_per_epoch, soft, started
    )
    run.saved.config["dtype_policy"] = policy or "float32"  # what auto chose, on record
    write_json(run_dir / "config.json", run.saved.config)
    val_ds, _ = dist.fit_input(strategy, val_data)
    weights = None
    if config.class_weight == "auto" and y_train is not None and kind_of(head.kind).has_classes:
        weights = class_weights(y_train, head.units if head.kind == "softmax" else 2)
    todo = phases.plan(config, model, blocks(model) if blocks and phases.pretrained(config, model)
                       else None)  # fmt: skip
    first_phase = phases.resume_point(todo, run_dir)
    if first_phase:
        with warnings.catch_warnings():  # the phase's optimizer state is not wanted back
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(todo[first_phase - 1].marker(run_dir))
    callbacks = make_callbacks(config, run_dir, console, steps_per_epoch, extra_callbacks,
                               run.state, multi_phase=len(todo) > 1)  # fmt: skip
    hist = None
    for phase in todo[first_phase:]:
        if len(todo) > 1:
            console.print(phases.describe(phase, len(todo)))
            phase.trainable(model)
            with dist.dtype_policy(policy), strategy.scope():
                compile_model(model, head, phase.lr, config, steps_per_epoch,
                              phase.stop - phase.start, soft)  # fmt: skip
                model = dist.fit_ready(model, strategy)
        hist = fit_phase(model, strategy, phase, train_data, val_ds, weights, callbacks,
                         steps_per_epoch, run_dir, last=phase is todo[-1])  # fmt: skip
    seed = next(cb for cb in callbacks if type(cb).__name__ == "ResumeSeed")
    if (len(todo) > 1 or seed.resumed_from) and (run_dir / "model.keras").is_file():
        with warnings.catch_warnings():  # its optimizer may be another phase's
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            model.load_weights(run_dir / "model.keras")  # the best epoch of the whole run
        return model, seed.history_writer.history()
    history = hist.history if hist is not None else {}  # None: every phase was done
    return model, {k: [float(v) for v in vs] for k, vs in history.items()}


def fit_phase(
    model: Any,
    strategy: Any,
    phase: phases.Phase,
    train_data: Callable[[tuple[int, int], Any], Any],
    val_ds: Any,
    class_weight: dict[int, float] | None,
    callbacks: list[Any],
    steps_per_epoch: int | None,
    run_dir: Path,
    last: bool,
) -> Any:
    """One ``model.fit`` over the phase's epochs, from the backup's epoch on; a phase
    that is not the last saves its end weights and clears the backup, so a resume
    starts the next phase from them."""
    from .._nn.determinism import epoch_range

    first = max(phase.start, epoch_range(run_dir, phase.stop)[0])
    for cb in callbacks:  # the phase's epochs, for the callbacks that use them
        name = type(cb).__name__
        if name == "ResumeSeed":
            cb.phase_start = phase.start
        elif name == "EpochSeeds":
            cb.epochs = (first, phase.stop)
        elif name == "PhaseColumn":
            cb.number = phase.number
    model._initial_epoch = None  # BackupAndRestore sets it when it restores a backup
    data, class_weight = dist.fit_input(
        strategy, lambda context: train_data((first, phase.stop), context), class_weight
    )
    try:
        with strategy.scope():  # multi-worker: fit takes the strategy from here
            hist = model.fit(
                data,
                validation_data=val_ds,
                initial_epoch=first,
                epochs=phase.stop,
                steps_per_epoch=steps_per_epoch,
                class_weight=class_weight,
                shuffle=False,  # the tf.data pipeline shuffles the training split itself
                callbacks=callbacks,
                verbose=0,
            )
    finally:  # an interrupted fit never reaches on_train_end: stop the live display
        for cb in callbacks:
            if getattr(cb, "progress", None) is not None:
                cb.progress.stop()
    if not last:
        save_weights_atomically(model, phase.marker(run_dir))
        shutil.rmtree(run_dir / "backup", ignore_errors=True)
    return hist


def save_weights_atomically(model: Any, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp.weights.h5")
    try:
        model.save_weights(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
