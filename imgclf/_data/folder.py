"""The ``folder`` loader: one subfolder per class, optionally inside split folders."""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from pathlib import Path

from ..errors import ConfigError, DataError
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
    m = group_regex(pattern).match(Path(path).stem)
    return m.group(1) if m else None


@functools.lru_cache(maxsize=32)
def group_regex(pattern: str) -> re.Pattern:
    """``loader.group_pattern`` compiled, or a ConfigError saying what is wrong with it."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"loader.group_pattern {pattern!r} is not a valid regular expression ({exc}). "
            r"Example: --set 'loader.group_pattern=(.+)_\d+$' (the group is the person)."
        ) from None
    if regex.groups < 1:
        raise ConfigError(
            f"loader.group_pattern {pattern!r} has no capture group; the first group "
            r"(...) names the group. Example: --set 'loader.group_pattern=(.+)_\d+$'."
        )
    return regex


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


def _has_images(folder: Path) -> bool:
    return any(
        e.is_file() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES for e in os.scandir(folder)
    )


def class_roots(source: Path) -> list[tuple[str | None, Path, list[Path]]]:
    """(split, root, class folders) for the layouts the folder loader understands.

    ``source/<class>/``, ``source/<split>/<class>/``, the same inside one wrapper
    folder (``source/<wrapper>/<split>/<class>/``, as Kaggle zips are), or a leaf
    folder of images, which is one class named after the folder.
    """
    children = _subdirs(source)
    if not children and _has_images(source):
        return [(None, source.parent, [source])]
    if len(children) == 1 and not split_of(children[0].name) and not _has_images(source):
        inner = _subdirs(children[0])
        if inner and any(split_of(c.name) for c in inner):
            return class_roots(children[0])
    splits = [(split_of(c.name), c) for c in children if split_of(c.name)]
    return [(split, root, _subdirs(root)) for split, root in (splits or [(None, source)])]


def load_folder(source: Path, group_pattern: str | None = None) -> LoadResult:
    """Records from one of the layouts of :func:`class_roots`."""
    source = Path(source)
    if not source.is_dir():
        raise DataError(
            f"The folder loader needs a directory of class folders; {str(source)!r} is not one."
        )
    result = LoadResult([])
    for split, _root, class_dirs in class_roots(source):
        for class_dir in class_dirs:
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
