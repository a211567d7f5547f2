"""``imgclf list`` and ``imgclf plugins``: what is installed; no TensorFlow import."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from .. import _plugins as plugins
from .._heads import describe_heads
from .group import cli
from .output import console, echo_json

KINDS = ("tasks", "models", "datasets", "augmenters", "reporters")


def _describe(kind: str, obj: Any) -> str:
    if kind == "tasks":
        classes = f"{len(obj.classes)} classes" if obj.classes else "classes from the data"
        size = f"{obj.input_size}px" if obj.input_size else "the model's input size"
        head = "" if obj.head == "auto" else f"{obj.head}, "
        recipes = f"; recipes: {', '.join(sorted(obj.recipes))}" if obj.recipes else ""
        return (
            f"{obj.description} [{classes}, {size}, {head}default model "
            f"{obj.default_model}; heads: {describe_heads(obj)}{recipes}]"
        ).strip()
    desc = getattr(obj, "description", "") or (getattr(obj, "__doc__", "") or "")
    return " ".join(desc.strip().split("\n\n")[0].split())  # the summary, not a cut line


def _model_figures(obj: object) -> list[str]:
    """Input size, parameters and float32 MB a model builder declares (``default_size``,
    ``params``, ``weights_mb``: Backbones do), hard-coded so nothing imports TensorFlow."""
    size, params, mb = (getattr(obj, a, None) for a in ("default_size", "params", "weights_mb"))
    return [
        f"{size}px" if size else "",
        f"{params / 1e6:.1f}M" if params else "",
        f"{mb:.1f}" if mb else "",
    ]


def _model_json(obj: object) -> dict:
    """A model's declared input size, parameters and float32 MB (None when undeclared)."""
    names = {"default_size": "input_size", "params": "params", "weights_mb": "weights_mb"}
    return {key: getattr(obj, attr, None) for attr, key in names.items()}


def _entries(kind: str) -> list[dict]:
    """``list --json`` rows of one kind: name, registering plugin, description."""
    reg = plugins.registries()[kind]
    rows = []
    for name in reg:
        obj = reg.get(name)
        row: dict[str, Any] = {
            "name": name,
            "from": reg.owner(name),
            "description": _describe(kind, obj),
        }
        if kind == "tasks":
            row["recipes"] = sorted(obj.recipes)
        rows.append({**row, **_model_json(obj)} if kind == "models" else row)
    return rows


def _table(kind: str) -> tuple[Table, str | None]:
    """The table of ``kind`` and its note. Title and note are printed as lines of their
    own: a table's title and caption are padded to its width, into a pipe too."""
    regs = plugins.registries()
    table = Table()
    table.add_column("name", style="bold", overflow="fold")
    table.add_column("from", overflow="fold")
    if kind == "models":
        table.add_column("input", justify="right")
        table.add_column("params", justify="right")
        table.add_column("MB", justify="right")  # float32 weights
    table.add_column("description", overflow="fold")
    for name in regs[kind]:
        obj = regs[kind].get(name)
        figures = _model_figures(obj) if kind == "models" else []
        table.add_row(name, regs[kind].owner(name), *figures, escape(_describe(kind, obj)))
    clashing = sorted({n.partition(":")[2] for n in regs[kind] if ":" in n})
    if not clashing:  # Registry.names() qualifies exactly the names plugins clash on
        return table, None
    note = (
        f"{', '.join(clashing)}: registered by more than one plugin; "
        "use the qualified name <plugin>:<name>."
    )
    return table, note


@cli.command("list")
@click.argument("kind", required=False, type=click.Choice(KINDS))
@click.option("--json", "as_json", is_flag=True, help="A JSON object: a list of entries per kind.")
def list_cmd(kind: str | None, as_json: bool) -> None:
    """List registered tasks, models, datasets, augmenters and reporters."""
    kinds = [kind] if kind else list(KINDS)
    if as_json:
        echo_json({k: _entries(k) for k in kinds})
        return
    out = console()
    for k in kinds:
        table, note = _table(k)
        out.print(k, style="italic", highlight=False)
        out.print(table)
        if note:
            out.print(note, style="dim", highlight=False)


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="A JSON list: one object per plugin.")
def plugins_cmd(as_json: bool) -> None:
    """List plugins: the distribution that installed each, its hooks and status."""
    infos = plugins.plugin_infos()
    if as_json:
        echo_json([info.to_json() for info in infos])
        return
    table = Table()
    for column in ("name", "distribution", "hooks", "status"):
        table.add_column(column, overflow="fold")  # a narrow terminal folds, never cuts
    for info in infos:
        status = "ok" if not info.errors else "[red]broken[/red]: " + escape("; ".join(info.errors))
        table.add_row(escape(info.name), escape(_distribution(info)), ", ".join(info.hooks), status)
    console().print(table)


def _distribution(info: plugins.PluginInfo) -> str:
    """``imgclf-plugin-example 0.1.0``: what pip calls it; ``-`` when registered in code."""
    if info.distribution is None:
        return "-" if info.version == "?" else f"- {info.version}"
    return f"{info.distribution} {info.version}" + (" (built-in)" if info.default else "")
