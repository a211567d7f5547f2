"""The one generic trainer: strategy, compile, class weights, callbacks, fit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from .._config import RunConfig
from .._heads import kind_of
from .._run_folder.run import Run
from .._tasks import Head
from ..errors import ConfigError
from . import strategy as dist
from .progress import progress_callback
from .strategy import gpu_count, shard_by_data, strategy_for


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


def loss_for(head: Head) -> str:
    """The head kind's loss: cross-entropy for class heads, MSE for regression."""
    return kind_of(head.kind).loss(head)


def compile_model(model: Any, head: Head, lr: float) -> Any:
    """Adam with the head kind's loss and metrics (``HEADS``, heads/)."""
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=loss_for(head),
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
    epochs: tuple[int, int] | None = None,
) -> list[Any]:
    """Callbacks in the order they must run at an epoch's end: the schedule logs the
    learning rate, the checkpoint and history are written, then the backup, then
    ``state.json`` says the epoch is complete (see callbacks.py, faults.py).
    ``EpochSeeds`` runs after the backup is restored (``epochs``: determinism.py)."""
    import keras

    from .._nn.determinism import EpochSeeds
    from .callbacks import BestCheckpoint, EpochState, HistoryWriter, ResumeSeed

    schedule = []
    if config.lr_schedule == "plateau":
        schedule.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=max(1, config.patience // 2), min_lr=1e-5
            )
        )
    early = keras.callbacks.EarlyStopping(
        monitor=config.monitor, patience=config.patience, restore_best_weights=True
    )
    checkpoint = BestCheckpoint(run_dir / "model.keras", monitor=config.monitor)
    history = HistoryWriter(run_dir / "history.csv")
    backup = keras.callbacks.BackupAndRestore(str(run_dir / "backup"), double_checkpoint=True)
    board = []
    if config.tensorboard:
        require_tensorboard()
        board = [keras.callbacks.TensorBoard(str(run_dir / "logs"))]
    return [
        *schedule,
        early,
        checkpoint,
        history,
        backup,
        ResumeSeed(history, [*schedule, early, checkpoint]),
        EpochSeeds(config.seed, epochs),
        *([EpochState(state)] if state is not None else []),
        *board,
        progress_callback(console, config.epochs, steps),
        *extra,
    ]


def build_distributed(
    config: RunConfig, build: Callable[[], Any], head: Head, console: Console
) -> tuple[Any, Any]:
    """``build()`` compiled under the run's strategy and dtype policy: (model, strategy).

    Variables must be created inside the strategy's scope to be mirrored, and layers
    take the dtype policy that is global while they are built (strategy.py).
    """
    strategy = pick_strategy(config)
    policy = dist.policy_for(config, strategy)
    line = dist.describe(strategy, config.batch_size, policy)
    if line:
        console.print(line)
    with dist.dtype_policy(policy), strategy.scope():
        model = compile_model(build(), head, config.lr)
    return dist.fit_ready(model, strategy), strategy


def train(
    run: Run,
    build: Callable[[], Any],
    train_ds: Any,
    val_ds: Any,
    y_train: np.ndarray | None = None,
    extra_callbacks: Sequence[Any] = (),
    epochs: tuple[int, int] | None = None,
    steps_per_epoch: int | None = None,
) -> tuple[Any, dict[str, list[float]]]:
    """Build ``build()`` (the model for ``run``'s head) under the strategy, fit, and
    return (model, history); checkpoints, history and backup go to ``run.run_dir``.

    A run folder holding a backup (an interrupted run) continues from its last
    completed epoch; the best checkpoint over all epochs is the model returned.
    ``epochs`` (start, stop) and ``steps_per_epoch``: ``train_ds`` holds the batches
    of those epochs in a row (``make_dataset(epochs=...)``), read by one iterator.
    """
    config, head, run_dir, console = run.config, run.data.head, run.run_dir, run.console
    model, strategy = build_distributed(config, build, head, console)
    train_ds, val_ds = shard_by_data(train_ds), shard_by_data(val_ds)
    weights = None
    if config.class_weight == "auto" and y_train is not None and kind_of(head.kind).has_classes:
        weights = class_weights(y_train, head.units if head.kind == "softmax" else 2)
    steps = steps_per_epoch or (int(train_ds.cardinality()) if int(train_ds.cardinality()) > 0
                                else None)  # fmt: skip
    callbacks = make_callbacks(config, run_dir, console, steps, extra_callbacks, run.state, epochs)
    try:
        with strategy.scope():  # multi-worker: fit takes the strategy from here
            hist = model.fit(
                train_ds,
                validation_data=val_ds,
                epochs=config.epochs,
                steps_per_epoch=steps_per_epoch,
                class_weight=weights,
                shuffle=False,  # the tf.data pipeline shuffles the training split itself
                callbacks=callbacks,
                verbose=0,
            )
    finally:  # an interrupted fit never reaches on_train_end: stop the live display
        for cb in callbacks:
            if getattr(cb, "progress", None) is not None:
                cb.progress.stop()
    seed = next(cb for cb in callbacks if type(cb).__name__ == "ResumeSeed")
    if seed.resumed_from and (run_dir / "model.keras").is_file():
        model.load_weights(run_dir / "model.keras")  # best epoch, maybe before the resume
        return model, seed.history_writer.history()
    return model, {k: [float(v) for v in vs] for k, vs in hist.history.items()}
