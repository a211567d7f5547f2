"""Map a data set's label spellings onto a task's class names.

A task with classes from the data (``TaskSpec.classes == ()``, e.g. ``classify``)
takes every label as a class, spelled as most of the data spells it (stripped;
labels that differ only in case are one class); its ``label_map`` still renames or
drops (``''``) labels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from .._tasks import TaskSpec
from ..errors import DataError, did_you_mean
from .records import Record


def label_table(task: TaskSpec, label_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """casefolded spelling -> class name; ``label_map`` wins over task aliases. A task
    with classes from the data accepts any class name as a mapping's target."""
    table = {c.casefold(): c for c in task.classes}
    for mapping in (task.label_aliases, label_map or {}):
        for src, dst in mapping.items():
            if dst and task.classes and dst not in task.classes:
                raise DataError(
                    f"Label mapping {src!r} -> {dst!r}: {dst!r} is not a class of task "
                    f"{task.name!r}.{did_you_mean(dst, task.classes)} Classes: "
                    f"{', '.join(task.classes)}."
                )
            table[src.casefold()] = dst.strip()
    return table


def class_of(label: str | None, table: Mapping[str, str], task: TaskSpec) -> str | None:
    """The class a label maps to: ``''`` when dropped on purpose, ``None`` when unknown.
    With classes from the data an unmapped, non-empty label is its own class."""
    spelled = (label or "").strip()
    key = spelled.casefold()
    if key in table:
        return table[key]
    return (spelled or None) if task.classes_from_data else None


def map_labels(
    records: list[Record],
    task: TaskSpec,
    label_map: Mapping[str, str] | None = None,
    drop_unknown: bool = False,
) -> tuple[list[Record], Counter]:
    """Records with class names as labels, and the counts of dropped labels.

    A label mapped to ``""`` is dropped on purpose; an unknown label is an
    error unless ``drop_unknown``.
    """
    table = label_table(task, label_map)
    if task.classes_from_data:
        table = {**spellings(records), **table}
    out: list[Record] = []
    dropped: Counter[str | None] = Counter()
    unknown: Counter[str | None] = Counter()
    unknown_shares: Counter[str | None] = Counter()
    for r in records:
        cls = class_of(r.label, table, task)
        if cls is None:
            unknown[r.label] += 1
        elif not cls:
            dropped[r.label] += 1
        else:
            r.label = cls
            if r.soft_target is not None:
                r.soft_target = map_shares(r.soft_target, table, task, unknown_shares)
            out.append(r)
    if (unknown or unknown_shares) and not drop_unknown:
        raise DataError(unknown_message(task, unknown + unknown_shares))
    dropped.update(unknown)
    return out, dropped


def map_shares(
    shares: Mapping[str, float], table: Mapping[str, str], task: TaskSpec, unknown: Counter
) -> dict[str, float]:
    """A record's ``soft_target`` keyed by class: shares of spellings of one class add
    up, a label dropped on purpose (``''``) takes its share along; labels that match
    no class are counted in ``unknown`` (and their shares left out)."""
    out: dict[str, float] = {}
    for label, share in shares.items():
        cls = class_of(label, table, task)
        if cls is None:
            unknown[label] += 1
        elif cls:
            out[cls] = out.get(cls, 0.0) + float(share)
    return out


def spellings(records: list[Record]) -> dict[str, str]:
    """casefolded label -> its most common spelling: with classes from the data,
    ``happiness`` and ``HAPPINESS`` are one class (named as most images spell it)."""
    seen: dict[str, Counter] = {}
    for r in records:
        spelled = (r.label or "").strip()
        if spelled:
            seen.setdefault(spelled.casefold(), Counter())[spelled] += 1
    return {key: min(c, key=lambda s: (-c[s], s)) for key, c in seen.items()}


def unknown_message(task: TaskSpec, unknown: Counter) -> str:
    """Labels no class of the task matches (with classes from the data: empty ones)."""
    listed = "; ".join(
        f"{lab!r} ({n}){did_you_mean(lab, task.classes)}" for lab, n in unknown.most_common()
    )
    if task.classes_from_data:
        return (
            f"Images without a label: {listed}. Give them a label, or leave them out with "
            "--set drop_unknown_labels=true."
        )
    return (
        f"Labels that are not classes of task {task.name!r}: {listed}. Classes: "
        f"{', '.join(task.classes)}. Map them with --set label_map.SRC=CLASS, or leave "
        "them out with --set drop_unknown_labels=true."
    )


def check_found(
    records: list[Record], task: TaskSpec, data: Iterable[str], dropped: Counter
) -> None:
    """With classes from the data, fewer than two classes is an error naming the data
    folders, what they hold and what was left out."""
    if not task.classes_from_data:
        return
    found = Counter(r.label for r in records)
    if len(found) >= 2:
        return
    held = ", ".join(f"{c!r} ({n} images)" for c, n in sorted(found.items())) or "no labelled image"
    left = "; ".join(f"{lab!r} ({n})" for lab, n in dropped.most_common())
    raise DataError(
        f"Task {task.name!r} takes its classes from the data and needs at least two; "
        f"--data {', '.join(map(str, data))} holds {held}"
        f"{f' (left out: {left})' if left else ''}. Give one subfolder per class (or a CSV "
        "label column) with images of two or more classes."
    )


def classes_present(records: list[Record], task: TaskSpec) -> tuple[str, ...]:
    """The task's classes that occur, in task order (a run trains on these); with
    classes from the data, every label, sorted."""
    seen = {r.label for r in records if r.label is not None}
    if task.classes_from_data:
        present = tuple(sorted(seen))
    else:
        present = tuple(c for c in task.classes if c in seen)
    of = f" of {', '.join(task.classes)}" if task.classes else ""
    if task.head == "sigmoid" and len(present) != 2:
        raise DataError(
            f"Task {task.name!r} is binary and needs images of exactly two classes{of}; "
            f"the data holds {', '.join(present) or 'none'}."
        )
    if len(present) < 2:
        raise DataError(
            f"The data holds a single class ({', '.join(present) or 'none'}); a classifier "
            f"needs at least two{of}."
        )
    return present
