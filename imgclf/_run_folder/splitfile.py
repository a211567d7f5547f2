"""``splits.csv``: which image went to which split, kept in the run folder.

Export needs the run's training images (int8 calibration) and test images
(the accuracy of the exported model); the run folder keeps the list so they
can be found again without re-reading and re-splitting the data.

Paths are written absolute (resolved when the run starts), so the file is read
the same from any working directory. Run folders written before that hold the
paths as given on the command line (``../data/...``): those are resolved against
``root`` when the caller has one, else the current directory.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from .._data.records import Record
from .._files import write_csv
from ..errors import DataError


def absolute(path: str | Path) -> str:
    """``path`` made absolute against the current directory (symlinks kept as given)."""
    return os.path.abspath(os.fspath(path))


def resolve_path(path: str, root: str | Path | None = None) -> str:
    """A path read from a run folder: as it is when absolute, else joined to ``root``
    (the current directory when None)."""
    if not path or os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(os.fspath(root), path)) if root else absolute(path)


def write_splits(run_dir: Path, splits: Mapping[str, Sequence[Record]]) -> None:
    rows = (
        (name, absolute(r.path), r.label or "", r.source)
        for name, part in splits.items()
        for r in part
    )
    write_csv(Path(run_dir) / "splits.csv", ["split", "path", "label", "source"], rows)


def read_splits(
    run_dir: Path, root: str | Path | None = None, resolve: bool = True
) -> dict[str, list[Record]]:
    """split -> records (path, label) from ``run_dir/splits.csv``; relative paths (older
    run folders) resolved against ``root``, else the current directory (``resolve=False``:
    the paths as recorded)."""
    path = Path(run_dir) / "splits.csv"
    if not path.is_file():
        raise DataError(
            f"{run_dir} has no splits.csv (runs of imgclf 0.1 did not write it): "
            "re-run the training to get one."
        )
    out: dict[str, list[Record]] = {}
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["split"], []).append(
                Record(
                    resolve_path(row["path"], root) if resolve else row["path"],
                    row["label"] or None,
                    split=row["split"],
                    source=row.get("source") or "",
                )
            )
    return out
