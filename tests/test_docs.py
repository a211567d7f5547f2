"""Docs that cannot drift: hooks documented with their signatures, public API exported."""

import inspect
import re
from importlib import metadata
from pathlib import Path

import pytest

import imgclf
from imgclf import _hookspecs as hookspecs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE_PACKAGE = ROOT / "examples" / "imgclf-plugin-example" / "imgclf_plugin_example"


def hook_names():
    return [
        n for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(f, "imgclf_spec")
    ]


def test_plugin_hooks_are_documented():
    doc = (ROOT / "docs" / "hooks.md").read_text()
    for name in hook_names():
        typed = str(inspect.signature(getattr(hookspecs, name))).replace("'", "")
        assert re.search(rf"^## {name}$", doc, re.M), f"docs/hooks.md lacks a '## {name}' section"
        assert f"{name}{typed}" in doc, f"docs/hooks.md lacks the signature {name}{typed}"


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

    from imgclf._cli import cli

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
    written = path.read_text()
    if written != text:
        installed, pinned = metadata.version("click"), pinned_version("click")
        if installed != pinned and words(written) == words(text):
            pytest.skip(
                f"docs/cli.md differs from --help only in click's rendering: it was generated "
                f"with the pinned click {pinned}, this environment has click {installed}"
            )
    assert written == text, "docs/cli.md is stale: IMGCLF_UPDATE_DOCS=1 regenerates it"


def pinned_version(name: str) -> str | None:
    """The version constraints.txt (the set CI ran) pins for ``name``."""
    found = re.search(rf"^{name}==([^;\s]+)", (ROOT / "constraints.txt").read_text(), re.M)
    return found.group(1) if found else None


def words(text: str) -> list[str]:
    """The text without layout: what stays equal when only the rendering changes."""
    return re.findall(r"[\w-]+", text)


def test_rendering_only_differences_are_told_apart():
    usage = "Usage: imgclf list [OPTIONS] [[tasks|models]]\n\n  List things."
    assert words(usage) == words("Usage: imgclf list [OPTIONS] [tasks|models]\n  List  things.")
    assert words(usage) != words("Usage: imgclf list [OPTIONS] [tasks|models|reporters]")
    assert pinned_version("click") and pinned_version("tensorflow")


DOC_PAGES = sorted((ROOT / "docs").rglob("*.md"))
MARKDOWN = [ROOT / "README.md", *DOC_PAGES, *sorted((ROOT / "examples").rglob("README.md"))]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_doc_links_resolve():
    """Every relative link in README, docs/ and the examples' READMEs names a file that
    exists, and every #anchor a heading of that file."""
    bad = []
    for page in MARKDOWN:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                bad.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", file.read_text(), re.M)
                if anchor not in {slug(h) for h in headings}:
                    bad.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert not bad, "broken links:\n" + "\n".join(bad)


def test_every_doc_page_is_linked_from_index_and_readme():
    index = (ROOT / "docs" / "index.md").read_text()
    readme = (ROOT / "README.md").read_text().split("## Documentation", 1)[1]
    for page in DOC_PAGES:
        rel = page.relative_to(ROOT / "docs").as_posix()
        if rel != "index.md":
            assert f"]({rel})" in index, f"docs/index.md does not link {rel}"
        assert f"](docs/{rel})" in readme, f"README's Documentation list lacks docs/{rel}"


def test_every_setting_is_documented():
    import dataclasses

    text = (ROOT / "docs" / "index.md").read_text()
    missing = [f.name for f in dataclasses.fields(imgclf.RunConfig) if f"`{f.name}`" not in text]
    assert not missing, f"docs/index.md does not describe the settings {missing}"


def test_testing_helpers_are_documented():
    from imgclf import testing

    guide = (ROOT / "docs" / "writing-plugins.md").read_text()
    api = (ROOT / "docs" / "python-api.md").read_text()
    for name in testing.__all__:
        heading = rf"^### (.* )?{name}( .*)?$"
        assert re.search(heading, guide, re.M), f"writing-plugins.md: no '### {name}' heading"
        assert f"`{name}" in api, f"python-api.md does not list imgclf.testing.{name}"


def test_python_blocks_in_docs_compile():
    for page in MARKDOWN:
        for i, code in enumerate(
            re.findall(r"^```python\n(.*?)^```", page.read_text(), re.M | re.S)
        ):
            compile(code, f"{page.relative_to(ROOT)} python block {i + 1}", "exec")


def shell_commands(text: str):
    """``imgclf ...`` commands in the bash/console blocks of a page, as token lists."""
    import shlex

    for block in re.findall(r"^```(?:bash|console)\n(.*?)^```", text, re.M | re.S):
        for line in block.replace("\\\n", " ").splitlines():
            try:
                tokens = shlex.split(line, comments=True)
            except ValueError:
                continue
            command: list[str] = []
            for tok in [*tokens, "&&"]:
                if tok in ("&&", "||", ";", "|", "&"):
                    if command and command[0] == "imgclf":
                        yield command
                    command = []
                elif command or not re.match(r"^\w+=", tok):  # skip VAR=value prefixes
                    command.append(tok)


def test_commands_in_docs_use_real_commands_and_flags():
    """Every 'imgclf ...' line in a bash block names real (sub)commands and flags."""
    import click

    from imgclf._cli import cli

    bad = []
    for page in MARKDOWN:
        for tokens in shell_commands(page.read_text()):
            cmd, rest = cli, tokens[1:]
            while isinstance(cmd, click.Group) and rest and rest[0] in cmd.commands:
                cmd, rest = cmd.commands[rest[0]], rest[1:]
            if isinstance(cmd, click.Group) and rest and not rest[0].startswith("-"):
                bad.append(f"{page.name}: no command {' '.join(tokens[:3])!r}")
                continue
            flags = {o for p in cmd.params for o in [*p.opts, *p.secondary_opts]} | {"--help"}
            for tok in rest:
                if tok.startswith("-") and tok.split("=")[0] not in flags:
                    bad.append(f"{page.name}: {' '.join(tokens)!r} has no flag {tok!r}")
    assert not bad, "\n".join(bad)


def test_tracking_example_in_writing_plugins_works(tmp_path):
    """writing-plugins.md shows the template's CsvTracker whole (not a variant of it),
    and the code shown runs."""
    guide = (ROOT / "docs" / "writing-plugins.md").read_text()
    (code,) = [
        c for c in re.findall(r"^```python\n(.*?)^```", guide, re.M | re.S) if "CsvTracker" in c
    ]
    template = (EXAMPLE_PACKAGE / "tracking.py").read_text()
    assert template.split('"""\n\n', 1)[1] in code, "the docs' CsvTracker is not tracking.py's"
    namespace: dict = {}
    exec(compile(code, "writing-plugins.md CsvTracker", "exec"), namespace)  # noqa: S102
    config = imgclf.RunConfig("shapes", model="shapes-cnn", output=str(tmp_path))
    (tracker,) = namespace["extra_callbacks"](config)
    assert namespace["extra_callbacks"](imgclf.RunConfig("other")) is None
    tracker.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})
    tracker.on_epoch_end(1, {"loss": 0.25, "val_loss": 0.5})
    lines = (tmp_path / "tracking.csv").read_text().splitlines()
    assert lines[0] == "time,task,model,seed,epoch,metrics"
    assert lines[2].endswith(",shapes,shapes-cnn,42,2,loss=0.25;val_loss=0.5")  # from 1
