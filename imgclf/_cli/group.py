"""The ``imgclf`` click group: the one place errors become a message and an exit code.

An ImgclfError prints one line (no traceback) and exits with its code from
exitcodes.py; Ctrl-C and SIGTERM stop cleanly; a reader that closes the pipe
(``imgclf list | head -1``) ends the command quietly.
"""

from __future__ import annotations

import os
import sys

import click
from rich.markup import escape

from .._run_folder.state import Paused, is_tf_error, short_tf_message
from ..errors import ImgclfError
from . import exitcodes
from .output import console

err_console = console(stderr=True)


class ImgclfGroup(click.Group):
    """A click group that renders ImgclfError as a clean message."""

    def invoke(self, ctx: click.Context):
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        except BrokenPipeError:
            silence_stdout()
            sys.exit(exitcodes.BROKEN_PIPE)
        except ImgclfError as exc:
            # escaped: a message's brackets (pip install "imgclf[onnx]", paths) are text
            err_console.print(f"[bold red]Error:[/bold red] {escape(str(exc))}", highlight=False)
            sys.exit(exitcodes.exit_code_of(exc))
        except KeyboardInterrupt as exc:  # Ctrl-C (130), SIGTERM (143), time limit (75)
            word = "Paused" if isinstance(exc, Paused) else "Interrupted"
            err_console.print(f"[yellow]{word}.[/yellow]")
            sys.exit(exitcodes.exit_code_of(exc))
        except Exception as exc:
            if not is_tf_error(exc):
                raise
            err_console.print(  # a last line of defence: runs convert these earlier
                f"[bold red]Error:[/bold red] TensorFlow failed: {short_tf_message(exc)}. If "
                "it names an image, run 'imgclf data check' on your data.",
                highlight=False,
            )
            sys.exit(exitcodes.FAILED)


def silence_stdout() -> None:
    """After EPIPE: point stdout at os.devnull so Python's final flush of what is left
    in its buffer does not fail again (the recipe in Python's signal docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # CliRunner's stdout has no descriptor
        pass


@click.group(cls=ImgclfGroup)
@click.version_option(package_name="imgclf")
def cli() -> None:
    """imgclf: train, evaluate and report image classifiers, extended by plugins.

    Exit codes: 0 success, 1 finished with problems, 2 usage error, 3 imgclf error
    (settings, plugins, models), 4 data error, 75 paused at the time limit, 130
    interrupted, 141 output closed, 143 terminated. Settings also come from
    IMGCLF_<SETTING> environment variables.
    """
