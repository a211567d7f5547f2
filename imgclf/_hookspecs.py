"""Hook specifications: the whole extension surface of imgclf.

Each ``register_*`` hook receives a ``register(name, obj)`` callback; the core
owns name clashes and type checks, so plugins only say what they provide. Every
object is also reachable as ``<plugin>:<name>`` (the entry-point name; ``imgclf``
for built-ins), which is what to use when two plugins register the same name.
The types below are for readers and type checkers only (imported under
``TYPE_CHECKING``): importing this module imports neither Keras nor rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from typing import Any

    import keras
    from rich.console import Console

    from ._config import RunConfig
    from ._data.records import DatasetLoader
    from ._heads.classification import EvaluationResult
    from ._tasks import Head, TaskSpec

    #: ``build(input_shape, head) -> keras.Model``
    ModelBuilder = Callable[[tuple[int, int, int], Head], keras.Model]
    #: ``build(seed=None, **options)`` -> a layer or any ``f(images, training=True)``
    AugmenterBuilder = Callable[..., keras.Layer | Callable[..., Any]]
    #: ``report(result, run_dir, console)``; what it writes goes in ``run_dir``
    Reporter = Callable[[EvaluationResult, Path, Console], None]

hookspec = pluggy.HookspecMarker("imgclf")
hookimpl = pluggy.HookimplMarker("imgclf")


@hookspec
def register_tasks(register: Callable[[str, TaskSpec], None]) -> None:
    """Register tasks.

    Args:
        register: ``register(name, TaskSpec)``; ``name`` is what ``imgclf run NAME`` takes.

    Returns:
        Nothing: what counts is what the hook passes to ``register``.
    """


@hookspec
def register_datasets(register: Callable[[str, DatasetLoader], None]) -> None:
    """Register dataset loaders.

    Args:
        register: ``register(name, DatasetLoader)``; ``name`` is what ``--loader`` takes.

    Returns:
        Nothing: what counts is what the hook passes to ``register``.
    """


@hookspec
def register_models(register: Callable[[str, ModelBuilder], None]) -> None:
    """Register model builders.

    Args:
        register: ``register(name, build)`` with ``build(input_shape, head) -> keras.Model``;
            ``name`` is what ``--model`` takes.

    Returns:
        Nothing: what counts is what the hook passes to ``register``.
    """


@hookspec
def register_augmenters(register: Callable[[str, AugmenterBuilder], None]) -> None:
    """Register augmenters.

    Args:
        register: ``register(name, build)`` with ``build(seed=None, **options)``
            returning a Keras layer; ``<task>/<name>`` scopes it to one task.

    Returns:
        Nothing: what counts is what the hook passes to ``register``.
    """


@hookspec
def register_reporters(register: Callable[[str, Reporter], None]) -> None:
    """Register reporters.

    Args:
        register: ``register(name, report)`` with ``report(result, run_dir, console)``;
            ``name`` is what ``--report`` takes.

    Returns:
        Nothing: what counts is what the hook passes to ``register``.
    """


@hookspec
def extra_callbacks(config: RunConfig, run_dir: Path) -> list[keras.callbacks.Callback] | None:
    """Add Keras callbacks to a run; called at the start of every run's training.

    Args:
        config: the run's resolved settings (task, model, epochs, output, ...).
        run_dir: the run's folder (config.json is written already); the same
            folder again when a run is resumed. An implementation may leave it out
            of its parameters (pluggy passes only what it names).

    Returns:
        Callbacks to add to this run, or ``None`` (or an empty list) for runs
        that are not the plugin's concern.
    """


@hookspec
def run_finished(config: RunConfig, run_dir: Path, metrics: dict[str, Any]) -> None:
    """Called once when a run has succeeded and its folder is complete.

    For what only exists at the end (experiment trackers, notifications):
    ``model.keras``, ``history.csv``, ``metrics.json`` (external evaluations
    included) and the reporters' files are all written. A run that fails or is
    interrupted does not call it. An implementation that raises is warned about;
    the run still succeeds and the other implementations are called.

    Args:
        config: the run's settings as ``imgclf.run`` resolved them.
        run_dir: the finished run's folder.
        metrics: the dict of ``metrics.json``.

    Returns:
        Nothing.
    """
