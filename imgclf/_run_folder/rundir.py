"""Run folders: a new timestamped folder per run or evaluation (writes: ``imgclf._files``)."""

from __future__ import annotations

import re
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
    keeps the name as given); a ``hub:`` preset that is a path or URL under its last
    part (``hub:/data/presets/resnet`` -> ``hub-resnet``), never inside the path."""
    return new_timestamped_dir(Path(output) / folder_name(task) / folder_name(model))


def folder_name(name: str) -> str:
    """One safe path component for a task or model name."""
    prefix, _, rest = name.partition(":")
    if prefix == "hub" and rest:
        parts = [part for part in re.split(r"[/\\:]+", rest) if part]
        named = [part for part in parts if not part.isdigit()] or parts  # not a version
        return "hub-" + re.sub(r"[^\w.-]", "_", named[-1] if named else "preset")
    return re.sub(r"[^\w.-]", "_", name.rpartition(":")[2]) or "model"
