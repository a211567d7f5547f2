"""The ``fer2013-csv`` loader: the original ``fer2013.csv``, optionally with FER+ labels.

``fer2013.csv`` has the columns ``emotion, pixels, Usage``: a code 0-6 (Angry,
Disgust, Fear, Happy, Sad, Surprise, Neutral), 48x48 gray pixels as 2304
space-separated numbers, and Training / PublicTest / PrivateTest (train / val /
test; without a Usage column the run carves the splits). The pipeline reads
files, so the pixels are written once as PNG files ``fer0000000.png``... (row
order, FER+'s names) into the imgclf cache folder, keyed by the CSV's content.

FER+ (``--set loader.ferplus=fer2013new.csv``) replaces the labels by the
majority of ten annotators. ``fer2013new.csv`` has ``Usage, Image name`` and ten
vote counts (neutral, happiness, surprise, sadness, anger, disgust, fear,
contempt, unknown, NF); a per-folder ``label.csv`` (no header: image name and the
ten counts, optionally a face box between them, as FERPlus ships it) works too,
its split then taken from fer2013.csv. The majority rule is that of Microsoft's
FER+ reader (``votes.ferplus_label``); images without a majority, or whose
majority is unknown or NF (not a face), are left out and counted, as the
``ferplus`` folder loader does. Rows without an image name (removed by FER+) are
counted.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

from imgclf import DataError, LoadResult, Record, cached_folder, file_digest

from .votes import majority, parse_row

EMOTIONS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
USAGE = {"training": "train", "publictest": "val", "privatetest": "test"}
SIDE = 48
NAME = re.compile(r"^fer(\d+)\.png$", re.IGNORECASE)


def rows_of(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row with stripped keys) of a CSV; a DataError when a column
    of fer2013.csv is missing."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in ("emotion", "pixels") if c not in header]
        if missing:
            raise DataError(
                f"{path} lacks the fer2013.csv column(s) {', '.join(missing)}; columns: "
                f"{', '.join(header) or 'none'}."
            )
        for line, raw in enumerate(reader, start=2):
            yield line, {k.strip(): (v or "").strip() for k, v in raw.items() if isinstance(k, str)}


def pixels_of(text: str, where: str):
    """The 48x48 uint8 image of a pixel string, or a DataError saying what is wrong."""
    import numpy as np

    values = text.split()
    if len(values) != SIDE * SIDE:
        raise DataError(
            f"{where}: the pixels string holds {len(values)} values; a 48x48 image needs "
            f"{SIDE * SIDE}."
        )
    try:
        arr = np.array(values, dtype="int32")
    except ValueError:
        raise DataError(f"{where}: the pixels string holds a value that is not a number.") from None
    if arr.min() < 0 or arr.max() > 255:
        raise DataError(f"{where}: pixel values must lie in 0-255; found {arr.min()}-{arr.max()}.")
    return arr.astype("uint8").reshape(SIDE, SIDE)


def write_images(source: Path, folder: Path) -> None:
    """One PNG per row of ``source``: ``folder/fer<row, 7 digits>.png``."""
    import cv2

    for i, (line, row) in enumerate(rows_of(source)):
        img = pixels_of(row["pixels"], f"{source}, line {line}")
        if not cv2.imwrite(str(folder / f"fer{i:07d}.png"), img):
            raise DataError(f"Cannot write {folder / f'fer{i:07d}.png'}; is the disk full?")


def split_of(usage: str, where: str) -> str | None:
    """train / val / test for a Usage value ('' when the file has no Usage column)."""
    if not usage:
        return None
    try:
        return USAGE[usage.casefold()]
    except KeyError:
        raise DataError(
            f"{where}: Usage {usage!r} is not Training, PublicTest or PrivateTest."
        ) from None


def read_ferplus(path: Path, n_images: int) -> Iterator[tuple[int, str, str, list[int]]]:
    """(image row, Usage or '', image name, ten votes) per FER+ row with an image;
    rows without a name are yielded with row -1."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    has_header = bool(rows) and rows[0] and rows[0][0].strip().casefold() == "usage"
    for line, row in enumerate(rows[1:] if has_header else rows, start=2 if has_header else 1):
        cells = [c.strip() for c in row]
        usage, cells = (cells[0], cells[1:]) if has_header else ("", cells)
        where = f"{path}, line {line}"
        name, _, votes = parse_row(cells, where)  # FER2013's faces fill the image: no box
        if not name:
            yield -1, usage, "", votes
            continue
        match = NAME.match(name)
        if not match or int(match.group(1)) >= n_images:
            raise DataError(
                f"{where}: image name {name!r} names no row of fer2013.csv (expected "
                f"fer0000000.png ... fer{n_images - 1:07d}.png)."
            )
        yield int(match.group(1)), usage, name, votes


def ferplus_labels(path: Path, usages: list[str], result: LoadResult) -> dict[int, tuple[str, str]]:
    """row -> (FER+ label, Usage); left-out rows are counted in ``result.skipped``."""
    if not Path(path).is_file():
        raise DataError(f"FER+ label file {str(path)!r} (loader.ferplus) does not exist.")
    out, rows = {}, 0
    for row, usage, _, votes in read_ferplus(Path(path), len(usages)):
        rows += 1
        if row < 0:
            result.skipped["FER+ row without an image"] += 1
            continue
        label = majority(votes, result.skipped)
        if label is not None:
            out[row] = (label, usage or usages[row])
    if len(usages) > rows:
        result.skipped["fer2013.csv row without a FER+ row"] += len(usages) - rows
    return out


def emotion_of(code: str, where: str) -> str:
    try:
        return EMOTIONS[int(code)]
    except (ValueError, IndexError):
        raise DataError(f"{where}: emotion {code!r} is not a code 0-6.") from None


def load_fer2013_csv(source: Path, ferplus: str | None = None) -> LoadResult:
    """Records of ``fer2013.csv`` (labels from FER+ when ``ferplus`` names its file)."""
    source = Path(source)
    if not source.is_file():
        raise DataError(f"{source} is not a file; give fer2013.csv itself.")
    usages, emotions = [], []
    for line, row in rows_of(source):
        where = f"{source}, line {line}"
        usages.append(row.get("Usage", ""))
        split_of(usages[-1], where)
        emotions.append(row["emotion"] if ferplus else emotion_of(row["emotion"], where))
    folder = cached_folder(
        "fer2013-csv", file_digest(source)[:24], lambda d: write_images(source, d)
    )
    result = LoadResult([])
    labels = (
        ferplus_labels(Path(ferplus), usages, result)
        if ferplus
        else {i: (e, u) for i, (e, u) in enumerate(zip(emotions, usages))}
    )
    for i, (label, usage) in sorted(labels.items()):
        split = split_of(usage, f"{ferplus or source}, image fer{i:07d}.png")
        result.records.append(
            Record(str(folder / f"fer{i:07d}.png"), label, None, split, str(source))
        )
    if not result.records:
        raise DataError(f"{source}: no usable rows ({dict(result.skipped) or 'empty'}).")
    return result


def detect_fer2013_csv(source: Path) -> bool:
    """A CSV with a ``pixels`` column."""
    from .affectnet import header_of

    source = Path(source)
    return source.suffix.casefold() == ".csv" and source.is_file() and "pixels" in header_of(source)
