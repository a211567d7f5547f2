"""Reporters: render an EvaluationResult to the console and to files.

Built-in reporters (registered by ``imgclf._default_plugins.reporters``):
``console`` (rich tables), ``plots`` (PNGs under ``plots/``), ``json``
(``metrics.json``) and ``html`` (a self-contained ``report.html``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import _plugins as plugins
from .._config import reporter_names
from .._log import warn

DEFAULT_REPORTERS = ("console", "plots", "json", "html")


def check_reporters(names: Sequence[str]) -> None:
    """Raise PluginError (with did-you-mean) for a reporter name that is not registered."""
    regs = plugins.registries()["reporters"]
    for name in names:
        regs.get(name)


def chosen_reporters(value: str | Sequence[str] | None) -> list[str]:
    """The reporters to run: ``"json"``, ``"console,html"``, ``"none"`` or a list (None:
    every built-in one), each name checked."""
    names = reporter_names(value)
    names = list(DEFAULT_REPORTERS) if names is None else names
    check_reporters(names)
    return names


def render(names: Sequence[str], result: Any, run_dir: Path, console: Any) -> list[str]:
    """Run the reporters ``names`` in order and return those that failed.

    A reporter that raises is reported in one line and skipped: the files other
    reporters (and the run) wrote are kept, and the run still succeeds.
    """
    regs = plugins.registries()["reporters"]
    failed = []
    for name in names:
        try:
            regs.get(name)(result, Path(run_dir), console)
        except Exception as exc:  # a reporter must never cost the run its artifacts
            failed.append(name)
            warn(
                console,
                f"reporter {name!r} failed ({type(exc).__name__}: {exc}); other artifacts "
                "are kept.",
            )
    return failed
