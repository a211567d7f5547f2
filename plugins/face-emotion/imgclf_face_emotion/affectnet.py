"""The ``affectnet`` loader: AffectNet's ``training.csv`` / ``validation.csv``.

Columns: ``subDirectory_filePath, face_x, face_y, face_width, face_height,
facial_landmarks, expression, valence, arousal``; image paths are relative to the
images root (``Manually_Annotated_Images``). Expression codes 0-7 are the eight
classes; 8-10 (None, Uncertain, No-Face) are left out and counted. Valence and
arousal lie in [-1, 1]; -2 marks "no value": such rows keep their class but carry
no targets, so a ``--head va`` run leaves them out (and counts them). Each image
is cropped to its face box, clamped to the image, before it is resized.

AffectNet publishes no test labels: its validation file is the test split here,
and the validation split for early stopping is carved from training.
"""

from __future__ import annotations

import csv
from pathlib import Path

from imgclf import DataError, LoadResult, Record

EXPRESSIONS = ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt")
LEFT_OUT = {8: "None", 9: "Uncertain", 10: "No-Face"}
BOX = ("face_x", "face_y", "face_width", "face_height")
REQUIRED = ("subDirectory_filePath", *BOX, "expression", "valence", "arousal")
FILES = {"training.csv": "train", "validation.csv": "test"}
IMAGES_DIR = "Manually_Annotated_Images"
NO_VALUE = -2.0


def header_of(path: Path) -> list[str]:
    """The first row of a CSV file, stripped (empty when unreadable)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            return [h.strip() for h in next(csv.reader(fh), [])]
    except (OSError, UnicodeDecodeError):
        return []


def csv_files(source: Path) -> list[tuple[Path, str | None]]:
    """(CSV, split) pairs: a folder's training.csv (train) and validation.csv (test),
    or one CSV, whose split follows its name (else the run carves it)."""
    if source.is_dir():
        found = [(source / n, s) for n, s in FILES.items() if (source / n).is_file()]
        if not found:
            raise DataError(
                f"{source} holds neither training.csv nor validation.csv; give AffectNet's "
                "folder with those files, or one of the CSV files."
            )
        return found
    name = source.name.casefold()
    split = "test" if "validation" in name else "train" if "training" in name else None
    return [(source, split)]


def find_images_root(source: Path, given: str | None) -> Path:
    """``images_root`` if given, else ``Manually_Annotated_Images`` beside the CSVs, else
    the folder of the CSVs."""
    if given:
        root = Path(given)
        if not root.is_dir():
            raise DataError(f"images_root {given!r} is not a directory.")
        return root
    base = source if source.is_dir() else source.parent
    return base / IMAGES_DIR if (base / IMAGES_DIR).is_dir() else base


def number(row: dict[str, str], column: str, where: str) -> float:
    """The float in ``column``, or a DataError naming the file, line, column and value."""
    value = (row.get(column) or "").strip()
    try:
        return float(value)
    except ValueError:
        raise DataError(f"{where}: column {column!r} holds {value!r}, not a number.") from None


def parse_box(row: dict[str, str], where: str) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the face; width and height must be positive."""
    x, y, w, h = (int(round(number(row, c, where))) for c in BOX)
    if w <= 0 or h <= 0:
        raise DataError(f"{where}: the face box {w}x{h} is empty; width and height must be > 0.")
    return x, y, w, h


def parse_targets(row: dict[str, str], where: str) -> tuple[float, float] | None:
    """(valence, arousal), or None when either is -2 (AffectNet's "no value")."""
    values = [number(row, c, where) for c in ("valence", "arousal")]
    if NO_VALUE in values:
        return None
    for column, v in zip(("valence", "arousal"), values):
        if not -1.0 <= v <= 1.0:
            raise DataError(f"{where}: {column} {v} lies outside [-1, 1] (or -2 for none).")
    return values[0], values[1]


def expression_of(row: dict[str, str], where: str) -> int:
    """The expression code 0-10."""
    value = (row.get("expression") or "").strip()
    try:
        code = int(value)
    except ValueError:
        code = -1
    if not 0 <= code <= 10:
        raise DataError(f"{where}: expression {value!r} is not a code 0-10.")
    return code


def read_file(path: Path, split: str | None, root: Path, result: LoadResult) -> None:
    """Append the usable rows of one AffectNet CSV to ``result``."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise DataError(
                f"{path} lacks the AffectNet column(s) {', '.join(missing)}; columns: "
                f"{', '.join(header) or 'none'}."
            )
        no_value = 0
        for line, raw in enumerate(reader, start=2):
            row = {k.strip(): v for k, v in raw.items() if isinstance(k, str)}
            where = f"{path}, line {line}"
            code = expression_of(row, where)
            if code in LEFT_OUT:
                result.skipped[f"expression {code} ({LEFT_OUT[code]})"] += 1
                continue
            box, targets = parse_box(row, where), parse_targets(row, where)
            image = root / row["subDirectory_filePath"].strip()
            if not image.is_file():
                result.skipped["missing file"] += 1
                continue
            no_value += targets is None
            result.records.append(
                Record(str(image), EXPRESSIONS[code], None, split, str(path), box, targets)
            )
    if no_value:
        result.notes.append(
            f"{path}: {no_value} row(s) have no valence/arousal (-2); they count for the "
            "classes and are left out of a --head va run"
        )


def load_affectnet(source: Path, images_root: str | None = None) -> LoadResult:
    """Records of AffectNet CSV files (a folder holding them, or one file)."""
    source = Path(source)
    result = LoadResult([])
    root = find_images_root(source, images_root)
    for path, split in csv_files(source):
        read_file(path, split, root, result)
    if result.skipped.get("missing file"):
        result.notes.append(
            f"{result.skipped['missing file']} AffectNet row(s) name an image that is not "
            f"under {str(root)!r} (set the folder with --set loader.images_root=DIR)"
        )
    if not result.records:
        raise DataError(f"{source}: no usable AffectNet rows ({dict(result.skipped) or 'empty'}).")
    return result


def detect_affectnet(source: Path) -> bool:
    """A CSV (or a folder of them) whose header is AffectNet's."""
    source = Path(source)
    files = [source / n for n in FILES] if source.is_dir() else [source]
    return any(
        p.suffix.casefold() == ".csv" and p.is_file() and "subDirectory_filePath" in header_of(p)
        for p in files
    )
