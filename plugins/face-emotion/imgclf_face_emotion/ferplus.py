"""The ``ferplus`` loader: FER+ in Microsoft's FERPlus folder layout.

The root holds ``FER2013Train/``, ``FER2013Valid/`` and ``FER2013Test/`` (the
train / val / test splits), each with the PNG images FERPlus'
``generate_training_data.py`` writes (``fer0000000.png``: row 0 of fer2013.csv)
and FERPlus' header-less ``label.csv``, one row per image::

    fer0000000.png,"(0, 0, 48, 48)",4,0,0,1,3,2,0,0,0,0

the image name, the face box (left, top, right, bottom; the pipeline crops to it)
and ten vote counts: neutral, happiness, surprise, sadness, anger, disgust,
fear, contempt, unknown, NF (not a face). The eight emotions are the task's
eight classes, contempt included.

``loader.mode``:

- ``majority`` (default): the label is the FER+ majority (``votes.ferplus_label``,
  the rule of Microsoft's reader and of ``fer2013-csv`` with ``loader.ferplus``);
  images without a majority (a tie included) or whose majority is unknown or NF
  are left out, counted as ``FER+ no majority`` / ``FER+ majority unknown`` / ``NF``.
- ``probability``: train and val images learn their vote shares over the eight
  emotions (unknown and NF votes dropped; ``Record.soft_target``, a categorical
  cross-entropy); their ``label`` (splits, counts, class weights) is the emotion
  with the most votes. An image with no emotion vote, or whose unknown or NF
  votes outnumber every emotion's, is left out and counted. The **test split is
  still scored against the majority label**, and left out as in ``majority``
  when it has none: the reported accuracy is comparable between the modes.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from imgclf import ConfigError, DataError, LoadResult, Record

from .votes import majority, parse_row, shares, top_emotion

FOLDERS = {"fer2013train": "train", "fer2013valid": "val", "fer2013test": "test"}
LABEL_FILE = "label.csv"
MODES = ("majority", "probability")


def split_folders(source: Path) -> list[tuple[Path, str]]:
    """(folder, split) of each FER2013Train/Valid/Test folder under ``source``
    (names matched without regard to case), in train, val, test order."""
    found = {p.name.casefold(): p for p in source.iterdir() if p.is_dir()}
    return [(found[name], split) for name, split in FOLDERS.items() if name in found]


def read_label_file(folder: Path) -> list[tuple[str, tuple[int, int, int, int] | None, list[int]]]:
    """(image path, face box, votes) per row of ``folder/label.csv``; a row naming a
    missing image is a DataError naming the file and the line."""
    path = folder / LABEL_FILE
    rows = []
    with open(path, newline="", encoding="utf-8-sig") as fh:
        for line, cells in enumerate(csv.reader(fh), start=1):
            if not any(c.strip() for c in cells):
                continue
            where = f"{path}, line {line}"
            name, box, votes = parse_row(cells, where)
            image = folder / name
            if not name or not image.is_file():
                raise DataError(
                    f"{where}: image {name or '(no name)'!r} is not in {str(folder)!r}. Write "
                    "the images with FERPlus' generate_training_data.py (from fer2013.csv), "
                    "or remove the row."
                )
            rows.append((str(image), box, votes))
    return rows


def record_of(
    image: str, box, votes: list[int], split: str, mode: str, skipped: Counter
) -> Record | None:
    """The record of one label.csv row in ``mode``, or None (counted in ``skipped``)."""
    if mode == "probability" and split != "test":
        soft = shares(votes, skipped)
        if soft is None:
            return None
        return Record(image, top_emotion(soft), None, split, box=box, soft_target=soft)
    label = majority(votes, skipped)
    return None if label is None else Record(image, label, None, split, box=box)


def load_ferplus(source: Path, mode: str = "majority") -> LoadResult:
    """Records of a FERPlus folder: majority labels, or vote shares (``mode``)."""
    if mode not in MODES:
        raise ConfigError(
            f"loader.mode should be one of {', '.join(MODES)}; received mode={mode!r}. "
            "Use --set loader.mode=majority (one label per image) or probability (the "
            "annotators' vote shares)."
        )
    source = Path(source)
    if not source.is_dir():
        raise DataError(f"The ferplus loader needs the FERPlus folder; {str(source)!r} is not one.")
    folders = [(f, s) for f, s in split_folders(source) if (f / LABEL_FILE).is_file()]
    if not folders:
        raise DataError(
            f"{str(source)!r} holds no FER2013Train, FER2013Valid or FER2013Test folder with "
            f"a {LABEL_FILE}; give the folder that holds them (FERPlus' data folder)."
        )
    result = LoadResult([])
    for folder, split in folders:
        for image, box, votes in read_label_file(folder):
            record = record_of(image, box, votes, split, mode, result.skipped)
            if record is not None:
                result.records.append(record)
    if mode == "probability":
        result.notes.append(
            "FER+ probability mode: train and val learn the annotators' vote shares; the "
            "test split is scored against the majority label (test images without one are "
            "left out as in majority mode)"
        )
    if not result.records:
        raise DataError(f"{source}: no usable FER+ rows ({dict(result.skipped) or 'empty'}).")
    return result


def detect_ferplus(source: Path) -> bool:
    """A folder holding FER2013Train, FER2013Valid or FER2013Test with a label.csv."""
    source = Path(source)
    if not source.is_dir():
        return False
    try:
        return any((f / LABEL_FILE).is_file() for f, _ in split_folders(source))
    except OSError:
        return False
