"""Hook specifications: the whole extension surface of imgclf.

Each ``register_*`` hook receives a ``register(name, obj)`` callback; the core
owns name clashes and type checks, so plugins only say what they provide.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("imgclf")
hookimpl = pluggy.HookimplMarker("imgclf")

Register = Callable[[str, Any], None]


@hookspec
def register_tasks(register: Register) -> None:
    """Register tasks: ``register(name, TaskSpec)``."""


@hookspec
def register_datasets(register: Register) -> None:
    """Register dataset loaders: ``register(name, DatasetLoader)``."""


@hookspec
def register_models(register: Register) -> None:
    """Register model builders: ``register(name, build(input_shape, head) -> keras.Model)``."""


@hookspec
def register_augmenters(register: Register) -> None:
    """Register augmenters: ``register(name, build(**options) -> keras layer)``."""


@hookspec
def register_reporters(register: Register) -> None:
    """Register reporters: ``register(name, report(result, run_dir, console))``."""


@hookspec
def extra_callbacks(config: Any) -> list[Any] | None:
    """Return Keras callbacks to add to a run of ``config`` (a RunConfig)."""
