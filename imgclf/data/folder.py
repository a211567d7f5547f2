"""The ``folder`` loader: one subfolder per class, optionally inside split folders."""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path

from ..errors import DataError
from .records import LoadResult, Record

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".gif"})
SPLIT_NAMES = {
    "train": "train",
    "training": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "tune": "val",
    "dev": "val",
    "test": "test",
    "testing": "test",
}


def split_of(name: str) -> str | None:
    """The split a folder name stands for (any case; TUNE means validation)."""
    return SPLIT_NAMES.get(name.casefold())


def group_of(path: str, pattern: str | None) -> str | None:
    """Group from the file stem by a regex with one capture group; None if no match."""
    if not pattern:
        return None
    m = re.match(pattern, Path(path).stem)
    return m.group(1) if m else None


def _subdirs(path: Path) -> list[Path]:
    return sorted(Path(e.path) for e in os.scandir(path) if e.is_dir() and e.name[0] != ".")


def _images(folder: Path, skipped: Counter) -> list[str]:
    out = []
    for e in sorted(os.scandir(folder), key=lambda e: e.name):
        if not e.is_file() or e.name.startswith("."):
            continue
        if Path(e.name).suffix.lower() in IMAGE_SUFFIXES:
            out.append(e.path)
        else:
            skipped["not an image file"] += 1
    return out


def load_folder(
    source: Path, group_pattern: str | None = None, class_folders: str | None = None
) -> LoadResult:
    """Records from ``source/<class>/*`` or ``source/<split>/<class>/*``."""
    source = Path(source)
    if not source.is_dir():
        raise DataError(
            f"The folder loader needs a directory of class folders; {str(source)!r} is not one."
        )
    children = _subdirs(source)
    splits = [(split_of(c.name), c) for c in children if split_of(c.name)]
    roots = splits if splits else [(None, source)]
    result = LoadResult([])
    for split, root in roots:
        for class_dir in _subdirs(root):
            files = _images(class_dir, result.skipped)
            if not files:
                result.notes.append(f"class folder {str(class_dir)!r} holds no images")
            for f in files:
                result.records.append(
                    Record(f, class_dir.name, group_of(f, group_pattern), split, str(source))
                )
    if not result.records:
        raise DataError(
            f"No images found under {str(source)!r}. Expected one subfolder per class "
            "(optionally inside train/val/test folders) holding .jpg, .png or .bmp files."
        )
    return result


def detect_folder(source: Path) -> bool:
    return Path(source).is_dir()
