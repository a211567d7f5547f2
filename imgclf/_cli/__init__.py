"""The ``imgclf`` command. Each command lives in its own module and only calls the API.

Errors are turned into messages here, once: an ImgclfError prints one line and
exits with its code; nothing from inside TensorFlow reaches the user for a
mistake of theirs.
"""

from __future__ import annotations

import os

from . import data as _data  # noqa: F401  (each command module registers its command)
from . import evaluate as _evaluate  # noqa: F401
from . import export as _export  # noqa: F401
from . import list as _list  # noqa: F401
from . import predict as _predict  # noqa: F401
from . import report as _report  # noqa: F401
from . import run as _run  # noqa: F401
from .group import cli as cli
from .group import err_console as err_console


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    cli()
