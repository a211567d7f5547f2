"""imgclf's logger, and the console a library call gets when it is given none.

Library code prints nothing unless asked: a run's report goes to the rich
``console`` the caller passes (the CLI passes its own); called from Python without
one, output goes nowhere. Notes and warnings (images skipped, a confounded data
set, a reporter that failed) also go to the ``imgclf`` logger (children such as
``imgclf.data`` are fine), which has a ``NullHandler``: they show once the caller
configures logging (``logging.basicConfig()``), and never twice in the CLI.
"""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console
from rich.markup import escape

logger = logging.getLogger("imgclf")
logger.addHandler(logging.NullHandler())


def console_or_quiet(console: Console | None) -> Console:
    """``console``, or one that prints nothing (``console=None`` in the API)."""
    return console if console is not None else Console(quiet=True)


def tell(
    console: Any,
    tag: str,
    message: str,
    level: int = logging.INFO,
    style: str = "yellow",
    highlight: bool | None = None,
) -> None:
    """``tag: message`` on ``console`` (when there is one) as the CLI shows it, and the
    same line to the ``imgclf`` logger at ``level``."""
    if console is not None:
        extra = {} if highlight is None else {"highlight": highlight}
        console.print(f"[{style}]{tag}:[/{style}] {escape(message)}", **extra)
    logger.log(level, "%s: %s", tag, message)


def note(console: Any, message: str) -> None:
    """A note (INFO): something the user may want to know; nothing went wrong."""
    tell(console, "note", message)


def warn(console: Any, message: str, tag: str = "warning") -> None:
    """A warning (WARNING): something was left out or may mislead."""
    tell(console, tag, message, logging.WARNING)
