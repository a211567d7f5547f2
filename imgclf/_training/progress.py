"""Training progress: on a terminal a rich display (epochs, batches, live metrics,
ETA); into a file or pipe one line per epoch, which a log can keep."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def _fmt(logs: dict[str, Any] | None) -> str:
    logs = logs or {}
    keys = [
        k for k in ("loss", "accuracy", "rmse", "val_loss", "val_accuracy", "val_rmse") if k in logs
    ]
    return "  ".join(f"{k} {float(logs[k]):.4f}" for k in keys)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def progress_callback(console: Console, epochs: int, steps: int | None) -> Any:
    """A Keras callback: a rich Progress with two bars on a terminal, else a line per
    epoch (a redrawn display leaves nothing in a log until training ends)."""
    import keras

    if not console.is_terminal:
        return epoch_lines(console, epochs)

    class RichProgress(keras.callbacks.Callback):
        # Keras runs batch-level callbacks in a thread when they are marked safe;
        # otherwise it blocks every step to hand over the logs (alexnet at 128 px:
        # 157 -> 69 images/s). rich's Progress takes a lock on every update.
        async_safe = True

        def on_train_begin(self, logs=None):
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                TextColumn("{task.fields[metrics]}"),
                console=console,
                transient=False,
            )
            self.progress.start()
            self.epoch_task = self.progress.add_task("epochs", total=epochs, metrics="")
            self.batch_task = self.progress.add_task("batches", total=steps, metrics="")

        def on_epoch_begin(self, epoch, logs=None):
            self.progress.reset(self.batch_task, total=steps, metrics="")
            self.progress.update(self.epoch_task, description=f"epoch {epoch + 1}/{epochs}")

        def on_train_batch_end(self, batch, logs=None):
            self.progress.update(self.batch_task, completed=batch + 1, metrics=_fmt(logs))

        def on_epoch_end(self, epoch, logs=None):
            self.progress.update(self.epoch_task, completed=epoch + 1, metrics=_fmt(logs))

        def on_train_end(self, logs=None):
            self.progress.stop()

    return RichProgress()


def epoch_lines(console: Console, epochs: int) -> Any:
    """``epoch 3/40  loss 1.2  accuracy 0.5  val_loss ...  (2m31s)``, printed as each
    epoch ends."""
    import keras

    class EpochLines(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            took = _duration(time.perf_counter() - self.started)
            console.print(f"epoch {epoch + 1}/{epochs}  {_fmt(logs)}  ({took})", highlight=False)

    return EpochLines()
