"""Records: what a loader returns before any pixel is read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import DataError

SPLITS = ("train", "val", "test")


@dataclass
class Record:
    """One image: where it is, its label, and what it must stay together with.

    ``group`` keeps images of one person or patient in one split; ``split`` is
    set when the data set itself fixes it (split folders, a Usage column).
    ``box`` (x, y, width, height in pixels) crops the image to a face before it
    is resized (clamped to the image); ``targets`` are the values a regression
    head learns (e.g. valence, arousal), ``None`` where the data set has none.
    ``soft_target`` (label spelling -> share, like ``label`` in the data set's own
    spellings) is what a softmax head learns instead of ``label`` alone, e.g. the
    annotators' votes; ``label`` still splits, counts and scores the image.
    """

    path: str
    label: str | None
    group: str | None = None
    split: str | None = None
    source: str = ""
    box: tuple[int, int, int, int] | None = None
    targets: tuple[float, ...] | None = None
    soft_target: dict[str, float] | None = None


def class_label(record: Record) -> str:
    """The class of a record a class head trains on or is scored against."""
    if record.label is None:
        raise DataError(f"{record.path} has no class label; a class head needs one per image.")
    return record.label


@dataclass
class LoadResult:
    """Records plus the counts of what a loader skipped and why."""

    records: list[Record]
    skipped: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DatasetLoader:
    """A registered loader.

    Args:
        load: ``load(source: Path, **options) -> LoadResult`` with raw labels;
            the core maps them onto the task's classes.
        detect: ``detect(source: Path) -> bool``, whether this loader should be
            picked automatically for ``source``.
        description: one line for ``imgclf list``.
    """

    load: Callable[..., LoadResult]
    detect: Callable[[Path], bool] = lambda source: False
    description: str = ""
    options: tuple[str, ...] = ()

    def __call__(self, source: Path, **options: Any) -> LoadResult:
        return self.load(source, **options)


def counts(records: list[Record]) -> dict[str, dict[str, int]]:
    """split -> label -> count, for reports and checks."""
    out: dict[str, Counter] = {}
    for r in records:
        out.setdefault(r.split or "unsplit", Counter())[r.label or "?"] += 1
    return {s: dict(sorted(c.items())) for s, c in out.items()}


def has_soft_targets(records: list[Record]) -> bool:
    """Whether any record carries a ``soft_target`` (a softmax head then learns
    float label rows: pipeline.label_array)."""
    return any(r.soft_target is not None for r in records)
