"""Loading a saved Keras model, with Keras safe mode on and imgclf's own layers registered."""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .._tfquiet import import_tensorflow_quietly
from ..errors import ModelError

if TYPE_CHECKING:
    import keras

_UNSAFE = contextvars.ContextVar("imgclf_unsafe_load", default=False)


def load_model(path: str | Path, unsafe: bool | None = None) -> keras.Model:
    """Load a ``model.keras`` file or a run folder's model, with Keras safe mode on.

    Safe mode refuses layers that carry Python code (``Lambda``): loading them runs
    that code. ``unsafe=True`` (``--unsafe``) is the explicit opt-in for trusted files;
    ``None`` follows the enclosing ``evaluate(..., unsafe=...)``.
    """
    import_tensorflow_quietly()
    import keras

    from . import affine, layers  # noqa: F401  (registers imgclf's layers for loading)

    unsafe = _UNSAFE.get() if unsafe is None else unsafe
    p = Path(path)
    if p.is_dir():
        p = p / "model.keras"
    if not p.is_file():
        raise ModelError(f"No model at {str(path)!r}: give a .keras file or a run folder.")
    try:
        return keras.saving.load_model(p, safe_mode=not unsafe)
    except Exception as exc:
        if "safe_mode" in str(exc):
            raise ModelError(
                f"Model {str(p)!r} holds a layer with Python code (a Lambda layer); loading "
                "it would run that code, so it is refused. If you trust where the file comes "
                "from, opt in with --unsafe (Python: imgclf.load_model(path, unsafe=True))."
            ) from None
        missing = missing_layer(str(exc))
        if missing:
            raise ModelError(
                f"Model {str(p)!r} holds a layer {missing[1]!r} that no imported package "
                f"registers{f' (it comes from {missing[0]!r})' if missing[0] else ''}. "
                "Install the plugin that trained it (its task's plugin, see the run's "
                "config.json) and try again."
            ) from None
        raise ModelError(f"Cannot load model {str(p)!r}: {exc}") from None


def missing_layer(message: str) -> tuple[str | None, str] | None:
    """(package or None, class name) of the layer Keras could not find, from its
    "Could not locate class" message; None for any other error."""
    found = re.search(r"Could not locate class '([^']+)'", message)
    if not found:
        return None
    registered = re.search(r"'registered_name': '([^'>]+)>([^']+)'", message)
    return (registered.group(1), registered.group(2)) if registered else (None, found.group(1))


@contextlib.contextmanager
def unsafe_loading(unsafe: bool) -> Iterator[None]:
    """``load_model(path)`` calls inside follow ``unsafe`` (``evaluate(..., unsafe=...)``)."""
    token = _UNSAFE.set(unsafe)
    try:
        yield
    finally:
        _UNSAFE.reset(token)
