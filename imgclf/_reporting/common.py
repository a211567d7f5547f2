"""Helpers the reporters share: matplotlib on Agg, saving figures, label fitting."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from .._files import atomic_write_bytes

PLOTS_DIR = "plots"


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
