"""``splits.csv``: which image went to which split, kept in the run folder.

Export needs the run's training images (int8 calibration) and test images
(the accuracy of the exported model); the run folder keeps the list so they
can be found again without re-reading and re-splitting the data.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from ..data.records import Record
from ..errors import DataError
from ..files import write_csv


def write_splits(run_dir: Path, splits: Mapping[str, Sequence[Record]]) -> None:
    rows = ((name, r.path, r.label or "") for name, part in splits.items() for r in part)
    write_csv(Path(run_dir) / "splits.csv", ["split", "path", "label"], rows)


def read_splits(run_dir: Path) -> dict[str, list[Record]]:
    """split -> records (path, label) from ``run_dir/splits.csv``."""
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
                Record(row["path"], row["label"] or None, split=row["split"])
            )
    return out
