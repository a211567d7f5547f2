"""Where runs are logged and under which experiment, and whether MLflow is there at all.

Nothing here imports MLflow at module level: ``imgclf --help`` and every command
that is not a run stay as fast as without the plugin.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path
from typing import Any

SWITCH_ENV = "IMGCLF_MLFLOW"
EXPERIMENT_ENV = "IMGCLF_MLFLOW_EXPERIMENT"
LOG_MODEL_ENV = "IMGCLF_MLFLOW_LOG_MODEL"
LOCAL_DIR = "mlruns"  # beside where imgclf runs, as MLflow's own default
LOCAL_DB = "mlflow.db"
MAX_PARAM_LENGTH = 6000  # MLflow refuses longer parameter values
NOT_PARAMS = ("data_summary", "references", "external")  # counts and results: artifacts

_said_why: list[str] = []


def active() -> bool:
    """Whether this process tracks its runs: not switched off with ``IMGCLF_MLFLOW=0``
    (the test suite does that), the process that logs a multi-worker run, and MLflow
    importable."""
    if os.environ.get(SWITCH_ENV, "1").strip().lower() in ("0", "false", "no", "off"):
        return False
    return is_chief() and mlflow_or_none() is not None


def mlflow_or_none() -> Any:
    """The ``mlflow`` module, or ``None`` when it cannot be imported (said once, with why).

    MLflow's usage telemetry is turned off unless ``MLFLOW_DISABLE_TELEMETRY`` is
    set already (``false`` turns it on): a training run should not call out to anyone.
    """
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        import mlflow
    except ImportError as exc:
        if not _said_why:
            _said_why.append(str(exc))
            warnings.warn(
                f"imgclf-mlflow is installed but MLflow cannot be imported ({exc}); runs are "
                "not tracked. Install it with pip install 'mlflow-skinny>=3' sqlalchemy "
                "alembic, or leave this plugin out with IMGCLF_LOAD_PLUGINS.",
                stacklevel=2,
            )
        return None
    return mlflow


def tracking_uri() -> str:
    """``MLFLOW_TRACKING_URI`` if set, else a sqlite store in ``./mlruns/`` (created).

    Not MLflow's ``./mlruns`` file store: MLflow 3 refuses it unless
    ``MLFLOW_ALLOW_FILE_STORE=true``; setting ``MLFLOW_TRACKING_URI=file:./mlruns``
    (with that variable) still works.
    """
    uri = os.environ.get("MLFLOW_TRACKING_URI", "").strip()
    if uri:
        return uri
    folder = Path.cwd() / LOCAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / LOCAL_DB}"


def experiment_name(config: Any) -> str:
    """``IMGCLF_MLFLOW_EXPERIMENT`` (``{task}`` and ``{model}`` filled in), else
    ``MLFLOW_EXPERIMENT_NAME``, else the run's task name."""
    template = os.environ.get(EXPERIMENT_ENV, "").strip()
    if template:
        return template.format(task=config.task, model=config.model)
    return os.environ.get("MLFLOW_EXPERIMENT_NAME", "").strip() or config.task


def log_model() -> bool:
    """``IMGCLF_MLFLOW_LOG_MODEL=0`` leaves ``model.keras`` out of the artifacts."""
    return os.environ.get(LOG_MODEL_ENV, "1").strip().lower() not in ("0", "false", "no")


def is_chief() -> bool:
    """One process logs a multi-worker run: the chief, or worker 0 when none is named."""
    try:
        tf_config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except json.JSONDecodeError:
        return True  # imgclf itself reports a malformed TF_CONFIG
    cluster, task = tf_config.get("cluster") or {}, tf_config.get("task") or {}
    if not cluster or not task:
        return True
    first = "chief" if cluster.get("chief") else "worker"
    return task.get("type") == first and int(task.get("index", 0)) == 0


def params_from(saved: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """config.json as MLflow parameters: nested settings as dotted keys, lists as JSON,
    long values cut to MLflow's limit; counts and results are left to the artifacts."""
    out: dict[str, str] = {}
    for key, value in saved.items():
        if not prefix and key in NOT_PARAMS:
            continue
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(params_from(value, f"{name}."))
            continue
        text = json.dumps(value) if isinstance(value, (list, tuple)) else str(value)
        out[clean_key(name)] = text[:MAX_PARAM_LENGTH]
    return out


def metrics_from(metrics: dict[str, Any]) -> dict[str, float]:
    """metrics.json's numbers: ``test_<key>`` (nested as ``test_per_class.<class>.f1``)
    and ``external.<set>.<key>`` for ``--eval-data`` sets; lists are left out."""
    out: dict[str, float] = {}

    def walk(value: Any, name: str) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, f"{name}.{key}")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[clean_key(name)] = float(value)

    for key, value in metrics.items():
        walk(value, key if key == "external" else f"test_{key}")
    return out


def clean_key(name: str) -> str:
    """A name MLflow takes (letters, digits, ``_ - . / space``), at most 250 characters."""
    return re.sub(r"[^\w\-./ ]", "_", name)[:250]
