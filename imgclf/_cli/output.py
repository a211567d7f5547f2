"""How every command writes: rich consoles that never wrap or cut into a pipe, and
``--json`` output (one JSON document, or JSON Lines) on a stdout nothing else writes to."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Any

import click
from rich.console import Console, ConsoleDimensions

PIPE_WIDTH = 100_000  # wider than any row: tables fit their content, nothing is cut


class WholeLinesConsole(Console):
    """A terminal gets tables fitted to its width; a pipe or file gets whole,
    unwrapped lines and cells whatever COLUMNS says, so grep and scripts see full
    paths and names. Decided on every print: CliRunner swaps the streams later."""

    def __init__(self, *args: Any, width: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, width=width, **kwargs)
        self.fixed_width = width is not None  # rich itself takes COLUMNS as a width

    @property
    def size(self) -> ConsoleDimensions:
        size = super().size
        if not self.fixed_width and not self.is_terminal:
            return ConsoleDimensions(PIPE_WIDTH, size.height)
        return size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        vars(Console)["size"].fset(self, new_size)  # rich's own setter

    def on_broken_pipe(self) -> None:
        """rich exits 1 here; the CLI's group ends a closed pipe quietly, in one place."""
        self.quiet = True
        raise BrokenPipeError


def console(stderr: bool = False, **kwargs: Any) -> Console:
    """The CLI's console for stdout (or stderr)."""
    return WholeLinesConsole(stderr=stderr, **kwargs)


def _plain(value: Any) -> Any:
    """NumPy numbers and arrays as JSON numbers and lists; paths and the rest as text."""
    return value.tolist() if hasattr(value, "tolist") else str(value)


def echo_json(document: Any) -> None:
    """``--json``: the one JSON document a command prints on stdout."""
    click.echo(json.dumps(document, indent=2, default=_plain))


def echo_json_line(document: Any) -> None:
    """One JSON Lines row (``predict --json``), flushed so a reader sees it at once."""
    click.echo(json.dumps(document, default=_plain))
    sys.stdout.flush()


def result_json(result: Any) -> dict[str, Any]:
    """``run --json`` and ``evaluate --json``: the folder written, its final metrics
    (what metrics.json holds) and the images left out, by reason."""
    return {
        "run_dir": str(result.run_dir),
        "metrics": result.metrics,
        "skipped": dict(result.skipped),
    }


@contextlib.contextmanager
def stdout_to_stderr(active: bool = True) -> Iterator[None]:
    """While a ``--json`` command works, anything written to stdout (a stray print, a
    library's chatter on file descriptor 1) goes to stderr instead; the JSON printed
    after the block is then the only thing on stdout."""
    if not active:
        yield
        return
    sys.stdout.flush()
    saved = _dup_stdout_fd()
    try:
        with contextlib.redirect_stdout(sys.stderr):
            yield
    finally:
        sys.stderr.flush()
        if saved is not None:
            os.dup2(saved, 1)
            os.close(saved)


def _dup_stdout_fd() -> int | None:
    """Point file descriptor 1 at stderr and return a copy of the old one; None when
    stdout is not the process's (CliRunner's capture has no file descriptor)."""
    try:
        if sys.stdout.fileno() != 1:
            return None
        saved = os.dup(1)
    except (AttributeError, OSError, ValueError):
        return None
    os.dup2(2, 1)
    return saved
