"""The one generic trainer: strategy, compile, class weights, callbacks, fit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from .config import RunConfig
from .tasks import Head


def set_seeds(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow so a run can be repeated."""
    import keras

    keras.utils.set_random_seed(seed)


def pick_strategy() -> Any:
    """MirroredStrategy with several GPUs, else the default strategy."""
    import tensorflow as tf

    gpus = tf.config.list_logical_devices("GPU")
    if len(gpus) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def loss_for(head: Head) -> str:
    return "binary_crossentropy" if head.kind == "sigmoid" else "sparse_categorical_crossentropy"


def compile_model(model: Any, head: Head, lr: float) -> Any:
    import keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=lr),
        loss=loss_for(head),
        metrics=["accuracy"],
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


def make_callbacks(
    config: RunConfig, run_dir: Path, console: Console, steps: int | None, extra: Sequence[Any]
) -> list[Any]:
    import keras

    from .progress import progress_callback

    schedule = []
    if config.lr_schedule == "plateau":
        schedule.append(
            keras.callbacks.ReduceLROnPlateau(
                monitor="val_loss", factor=0.5, patience=max(1, config.patience // 2), min_lr=1e-5
            )
        )
    return [
        *schedule,
        keras.callbacks.EarlyStopping(
            monitor=config.monitor, patience=config.patience, restore_best_weights=True
        ),
        keras.callbacks.ModelCheckpoint(
            str(run_dir / "model.keras"), monitor=config.monitor, save_best_only=True
        ),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv")),
        progress_callback(console, config.epochs, steps),
        *extra,
    ]


def train(
    config: RunConfig,
    build: Callable[[], Any],
    head: Head,
    train_ds: Any,
    val_ds: Any,
    run_dir: Path,
    console: Console,
    y_train: np.ndarray | None = None,
    extra_callbacks: Sequence[Any] = (),
) -> tuple[Any, dict[str, list[float]]]:
    """Build ``build()`` under the strategy, fit, and return (model, history)."""
    strategy = pick_strategy()
    with strategy.scope():
        model = compile_model(build(), head, config.lr)
    weights = None
    if config.class_weight == "auto" and y_train is not None:
        weights = class_weights(y_train, head.units if head.kind == "softmax" else 2)
    steps = int(train_ds.cardinality()) if int(train_ds.cardinality()) > 0 else None
    hist = model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        class_weight=weights,
        shuffle=False,  # the tf.data pipeline shuffles the training split itself
        callbacks=make_callbacks(config, run_dir, console, steps, extra_callbacks),
        verbose=0,
    )
    return model, {k: [float(v) for v in vs] for k, vs in hist.history.items()}
