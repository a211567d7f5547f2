"""A run's figures next to the published ones its task declares (``TaskSpec.references``).

The runner saves the references of the run's head in ``config.json``
(``references``: metric, value, data set, source, and whether this run read the
same data set); reporters read them from ``result.config`` and the run's value
from ``result.metrics``.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape

from .common import fmt


def comparisons(result: Any) -> list[dict[str, Any]]:
    """One dict per reference: its fields plus ``run_value`` (None when the run's
    metrics lack the figure) and ``line``, the text the reports show."""
    out = []
    for ref in (result.config or {}).get("references") or []:
        value = result.metrics.get(ref.get("metric"))
        what = ref.get("label") or ref.get("metric")
        line = (
            f"paper ({ref.get('source')}, {ref.get('dataset')}): {what} "
            f"{fmt(ref.get('value'), 2)} / this run: {fmt(value, 2)}"
        )
        if not ref.get("same_data"):
            loaders = ", ".join(ref.get("run_loaders") or []) or "?"
            line += f" \u2014 different data set (loader {loaders})"
        out.append({**ref, "run_value": value, "line": line})
    return out


def print_references(result: Any, console: Console) -> None:
    """The task's published figures next to this run's (see reference.py)."""
    for ref in comparisons(result):
        console.print(escape(ref["line"]))
