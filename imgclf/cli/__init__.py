"""The ``imgclf`` command. Each command lives in its own module and only calls the API.

Errors are turned into messages here, once: an ImgclfError prints one line and
exits with its code; nothing from inside TensorFlow reaches the user for a
mistake of theirs.
"""

from __future__ import annotations

import os
import sys

import click
from rich.console import Console

from ..errors import ImgclfError
from ..runs.state import is_tf_error, short_tf_message

err_console = Console(stderr=True)


class ImgclfGroup(click.Group):
    """A click group that renders ImgclfError as a clean message."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ImgclfError as exc:
            err_console.print(f"[bold red]Error:[/bold red] {exc}", highlight=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:  # Ctrl-C (130) or SIGTERM (143)
            err_console.print("[yellow]Interrupted.[/yellow]")
            sys.exit(getattr(exc, "exit_code", 130))
        except Exception as exc:
            if not is_tf_error(exc):
                raise
            err_console.print(  # a last line of defence: runs convert these earlier
                f"[bold red]Error:[/bold red] TensorFlow failed: {short_tf_message(exc)}. If "
                "it names an image, run 'imgclf data check' on your data.",
                highlight=False,
            )
            sys.exit(1)


@click.group(cls=ImgclfGroup)
@click.version_option(package_name="imgclf")
def cli() -> None:
    """imgclf: train, evaluate and report image classifiers, extended by plugins."""


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    cli()


from . import data as _data  # noqa: E402,F401
from . import evaluate as _evaluate  # noqa: E402,F401
from . import export as _export  # noqa: E402,F401
from . import list as _list  # noqa: E402,F401  (registers commands)
from . import predict as _predict  # noqa: E402,F401
from . import report as _report  # noqa: E402,F401
from . import run as _run  # noqa: E402,F401
