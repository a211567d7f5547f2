"""Helpers the reporters share: atomic file writes, matplotlib on Agg, label fitting."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

PLOTS_DIR = "plots"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; a report is for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pyplot() -> Any:
    """``matplotlib.pyplot`` on the Agg backend (no display needed, thread-safe files)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig: Any, path: Path, dpi: int = 110) -> Path:
    """Save ``fig`` as a PNG (tight bounding box) atomically and close it."""
    plt = pyplot()
    buf = io.BytesIO()
    try:
        fig.savefig(
            buf,
            format="png",
            dpi=dpi,
            bbox_inches="tight",
            facecolor="white",
            metadata={"Software": None},  # no library URL inside the files
        )
    finally:
        plt.close(fig)
    atomic_write_bytes(path, buf.getvalue())
    return path


def shorten(text: str, width: int = 18) -> str:
    """``text`` cut to ``width`` characters with an ellipsis, for plot labels; a
    ``$`` is escaped so matplotlib never reads data as math."""
    text = str(text)
    text = text if len(text) <= width else text[: width - 1] + "\u2026"
    return text.replace("$", r"\$")


def fmt(value: Any, digits: int = 3) -> str:
    """A metric for display: ``n/a`` for None, else rounded."""
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"
