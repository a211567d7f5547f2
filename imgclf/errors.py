"""The one exception tree of imgclf.

Every error a user can cause is an ``ImgclfError``; the CLI turns it into a
one-line message and an exit code in one place (``imgclf/_cli/exitcodes.py``: 4 for
a DataError, 3 for the others)::

    ImgclfError
    ├── ConfigError   bad option, flag, --set or TOML value
    ├── DataError     missing/unreadable data, labels that map to no class
    ├── PluginError   unknown or clashing names, broken plugins
    └── ModelError    a model that cannot be built, loaded or saved

Messages state the rule, echo the received value and say what to do.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ImgclfError(Exception):
    """Base class: a problem the user can fix; shown without a traceback."""


class ConfigError(ImgclfError):
    """An option, flag or config file value is invalid."""


class DataError(ImgclfError):
    """The data set cannot be used as given."""


class PluginError(ImgclfError):
    """A plugin or registered name is missing, clashing or broken."""


class ModelError(ImgclfError):
    """A model cannot be built, loaded or saved."""


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean X?' for the closest choice, or ''."""
    matches = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean {matches[0]!r}?" if matches else ""
