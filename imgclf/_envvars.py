"""``IMGCLF_<SETTING>`` environment variables: the layer between ``--config`` and flags.

It only reads the environment; ``_config`` parses and applies what it finds, as it
does for a ``--config`` file or ``--set``.
"""

from __future__ import annotations

import difflib
import os

from .errors import ConfigError

#: ``IMGCLF_<SETTING>`` sets a setting (``IMGCLF_EPOCHS=3``), parsed like ``--set``.
ENV_PREFIX = "IMGCLF_"
#: ``IMGCLF_`` variables that are not settings; each is read where it acts.
NOT_SETTINGS = frozenset(
    ENV_PREFIX + name
    for name in ("AUTO_PRECISION", "CACHE_DIR", "LOAD_PLUGINS", "SHARED_DATA", "TEST_DATA",
                 "TF_LOGS", "TRACE_PLUGINS", "UPDATE_DOCS")
)  # fmt: skip


def env_name(key: str) -> str:
    """The environment variable of a setting: ``batch_size`` -> ``IMGCLF_BATCH_SIZE``."""
    return ENV_PREFIX + key.upper()


def environment_settings(keys: list[str]) -> dict[str, str]:
    """{setting: value} of the ``IMGCLF_<SETTING>`` variables set for keys; an empty
    variable is unset. Parsing the values is ``_config``'s job, like ``--set``'s."""
    values = {key: os.environ.get(env_name(key), "").strip() for key in keys}
    return {key: value for key, value in values.items() if value}


def check_environment(settable: list[str], fields: list[str]) -> None:
    """An ``IMGCLF_`` variable one typo away from a setting (``IMGCLF_EPOCH``) is an
    error rather than silently ignored; other ``IMGCLF_`` variables are left alone."""
    names = {env_name(n): n for n in settable}
    for var in sorted(os.environ):
        if not var.startswith(ENV_PREFIX) or var in names or var in NOT_SETTINGS:
            continue
        key = var[len(ENV_PREFIX) :].lower()
        close = difflib.get_close_matches(key, list(names.values()), n=1, cutoff=0.8)
        if close and key not in fields:
            raise ConfigError(
                f"Environment variable {var} is not a setting; did you mean "
                f"{env_name(close[0])}? Rename or unset it."
            )
