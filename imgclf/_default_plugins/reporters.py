"""Built-in reporters: console, plots, json, html (see docs/reports.md)."""

from .._hookspecs import hookimpl
from .._reporting.json import report_json
from .._reporting.reporters import report_console, report_html, report_plots


@hookimpl
def register_reporters(register):
    register("console", report_console)
    register("plots", report_plots)
    register("json", report_json)
    register("html", report_html)
