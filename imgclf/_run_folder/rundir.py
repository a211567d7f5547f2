"""Run folders: a new timestamped folder per run or evaluation (writes: ``imgclf._files``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..errors import ConfigError


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
    """``output/<task>/<model>/<timestamp>/``; a qualified name (``face_emotion:alexnet``)
    files under its bare name, since ``:`` is not allowed in Windows paths (config.json
    keeps the name as given)."""
    bare = lambda name: name.rpartition(":")[2]  # noqa: E731
    return new_timestamped_dir(Path(output) / bare(task) / bare(model))
