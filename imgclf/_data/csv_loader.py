"""The ``csv`` loader: a table naming image files and their labels."""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from pathlib import Path

from ..errors import DataError, did_you_mean
from .folder import IMAGE_SUFFIXES, group_of
from .records import LoadResult, Record

IMAGE_COLUMNS = ("image", "path", "file", "filename", "image_path", "imagename", "filepath")
LABEL_COLUMNS = ("label", "emotion", "class", "expression", "category", "target")


def read_csv_rows(path: Path, notes: list[str]) -> tuple[list[str], list[dict[str, str]]]:
    """Header and rows; UTF-8 first, then latin-1 with a note."""
    raw = Path(path).read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        notes.append(f"{path} is not UTF-8; read it as latin-1")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows = list(reader)
    header = [h.strip() for h in (reader.fieldnames or [])]
    rows = [  # a row longer than the header puts its extra cells under the key None
        {k.strip(): (v or "").strip() for k, v in r.items() if isinstance(k, str)} for r in rows
    ]
    return header, rows


def pick_column(
    header: list[str], wanted: str | None, guesses: tuple[str, ...], what: str, path: Path
) -> str:
    """The column named ``wanted``, else the first of ``guesses`` present."""
    lower = {h.casefold(): h for h in header}
    if wanted:
        if wanted.casefold() in lower:
            return lower[wanted.casefold()]
        raise DataError(
            f"{path} has no {what} column {wanted!r}.{did_you_mean(wanted, header)} "
            f"Columns: {', '.join(header)}."
        )
    for g in guesses:
        if g in lower:
            return lower[g]
    raise DataError(
        f"{path} has no {what} column (looked for {', '.join(guesses)}); columns: "
        f"{', '.join(header)}. Name it with --set loader.{what}_column=NAME."
    )


def _base_dir(csv_path: Path, names: list[str], images_root: str | None) -> Path:
    if images_root:
        root = Path(images_root)
        if not root.is_dir():
            raise DataError(f"images_root {images_root!r} is not a directory.")
        return root
    here = csv_path.parent
    candidates = [here, here.parent, here / "images", here.parent / "images"]
    sample = names[:50]
    best = max(candidates, key=lambda b: sum((b / n).is_file() for n in sample))
    return best


def _resolve(base: Path, name: str, csv_path: Path) -> Path:
    p = (base / name).resolve()
    root = base.resolve()
    if p != root and root not in p.parents:
        raise DataError(
            f"{csv_path}: image path {name!r} points outside the data root {str(root)!r}. "
            "Paths in the CSV must be relative to the CSV or to --set loader.images_root."
        )
    return p


def load_csv(
    source: Path,
    image_column: str | None = None,
    label_column: str | None = None,
    group_column: str | None = None,
    group_pattern: str | None = None,
    images_root: str | None = None,
) -> LoadResult:
    """Records from a CSV; duplicate rows, conflicts and missing files are counted."""
    source = Path(source)
    if not source.is_file():
        raise DataError(f"CSV file {str(source)!r} does not exist.")
    result = LoadResult([])
    header, rows = read_csv_rows(source, result.notes)
    img_col = pick_column(header, image_column, IMAGE_COLUMNS, "image", source)
    lab_col = pick_column(header, label_column, LABEL_COLUMNS, "label", source)
    grp_col = pick_column(header, group_column, (), "group", source) if group_column else None
    base = _base_dir(source, [r.get(img_col, "") for r in rows], images_root)
    labels: dict[str, set[str]] = defaultdict(set)
    first: dict[str, dict[str, str]] = {}
    missing: list[str] = []
    for row in rows:
        name, label = row.get(img_col, ""), row.get(lab_col, "")
        if not name or not label:
            result.skipped["row without image or label"] += 1
            continue
        if name in labels:
            result.skipped["duplicate row"] += 1
        labels[name].add(label.casefold())
        first.setdefault(name, row)
    for name, row in first.items():
        if len(labels[name]) > 1:
            result.skipped["image with conflicting labels"] += 1
            continue
        path = _resolve(base, name, source)
        if not path.is_file():
            result.skipped["missing file"] += 1
            missing.append(name)
            continue
        group = row.get(grp_col) if grp_col else group_of(name, group_pattern)
        result.records.append(Record(str(path), row[lab_col], group, None, str(source)))
    listed = {Path(r.path).name for r in result.records} | set(first)
    unlabelled = sum(
        1
        for e in os.scandir(base)
        if e.is_file() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES and e.name not in listed
    )
    if unlabelled:
        result.skipped["image without a label row"] = unlabelled
    if missing:
        shown = ", ".join(repr(m) for m in missing[:5]) + (", ..." if len(missing) > 5 else "")
        result.notes.append(
            f"{source}: {len(missing)} row(s) name a file that is not in {str(base)!r}: {shown}"
        )
    if not result.records:
        why = dict(result.skipped) or "the file is empty"
        raise DataError(f"{source}: no usable rows ({why}).")
    return result


def detect_csv(source: Path) -> bool:
    return Path(source).suffix.lower() == ".csv"
