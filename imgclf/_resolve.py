"""A task name and options resolved through the registries: its TaskSpec, its RunConfig."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import _config as configmod
from . import _plugins as plugins
from ._tasks import TaskSpec


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
    return configmod.resolve(task, defaults, config_file, options)
