"""One imgclf run as one MLflow run: opened when training starts, closed when the run
has finished (``run_finished``), marked FAILED if the process ends before that.

The MLflow client is used with explicit run ids, never MLflow's "active run", so a
script's own ``mlflow.start_run()`` is neither used nor disturbed. Imported by the
hooks when a run starts (it imports Keras and MLflow).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import mlflow
from mlflow.entities import Metric, Param

from . import settings

RUN_DIR_TAG = "imgclf.run_dir"
FILES = ("config.json", "metrics.json", "history.csv", "predictions.csv", "report.html")
FOLDERS = ("plots",)


@dataclass
class Tracked:
    """The MLflow run of one imgclf run folder."""

    client: Any
    run_id: str
    run_dir: Path


_open: dict[Path, Tracked] = {}  # run folder -> its MLflow run, until run_finished
#: Loggers that announce a new sqlite store's tables at INFO, in the middle of a run's
#: console; a store that cannot be made still raises.
STORE_SETUP_LOGGERS = ("mlflow.store.db.utils", "alembic")


@contextlib.contextmanager
def quiet_store_setup():
    """MLflow's table creation and migration lines held back while the store opens."""
    loggers = [logging.getLogger(name) for name in STORE_SETUP_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def start(config: Any, run_dir: Path) -> Tracked:
    """The MLflow run for ``run_dir``: the one a resumed run had, else a new one with
    the settings of its config.json as parameters."""
    run_dir = Path(run_dir).resolve()
    name = settings.experiment_name(config)
    with quiet_store_setup():  # opening the store may create its tables
        client = mlflow.MlflowClient(tracking_uri=settings.tracking_uri())
        experiment = client.get_experiment_by_name(name)
    exp_id = experiment.experiment_id if experiment else client.create_experiment(name)
    run_id = earlier_run(client, exp_id, run_dir)
    if run_id:
        client.update_run(run_id, status="RUNNING")
    else:
        tags = {RUN_DIR_TAG: str(run_dir), "imgclf.task": config.task,
                "imgclf.model": str(config.model)}  # fmt: skip
        run = client.create_run(exp_id, tags=tags, run_name=f"{config.model} {run_dir.name}")
        run_id = run.info.run_id
        saved = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
        params = [Param(k, v) for k, v in settings.params_from(saved).items()]
        for i in range(0, len(params), 100):  # MLflow takes 100 parameters per call
            client.log_batch(run_id, params=params[i : i + 100])
    tracked = _open[run_dir] = Tracked(client, run_id, run_dir)
    return tracked


def earlier_run(client: Any, exp_id: str, run_dir: Path) -> str | None:
    """The unfinished MLflow run of this folder (a resumed run continues it), if any."""
    if "'" in str(run_dir):  # not expressible in a filter string: a new MLflow run
        return None
    found = client.search_runs(
        [exp_id], filter_string=f"tags.`{RUN_DIR_TAG}` = '{run_dir}'", max_results=5
    )
    unfinished = [r for r in found if r.info.status != "FINISHED"]
    return unfinished[0].info.run_id if unfinished else None


class EpochLogger(keras.callbacks.Callback):
    """Every number Keras logs at an epoch's end, as MLflow metrics with step = epoch
    counted from 1, as in history.csv and the console (Keras counts from 0). A tracking
    error is warned about once and logging stops; it never stops the training."""

    def __init__(self, tracked: Tracked) -> None:
        super().__init__()
        self.tracked = tracked  # not self.params: Keras sets that
        self.broken = False

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        if self.broken:
            return
        now = int(time.time() * 1000)
        metrics = [
            Metric(settings.clean_key(k), float(v), now, epoch + 1)
            for k, v in (logs or {}).items()
            if is_number(v)
        ]
        try:
            self.tracked.client.log_batch(self.tracked.run_id, metrics=metrics)
        except Exception as exc:  # the tracking server, not the training, failed
            self.broken = True
            warnings.warn(
                f"imgclf-mlflow: logging epoch {epoch} failed ({type(exc).__name__}: {exc}); "
                "no more epochs of this run are logged.",
                stacklevel=2,
            )


def is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return not isinstance(value, (bool, str))


def finish(config: Any, run_dir: Path, metrics: dict[str, Any]) -> str:
    """Log the test metrics and the run folder's files, close the MLflow run; return its id."""
    run_dir = Path(run_dir).resolve()
    tracked = _open.pop(run_dir, None) or start(config, run_dir)
    _open.pop(run_dir, None)
    client, run_id = tracked.client, tracked.run_id
    now = int(time.time() * 1000)
    final = [Metric(k, v, now, 0) for k, v in settings.metrics_from(metrics).items()]
    for i in range(0, len(final), 1000):  # MLflow takes 1000 metrics per call
        client.log_batch(run_id, metrics=final[i : i + 1000])
    files = [*FILES, "model.keras"] if settings.log_model() else FILES
    for name in files:
        if (run_dir / name).is_file():
            client.log_artifact(run_id, str(run_dir / name))
    for name in FOLDERS:
        if (run_dir / name).is_dir():
            client.log_artifacts(run_id, str(run_dir / name), artifact_path=name)
    client.set_terminated(run_id, "FINISHED")
    return run_id


@atexit.register
def _fail_unfinished() -> None:
    """A run that never reached run_finished (an error, Ctrl-C) is FAILED, not RUNNING."""
    for tracked in list(_open.values()):
        try:
            tracked.client.set_terminated(tracked.run_id, "FAILED")
        except Exception:  # the process is ending: nothing left to tell
            pass
    _open.clear()
