"""The exit codes of ``imgclf``, in one place (the table in docs/index.md shows them).

A script can tell "you typed it wrong" (2) from "the settings or model are wrong" (3)
from "the data is wrong" (4) from "stopped" (130, 143) from "paused at its time limit,
continue with --resume" (75) without reading messages.
"""

from __future__ import annotations

from .._run_folder.state import Paused, Terminated
from ..errors import DataError, ImgclfError

OK = 0
#: The command finished and found problems: ``data check`` found errors, ``predict``
#: skipped unreadable files; also a TensorFlow failure and an unexpected error.
FAILED = 1
#: A usage error click reports: unknown command or flag, a flag value of the wrong type.
USAGE = 2
#: An imgclf error: a bad setting, TOML file, plugin name or model (ConfigError,
#: PluginError, ModelError, and any other ImgclfError).
ERROR = 3
#: A data error (DataError): missing or unreadable data, labels that map to no class,
#: empty or leaking splits.
DATA = 4
#: A run stopped at its ``time_limit`` after a completed epoch: continue it with
#: ``--resume`` (EX_TEMPFAIL of sysexits.h: "try again later").
PAUSED = 75
#: Ctrl-C (128 + SIGINT).
INTERRUPTED = 130
#: The reader of stdout went away (``imgclf list | head -1``): 128 + SIGPIPE, what a
#: program stopped by SIGPIPE reports; nothing is printed.
BROKEN_PIPE = 141
#: SIGTERM (128 + SIGTERM): the run stopped cleanly and can be resumed.
TERMINATED = 143


def exit_code_of(exc: BaseException) -> int:
    """The code the CLI exits with for an ImgclfError or an interruption."""
    if isinstance(exc, DataError):
        return DATA
    if isinstance(exc, ImgclfError):
        return ERROR
    if isinstance(exc, Paused):
        return PAUSED
    if isinstance(exc, Terminated):
        return TERMINATED
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    return FAILED
