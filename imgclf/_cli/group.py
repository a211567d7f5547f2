"""The ``imgclf`` click group: ImgclfError (and TensorFlow's errors) become one clean message."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape

from .._run_folder.state import is_tf_error, short_tf_message
from ..errors import ImgclfError

err_console = Console(stderr=True)


class ImgclfGroup(click.Group):
    """A click group that renders ImgclfError as a clean message."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ImgclfError as exc:
            # escaped: a message's brackets (pip install "imgclf[onnx]", paths) are text
            err_console.print(f"[bold red]Error:[/bold red] {escape(str(exc))}", highlight=False)
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
