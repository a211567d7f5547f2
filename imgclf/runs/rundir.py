"""Run folders and atomic writes: a finished artifact is never half-written."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import ConfigError


def atomic_write_text(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename over it."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; artifacts are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_json(path: Path, data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, default=str) + "\n")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    import io

    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def new_timestamped_dir(base: Path, what: str = "run") -> Path:
    """``base/<timestamp>/``, made unique if two start in the same second."""
    base = Path(base)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        base.mkdir(parents=True, exist_ok=True)
        for i in range(1000):
            path = base / (stamp if i == 0 else f"{stamp}-{i}")
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue
    except OSError as exc:
        raise ConfigError(
            f"Cannot create the {what} folder under {str(base)!r}: {exc.strerror}. "
            "Pick a writable folder with --output."
        ) from None
    raise ConfigError(f"Too many {what}s started at {stamp} under {base}.")


def new_run_dir(output: str | Path, task: str, model: str) -> Path:
    """``output/<task>/<model>/<timestamp>/``."""
    return new_timestamped_dir(Path(output) / task / model)
