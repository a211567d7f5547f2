"""``imgclf list`` and ``imgclf plugins``: what is installed; no TensorFlow import."""

from __future__ import annotations

import click
from rich.console import Console
from rich.table import Table

from .. import plugins
from . import cli

KINDS = ("tasks", "models", "datasets", "augmenters", "reporters")


def _describe(kind: str, obj: object) -> str:
    if kind == "tasks":
        from ..heads import describe_heads

        return (
            f"{obj.description} [{len(obj.classes)} classes, {obj.input_size}px, "
            f"{obj.head}, default model {obj.default_model}; heads: {describe_heads(obj)}]"
        ).strip()
    desc = getattr(obj, "description", "") or (getattr(obj, "__doc__", "") or "")
    return desc.strip().splitlines()[0] if desc.strip() else ""


@cli.command("list")
@click.argument("kind", required=False, type=click.Choice(KINDS))
def list_cmd(kind: str | None) -> None:
    """List registered tasks, models, datasets, augmenters and reporters."""
    console = Console()
    regs = plugins.registries()
    for k in [kind] if kind else KINDS:
        table = Table(title=k, title_justify="left")
        table.add_column("name", style="bold")
        table.add_column("from")
        table.add_column("description")
        for name in regs[k]:
            obj = regs[k].get(name)
            table.add_row(name, regs[k].owner(name), _describe(k, obj))
        console.print(table)


@cli.command("plugins")
def plugins_cmd() -> None:
    """List plugins with their version, hooks and status (ok or broken)."""
    console = Console()
    table = Table()
    for col in ("name", "version", "hooks", "status"):
        table.add_column(col)
    for info in plugins.plugin_infos():
        status = "ok" if not info.errors else "[red]broken[/red]: " + "; ".join(info.errors)
        name = f"{info.name} (built-in)" if info.default else info.name
        table.add_row(name, info.version, ", ".join(info.hooks), status)
    console.print(table)
