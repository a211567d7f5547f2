"""A task name and options resolved through the registries: its TaskSpec, its RunConfig."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import _config as configmod
from . import _plugins as plugins
from ._tasks import TaskSpec
from .errors import ConfigError


def get_task(name: str) -> TaskSpec:
    """The TaskSpec registered as ``name``; a PluginError names the registered tasks."""
    return plugins.registries()["tasks"].get(name)


def make_config(
    task: str, *, config_file: str | Path | None = None, **options: Any
) -> configmod.RunConfig:
    """Resolve a RunConfig: defaults < task defaults < ``config_file`` <
    ``IMGCLF_<SETTING>`` environment variables < ``options``."""
    spec = get_task(task)
    defaults = {"model": spec.default_model, **spec.defaults}
    if isinstance(options.get("data"), (str, Path)):
        options["data"] = [options["data"]]
    if options.get("data") is not None:
        options["data"] = [str(d) for d in options["data"]]
    return configmod.resolve(task, defaults, recipe_file(spec, config_file), options)


def recipe_file(spec: TaskSpec, config_file: str | Path | None) -> str | Path | None:
    """``config_file`` when it is a file, else the task's recipe of that name."""
    if not config_file or Path(config_file).is_file():
        return config_file
    if str(config_file) in spec.recipes:
        return spec.recipes[str(config_file)]
    names = ", ".join(sorted(spec.recipes)) or "none"
    raise ConfigError(
        f"Config file {str(config_file)!r} is no file, and task {spec.name!r} has no "
        f"recipe of that name (its recipes: {names}). Give the path of a TOML file or "
        "one of those names."
    )
