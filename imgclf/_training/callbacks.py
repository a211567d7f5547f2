"""Keras callbacks that keep a run folder consistent when training stops at any moment.

``BestCheckpoint`` and ``HistoryWriter`` write ``model.keras`` and ``history.csv``
to a temporary file and rename it, so a kill never leaves half a file.
``ResumeSeed`` runs after ``BackupAndRestore`` has restored a run: it trims the
history to the epochs the backup holds, gives early stopping and the checkpoint the
best validation loss seen before the interruption, and replays the learning-rate
schedule over those epochs, so the resumed run continues as the uninterrupted one.
"""

from __future__ import annotations

import math
import os
import time
import types
from pathlib import Path
from typing import Any

import keras
import numpy as np

from .._config import higher_is_better
from .._files import write_csv
from .._run_folder.artifacts import history_rows
from .._run_folder.state import Paused
from .schedules import current_rate


class BestCheckpoint(keras.callbacks.Callback):
    """Save the model when ``monitor`` improves (``last``: after every epoch),
    atomically (temporary file, rename)."""

    def __init__(self, path: Path, monitor: str = "val_loss") -> None:
        super().__init__()
        self.path, self.monitor = Path(path), monitor
        self.sign = -1.0 if higher_is_better(monitor) else 1.0
        self.best = self.sign * math.inf

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        current = (logs or {}).get(self.monitor)
        if self.monitor != "last":
            if current is None or not self.sign * float(current) < self.sign * self.best:
                return
            self.best = float(current)
        tmp = self.path.with_name(f".{self.path.stem}.tmp{self.path.suffix}")
        try:
            self.model.save(tmp)
            os.replace(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)


class HistoryWriter(keras.callbacks.Callback):
    """``history.csv`` as CSVLogger writes it (epoch, then sorted keys), rewritten
    atomically after every epoch; an epoch run again replaces its old row. Epochs
    count from 1 (Keras' own index + 1), as the console and ``state.json`` do."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.rows: list[dict[str, Any]] = []
        self.keys: list[str] | None = None

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        number = epoch + 1  # counted from 1, as the console and state.json count
        row = {"epoch": number, **{k: _value(logs.get(k, "NA")) for k in self.keys}}
        self.rows = [r for r in self.rows if int(r["epoch"]) < number] + [row]
        self.write()

    def write(self) -> None:
        keys = self.keys or []
        write_csv(self.path, ["epoch", *keys], ([r.get(k, "NA") for k in ["epoch", *keys]]
                                                 for r in self.rows))  # fmt: skip

    def history(self) -> dict[str, list[float]]:
        """Every epoch's logs (also those before a resume), as ``History.history``."""
        out: dict[str, list[float]] = {k: [] for k in self.keys or []}
        for r in self.rows:
            for k in out:
                try:
                    out[k].append(float(r.get(k, "nan")))
                except ValueError:
                    out[k].append(math.nan)
        return out


def _value(v: Any) -> Any:
    try:
        return float(v)
    except (TypeError, ValueError):
        return v


class EpochState(keras.callbacks.Callback):
    """Record the last completed epoch in ``state.json`` (after the backup is saved) and
    ``train_seconds``, the completed epochs' time summed over every resume: a long run
    trained across sessions has its wall time in its folder."""

    def __init__(self, state: Any) -> None:
        super().__init__()
        self.state = state
        self.started = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        spent = self.state.data.get("train_seconds", 0.0) + time.perf_counter() - self.started
        self.state.update(last_epoch=epoch + 1, train_seconds=round(spent, 1))


class TimeLimit(keras.callbacks.Callback):
    """Pause the run (``Paused``) after the last epoch that fits in ``minutes``: when
    another epoch as long as the longest so far would pass the limit. It runs last, after
    the backup and ``state.json``, so the run stops as a SIGTERM there would stop it."""

    def __init__(self, minutes: float, epochs: int) -> None:
        super().__init__()
        self.limit, self.epochs = minutes * 60.0, epochs
        self.began = self.started = time.perf_counter()
        self.longest = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.started)
        if epoch + 1 < self.epochs and now - self.began + self.longest > self.limit:
            raise Paused()


def best_so_far(rows: list[dict[str, str]], monitor: str) -> tuple[float, int]:
    """(best value of ``monitor``, its epoch index) over history rows."""
    sign = -1.0 if higher_is_better(monitor) else 1.0
    values = [_value(r.get(monitor)) for r in rows]
    values = [v if isinstance(v, float) and not math.isnan(v) else sign * math.inf for v in values]
    i = min(range(len(values)), key=lambda j: sign * values[j])
    return values[i], i


class ResumeSeed(keras.callbacks.Callback):
    """After BackupAndRestore: trim history, seed best/wait of the other callbacks.

    ``phase_start``: the first epoch of the phase this fit trains (phases.py). The
    checkpoint's best counts every earlier epoch; early stopping and the plateau
    schedule only the phase's own, since phase 2 starts with a fresh optimizer.
    """

    def __init__(self, history: HistoryWriter, others: list[Any]) -> None:
        super().__init__()
        self.history_writer, self.others = history, others
        self.resumed_from = 0
        self.phase_start = 0

    def on_train_begin(self, logs: dict | None = None) -> None:
        restored = getattr(self.model, "_initial_epoch", None)
        start = int(restored or 0) or self.phase_start
        # history.csv counts from 1: the epochs done before index ``start`` are 1..start
        rows = [r for r in history_rows(self.history_writer.path) if int(r["epoch"]) <= start]
        self.resumed_from = max(self.resumed_from, int(restored or 0))
        if not start or not rows:
            return
        w = self.history_writer
        w.rows, w.keys = rows, [k for k in rows[0] if k != "epoch"]
        w.write()
        phase_rows = [r for r in rows if int(r["epoch"]) > self.phase_start]
        for cb in self.others:
            chosen = rows if isinstance(cb, BestCheckpoint) else phase_rows
            if not chosen:
                continue
            best, best_at = best_so_far(chosen, cb.monitor)
            if isinstance(cb, BestCheckpoint):
                cb.best = best
            elif isinstance(cb, keras.callbacks.EarlyStopping):
                cb.best, cb.wait = best, len(chosen) - 1 - best_at
                cb.best_epoch = int(chosen[best_at]["epoch"]) - 1  # Keras' index
        if not phase_rows:
            return  # a phase's first epoch trains at the rate it was compiled with
        lr = _value(phase_rows[-1].get("learning_rate"))
        for cb in self.others:
            if isinstance(cb, keras.callbacks.ReduceLROnPlateau):
                lr = replay_plateau(cb, phase_rows, self.model)
        optimizer = self.model.optimizer
        per_step = isinstance(getattr(optimizer, "_learning_rate", None),
                              keras.optimizers.schedules.LearningRateSchedule)  # fmt: skip
        if isinstance(lr, float) and optimizer is not None and not per_step:
            optimizer.learning_rate = lr  # a per-step schedule follows the restored iterations


class PhaseColumn(keras.callbacks.Callback):
    """Adds ``phase`` to every epoch's logs (history.csv) in a run with phases."""

    def __init__(self) -> None:
        super().__init__()
        self.number = 1

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None:
            logs["phase"] = self.number


class StepRate(keras.callbacks.Callback):
    """Logs ``learning_rate`` for a per-step schedule (schedules.py): the rate of the
    epoch's last step, as the optimizer's restored ``iterations`` give it."""

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if logs is not None and self.model.optimizer is not None:
            logs["learning_rate"] = current_rate(self.model.optimizer)


class EMAWeights(keras.callbacks.Callback):
    """``ema``: the averaged weights in the model while the callbacks between
    ``swap_in`` and ``swap_out`` run (early stopping's best weights, the checkpoint),
    the raw ones again before the backup (a resume continues training them).
    Validation runs on the averaged weights (Keras' ``SwapEMAWeights``)."""

    def __init__(self, swap: Any, into_model: bool) -> None:
        super().__init__()
        self.swap, self.into_model = swap, into_model

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.swap._ema_weights_in_model != self.into_model:
            self.swap._swap_variables()
            self.swap._ema_weights_in_model = self.into_model


def ema_callbacks() -> tuple[Any, Any, Any]:
    """(validate on EMA, swap in, swap out): put the middle pair around the callbacks
    that must see the averaged weights."""
    swap = keras.callbacks.SwapEMAWeights(swap_on_epoch=False)
    return swap, EMAWeights(swap, True), EMAWeights(swap, False)


class _StandInOptimizer:
    """Holds a learning rate rounded to float32, as the optimizer's variable does."""

    def __init__(self) -> None:
        self._lr = np.float32(0)

    @property
    def learning_rate(self) -> np.float32:
        return self._lr

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._lr = np.float32(value)


def replay_plateau(cb: Any, rows: list[dict[str, str]], model: Any) -> float | None:
    """Run ReduceLROnPlateau's own epoch-end logic over the epochs before a resume (its
    min_delta, waits and cuts, exactly) on a stand-in optimizer; return the learning
    rate the next epoch trains with (None when the history has none)."""
    optimizer = _StandInOptimizer()
    real = cb.model
    cb.set_model(types.SimpleNamespace(optimizer=optimizer, metrics=getattr(model, "metrics", [])))
    try:
        for i, row in enumerate(rows):
            logs = {k: _value(v) for k, v in row.items() if k != "epoch"}
            if not isinstance(logs.get("learning_rate"), float):
                return None
            optimizer.learning_rate = logs["learning_rate"]  # what epoch i trained with
            cb.on_epoch_end(i, logs)
    finally:
        cb.set_model(real)
    return float(optimizer.learning_rate)
