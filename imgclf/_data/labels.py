"""Map a data set's label spellings onto a task's class names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from .._tasks import TaskSpec
from ..errors import DataError, did_you_mean
from .records import Record


def label_table(task: TaskSpec, label_map: Mapping[str, str] | None = None) -> dict[str, str]:
    """casefolded spelling -> class name; ``label_map`` wins over task aliases."""
    table = {c.casefold(): c for c in task.classes}
    for mapping in (task.label_aliases, label_map or {}):
        for src, dst in mapping.items():
            if dst and dst not in task.classes:
                raise DataError(
                    f"Label mapping {src!r} -> {dst!r}: {dst!r} is not a class of task "
                    f"{task.name!r}.{did_you_mean(dst, task.classes)} Classes: "
                    f"{', '.join(task.classes)}."
                )
            table[src.casefold()] = dst
    return table


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
    out, dropped, unknown = [], Counter(), Counter()
    for r in records:
        key = (r.label or "").strip().casefold()
        if key not in table:
            unknown[r.label] += 1
        elif not table[key]:
            dropped[r.label] += 1
        else:
            r.label = table[key]
            out.append(r)
    if unknown and not drop_unknown:
        listed = "; ".join(
            f"{lab!r} ({n}){did_you_mean(lab, task.classes)}" for lab, n in unknown.most_common()
        )
        raise DataError(
            f"Labels that are not classes of task {task.name!r}: {listed}. Classes: "
            f"{', '.join(task.classes)}. Map them with --set label_map.SRC=CLASS, or leave "
            "them out with --set drop_unknown_labels=true."
        )
    dropped.update(unknown)
    return out, dropped


def classes_present(records: list[Record], task: TaskSpec) -> tuple[str, ...]:
    """The task's classes that occur, in task order (a run trains on these)."""
    seen = {r.label for r in records}
    present = tuple(c for c in task.classes if c in seen)
    if task.head == "sigmoid" and len(present) != 2:
        raise DataError(
            f"Task {task.name!r} is binary and needs images of both {task.classes}; "
            f"the data holds only {present or 'none'}."
        )
    if len(present) < 2:
        raise DataError(
            f"The data holds a single class ({', '.join(present) or 'none'}); a classifier "
            f"needs at least two of {', '.join(task.classes)}."
        )
    return present
