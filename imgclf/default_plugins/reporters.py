"""Built-in reporters."""

from ..hookspecs import hookimpl
from ..reporting.console import report_console


@hookimpl
def register_reporters(register):
    register("console", report_console)
