"""Docs that cannot drift: hooks documented with their signatures, public API exported."""

import inspect
import re
from pathlib import Path

import imgclf
from imgclf import hookspecs

ROOT = Path(__file__).resolve().parents[1]


def hook_names():
    return [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "imgclf_spec")
    ]


def test_plugin_hooks_are_documented():
    doc = (ROOT / "docs" / "hooks.md").read_text()
    for name in hook_names():
        params = ", ".join(inspect.signature(getattr(hookspecs, name)).parameters)
        assert re.search(rf"^## {name}$", doc, re.M), f"docs/hooks.md lacks a '## {name}' section"
        assert f"{name}({params})" in doc, f"docs/hooks.md lacks the signature {name}({params})"


def test_all_is_sorted_and_complete():
    assert imgclf.__all__ == sorted(imgclf.__all__)
    public = {n for n in vars(imgclf) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(imgclf, n))}
    assert public - modules == set(imgclf.__all__)


def test_readme_quick_start_has_two_commands_and_ci_runs_the_second():
    readme = (ROOT / "README.md").read_text()
    assert "# 1. set up and run the main job" in readme
    assert "# 2. run the whole test suite" in readme
    assert "README.md" in (ROOT / ".ci" / "run").read_text()


def render_cli_help() -> str:
    """docs/cli.md: the real --help of every command, so the reference cannot drift."""
    import click
    from click.testing import CliRunner

    from imgclf.cli import cli

    out = [
        "# CLI reference",
        "",
        "Generated from `imgclf --help`; a test checks it matches. Regenerate with",
        "`IMGCLF_UPDATE_DOCS=1 python -m pytest tests/test_docs.py`.",
        "",
    ]

    def help_of(args: list[str]) -> str:
        return CliRunner().invoke(cli, args, terminal_width=100, prog_name="imgclf").output

    def walk(group: click.Group, prefix: list[str]) -> None:
        for name in sorted(group.commands):
            cmd = group.commands[name]
            args = [*prefix, name]
            help_text = help_of([*args[1:], "--help"])
            out.extend([f"## {' '.join(args)}", "", "```", help_text.rstrip(), "```", ""])
            if isinstance(cmd, click.Group):
                walk(cmd, args)

    top = help_of(["--help"])
    out.extend(["## imgclf", "", "```", top.rstrip(), "```", ""])
    walk(cli, ["imgclf"])
    return "\n".join(out)


def test_cli_reference_matches_help():
    import os

    path = ROOT / "docs" / "cli.md"
    text = render_cli_help()
    if os.environ.get("IMGCLF_UPDATE_DOCS") == "1":
        path.write_text(text)
    assert path.read_text() == text, "docs/cli.md is stale: IMGCLF_UPDATE_DOCS=1 regenerates it"
