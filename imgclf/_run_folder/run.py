"""``Run``: what the steps of one run share, built once its run folder exists."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from .._config import RunConfig
from .._tasks import TaskSpec
from .model import ModelInfo
from .state import RunState


@dataclass
class Run:
    """One run in progress: its settings, task, data, folder, model info and state.

    ``data``: the runner's PreparedData (splits, classes, head); ``saved``: the model
    it trains (``saved.config`` is the ``config.json`` written, ``saved.image_size``
    the size its images are read at); ``state``: its ``state.json`` (interrupt, resume).
    """

    config: RunConfig
    task: TaskSpec
    data: Any
    run_dir: Path
    saved: ModelInfo
    console: Console
    state: RunState
