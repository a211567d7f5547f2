"""Plugin loading: entry points of the ``imgclf`` group plus the default plugins.

Loading is lazy and happens once. ``IMGCLF_LOAD_PLUGINS=a,b`` limits which entry
points load (empty string: none). A plugin that fails on import or inside a hook
is recorded as broken and warned about; it never stops the others.

Two plugins may register the same name: each keeps it as ``<plugin>:<name>``
(built-ins as ``imgclf:<name>``) and the bare name is refused where it is used
(see :mod:`imgclf._registry`), so neither plugin is broken by the other.
``IMGCLF_TRACE_PLUGINS=1`` writes every hook call, the plugins that answer it and
what each registers to stderr (pluggy's hook-call monitoring).
"""

from __future__ import annotations

import importlib
import os
import reprlib
import sys
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import pluggy

from . import _hookspecs as hookspecs
from ._registry import Registry

#: Built-in plugins: the name ``imgclf plugins`` shows -> the (private) module.
DEFAULT_PLUGINS = {
    f"imgclf.default_plugins.{kind}": f"imgclf._default_plugins.{kind}"
    for kind in ("datasets", "models", "augmenters", "reporters")
}
DEFAULT_PLUGINS["imgclf.default_plugins.tasks"] = "imgclf._default_plugins.tasks"
REGISTER_HOOKS = ("tasks", "datasets", "models", "augmenters", "reporters")
BUILTIN_NAMESPACE = "imgclf"  # qualified names of built-ins: imgclf:folder
TRACE_ENV = "IMGCLF_TRACE_PLUGINS"


@dataclass
class PluginInfo:
    """What ``imgclf plugins`` shows for one plugin.

    ``name`` is the entry-point (or registration) name the registries know it by;
    ``distribution`` is what the user pip-installed (``None`` for a plugin
    registered at run time), so the two can be told apart when they differ.
    """

    name: str
    version: str
    hooks: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    default: bool = False
    distribution: str | None = None

    @property
    def status(self) -> str:
        return "broken" if self.errors else "ok"

    def to_json(self) -> dict[str, Any]:
        """The fields of ``imgclf plugins --json``, stable for scripts."""
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "builtin": self.default,
            "hooks": list(self.hooks),
            "status": self.status,
            "errors": list(self.errors),
        }


class PluginWarning(UserWarning):
    """A plugin failed to load or raised in a hook."""


pm = pluggy.PluginManager("imgclf")
pm.add_hookspecs(hookspecs)
_infos: dict[str, PluginInfo] = {}
_loaded = False
_registries: dict[str, Registry] | None = None
_undo_trace: Any = None


def _broken(name: str, version: str, error: str, distribution: str | None = None) -> None:
    info = _infos.setdefault(name, PluginInfo(name, version, distribution=distribution))
    info.errors.append(error)
    warnings.warn(f"imgclf plugin {name!r} is broken: {error}", PluginWarning, stacklevel=3)


def _allowed() -> set[str] | None:
    raw = os.environ.get("IMGCLF_LOAD_PLUGINS")
    if raw is None:
        return None
    return {p.strip() for p in raw.split(",") if p.strip()}


def load() -> None:
    """Load default plugins and installed entry points, once."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    _start_tracing()
    for name, modname in DEFAULT_PLUGINS.items():
        pm.register(importlib.import_module(modname), name=name)
        _infos[name] = PluginInfo(name, _own_version(), default=True, distribution="imgclf")
    allowed = _allowed()
    for ep in metadata.entry_points(group="imgclf"):
        dist = getattr(ep, "dist", None)
        dist_name = dist.name if dist is not None else None
        if allowed is not None and ep.name not in allowed and dist_name not in allowed:
            continue
        version = dist.version if dist is not None else "?"
        try:
            plugin = ep.load()
        except Exception as exc:  # a broken plugin must not stop the others
            _broken(ep.name, version, f"import failed: {type(exc).__name__}: {exc}", dist_name)
            continue
        register_plugin(plugin, ep.name, version, distribution=dist_name)


def _own_version() -> str:
    try:
        return metadata.version("imgclf")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def register_plugin(
    plugin: ModuleType | object, name: str, version: str = "?", distribution: str | None = None
) -> None:
    """Register a plugin object (module or class) under ``name``; resets registries."""
    global _registries
    pm.register(plugin, name=name)
    _infos[name] = PluginInfo(name, version, distribution=distribution)
    _registries = None


def unregister_plugin(name: str) -> None:
    global _registries
    plugin = pm.get_plugin(name)
    if plugin is not None:
        pm.unregister(plugin, name=name)
    _infos.pop(name, None)
    _registries = None


def plugin_infos() -> list[PluginInfo]:
    """Every known plugin, with the hooks it implements and its errors."""
    registries()
    for name, plugin in pm.list_name_plugin():
        info = _infos.setdefault(name, PluginInfo(name, "?"))
        info.hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
    return sorted(_infos.values(), key=lambda i: (not i.default, i.name))


def _check_for(kind: str):
    from ._data.records import DatasetLoader
    from ._tasks import TaskSpec

    checks: dict[str, Any] = {
        "tasks": lambda o: isinstance(o, TaskSpec),
        "datasets": lambda o: isinstance(o, DatasetLoader),
    }
    return checks.get(kind, callable)


def namespace(owner: str) -> str:
    """The ``<plugin>`` of ``<plugin>:<name>``: the entry-point name, ``imgclf`` for built-ins."""
    return BUILTIN_NAMESPACE if owner in DEFAULT_PLUGINS else owner


def registries() -> dict[str, Registry]:
    """Build (once) the registries by calling each plugin's register hooks in isolation."""
    global _registries
    load()
    if _registries is not None:
        return _registries
    regs: dict[str, Registry] = {
        kind: Registry(kind.rstrip("s"), _check_for(kind)) for kind in REGISTER_HOOKS
    }
    for kind in REGISTER_HOOKS:
        caller = getattr(pm.hook, f"register_{kind}")
        for impl in reversed(caller.get_hookimpls()):
            owner = pm.get_name(impl.plugin) or "?"
            try:
                _call_alone(f"register_{kind}", impl.plugin, _registrar(regs[kind], owner))
            except Exception as exc:  # isolate: report and go on
                info = _infos.get(owner)
                _broken(owner, info.version if info else "?", f"register_{kind}: {exc}")
    _registries = regs
    return regs


def _registrar(reg: Registry, owner: str):
    """The ``register(name, obj)`` callback one plugin's register hook receives."""

    def register(name: str, obj: Any) -> None:
        reg.register(name, obj, owner=owner, namespace=namespace(owner))
        if _undo_trace is not None:
            _trace(f"  {owner} registered {reg.kind} {name!r} ({namespace(owner)}:{name})")

    return register


def _call_alone(hook: str, plugin: object, register: Any) -> None:
    """Call one plugin's implementation of ``hook`` through pluggy (so tracing sees it)."""
    others = [p for p in pm.get_plugins() if p is not plugin]
    pm.subset_hook_caller(hook, remove_plugins=others)(register=register)


def _trace(message: str) -> None:
    sys.stderr.write(f"imgclf trace: {message}\n")  # looked up now: pytest and click swap it


def _before(hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    answering = ", ".join(impl.plugin_name for impl in reversed(hook_impls)) or "no plugin"
    _trace(f"{hook_name}({', '.join(kwargs)}) answered by {answering}")


def _after(
    outcome: Any, hook_name: str, hook_impls: Sequence[Any], kwargs: Mapping[str, Any]
) -> None:
    exc = outcome.exception
    if exc is not None:
        _trace(f"{hook_name} raised {type(exc).__name__}: {exc}")
    elif hook_name not in {f"register_{kind}" for kind in REGISTER_HOOKS}:
        _trace(f"{hook_name} returned {reprlib.repr(outcome.get_result())}")


def _start_tracing() -> None:
    """Monitor hook calls when ``IMGCLF_TRACE_PLUGINS`` is set (not empty or ``0``)."""
    global _undo_trace
    if _undo_trace is None and os.environ.get(TRACE_ENV, "") not in ("", "0"):
        _undo_trace = pm.add_hookcall_monitoring(_before, _after)


def callbacks_for(config: Any, run_dir: Path) -> list[Any]:
    """Callbacks every plugin adds through ``extra_callbacks``."""
    load()
    out: list[Any] = []
    for result in pm.hook.extra_callbacks(config=config, run_dir=run_dir):
        if result:
            out.extend(result)
    return out


def run_finished(config: Any, run_dir: Path, metrics: dict[str, Any]) -> list[tuple[str, str]]:
    """Call each plugin's ``run_finished`` on its own, so one that raises costs the
    others nothing; return ``(plugin, error)`` for those that raised."""
    load()
    failed = []
    for impl in reversed(pm.hook.run_finished.get_hookimpls()):  # pluggy's order
        others = [p for p in pm.get_plugins() if p is not impl.plugin]
        call = pm.subset_hook_caller("run_finished", remove_plugins=others)
        try:
            call(config=config, run_dir=run_dir, metrics=metrics)
        except Exception as exc:  # a finished run stays finished
            failed.append((impl.plugin_name, f"{type(exc).__name__}: {exc}"))
    return failed


def reset() -> None:
    """Forget every plugin (tests use this to reload with another IMGCLF_LOAD_PLUGINS)."""
    global _loaded, _registries, _undo_trace
    if _undo_trace is not None:
        _undo_trace()
        _undo_trace = None
    for name, plugin in list(pm.list_name_plugin()):
        pm.unregister(plugin, name=name)
    _infos.clear()
    _loaded = False
    _registries = None
