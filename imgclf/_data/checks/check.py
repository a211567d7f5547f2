"""Data integrity: what ``imgclf data check`` reports, from the loaders a run uses.

Counts per split and class, image formats, modes and sizes, unreadable files,
exact duplicates (same bytes) within and across splits, class imbalance and
labels that map to no class of the task. Errors are what would stop or spoil a
run (unreadable files, copies across splits, unknown labels, a single class);
warnings are worth a look (duplicates inside a split, imbalance, rows a loader
skipped). The per-file work is cached (see ``inspect``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ..._config import RunConfig
from ..._tasks import TaskSpec
from ...errors import DataError
from .. import labels as labelmap
from ..records import Record, counts
from ..sources import read_records
from .confounding import check_confounding
from .inspect import FileInfo, inspect_files

IMBALANCE_WARNING = 10.0
SHOWN = 10  # file names listed per problem on the console


@dataclass
class Duplicates:
    """Exact copies: extra files per split, groups spanning splits, label conflicts."""

    within: dict[str, int] = field(default_factory=dict)
    across: int = 0
    examples: list[tuple[str, str, str, str]] = field(default_factory=list)
    conflicting: int = 0

    def first_pair(self) -> str:
        a, sa, b, sb = self.examples[0]
        return f"{a} ({sa}) = {b} ({sb})"


def find_duplicates(records: Sequence[Record], infos: dict[str, FileInfo]) -> Duplicates:
    """Group readable records by content hash; records without a split count as 'unsplit'."""
    groups: dict[str, list[Record]] = {}
    for r in records:
        info = infos.get(r.path)
        if info is not None and info.ok:
            groups.setdefault(info.sha1, []).append(r)
    out, within = Duplicates(), Counter[str]()
    for members in groups.values():
        if len(members) < 2:
            continue
        by_split: dict[str, list[Record]] = {}
        for r in members:
            by_split.setdefault(r.split or "unsplit", []).append(r)
        for split, rs in by_split.items():
            within[split] += len(rs) - 1
        if len(by_split) > 1:
            out.across += 1
            (sa, ra), (sb, rb) = list(by_split.items())[:2]
            out.examples.append((ra[0].path, sa, rb[0].path, sb))
        if len({r.label for r in members}) > 1:
            out.conflicting += 1
    out.within = {k: v for k, v in sorted(within.items()) if v}
    return out


@dataclass
class CheckReport:
    """Everything ``imgclf data check`` found; ``to_dict`` is its ``--json`` form."""

    sources: list[str]
    task: str | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    formats: dict[str, int] = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    unreadable: list[dict[str, str]] = field(default_factory=list)
    decoded_with_pillow: dict[str, int] = field(default_factory=dict)
    duplicates: Duplicates = field(default_factory=Duplicates)
    imbalance: float | None = None
    unknown_labels: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    confounding: dict[str, Any] | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def images(self) -> int:
        return sum(sum(c.values()) for c in self.counts.values())

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["images"] = self.images
        out["duplicates"]["examples"] = [
            {"a": a, "a_split": sa, "b": b, "b_split": sb}
            for a, sa, b, sb in self.duplicates.examples
        ]
        return out


def map_task_labels(
    records: list[Record], task: TaskSpec, config: RunConfig
) -> tuple[list[Record], Counter, Counter]:
    """(records relabelled with classes, unknown labels, labels left out on purpose)."""
    table = labelmap.label_table(task, config.label_map)
    kept: list[Record] = []
    unknown: Counter[str | None] = Counter()
    dropped: Counter[str | None] = Counter()
    for r in records:
        cls = labelmap.class_of(r.label, table, task)
        if cls is None:
            unknown[r.label or ""] += 1
        elif not cls:
            dropped[r.label or ""] += 1
        else:
            r.label = cls
            kept.append(r)
    return kept, unknown, dropped


def describe_files(report: CheckReport, infos: dict[str, FileInfo]) -> None:
    """Formats/modes, size ranges, unreadable files and Pillow-decoded ones."""
    good = [i for i in infos.values() if i.ok]
    report.formats = dict(Counter(f"{i.format} {i.mode}" for i in good).most_common())
    if good:
        report.sizes = {
            "width": [min(i.width for i in good), max(i.width for i in good)],
            "height": [min(i.height for i in good), max(i.height for i in good)],
        }
    report.unreadable = [
        {"path": i.path, "reason": i.error} for i in sorted(infos.values(), key=lambda i: i.path)
        if not i.ok
    ]  # fmt: skip
    pillow = Counter(
        "EXIF orientation" if i.rotated else "TensorFlow cannot decode it"
        for i in good
        if i.decoder == "pillow"
    )
    report.decoded_with_pillow = dict(pillow)


def judge(report: CheckReport, task: TaskSpec | None) -> None:
    """Turn the findings into error and warning lines that say what to do."""
    e, w = report.errors, report.warnings
    if report.unreadable:
        shown = "; ".join(f"{u['path']} ({u['reason']})" for u in report.unreadable[:SHOWN])
        extra = len(report.unreadable) - SHOWN
        more = f"; and {extra} more" if extra > 0 else ""
        e.append(
            f"{len(report.unreadable)} file(s) cannot be read: {shown}{more}. Remove or replace "
            "them; a run skips them and lists them in skipped.csv (--strict fails instead)."
        )
    if report.unknown_labels and task is not None:
        e.append(labelmap.unknown_message(task, Counter(report.unknown_labels)))
    d = report.duplicates
    if d.across:
        e.append(
            f"{d.across} image(s) are exact copies across splits, e.g. {d.first_pair()}: test "
            "scores would be inflated. Remove the copies, or run with --allow-leakage."
        )
    for split, n in d.within.items():
        hint = " (they may land in different splits of a run)" if split == "unsplit" else ""
        w.append(f"{n} exact duplicate file(s) within {split}{hint}.")
    if d.conflicting:
        w.append(f"{d.conflicting} duplicated image(s) carry different labels.")
    if report.imbalance and report.imbalance >= IMBALANCE_WARNING:
        w.append(
            f"Classes are unbalanced: largest/smallest = {report.imbalance:.1f}. Consider "
            "--class-weight auto."
        )
    w += [f"{n} x {what}" for what, n in sorted(report.skipped.items())]
    w += list(report.notes)


def check_classes(report: CheckReport, records: list[Record], task: TaskSpec | None) -> None:
    """A single class (unless unknown labels explain it), and classes only in test."""
    per_class = Counter(str(r.label) for r in records)
    if len(per_class) < 2 and not report.unknown_labels:
        report.errors.append(
            f"The data holds a single class ({', '.join(map(str, per_class)) or 'none'}); a "
            "classifier needs at least two."
        )
    elif task is not None and task.head == "sigmoid" and len(per_class) != 2:
        report.errors.append(f"Task {task.name!r} is binary; the data holds {sorted(per_class)}.")
    train = {r.label for r in records if r.split == "train" and r.label is not None}
    tested = {r.label for r in records if r.split == "test" and r.label is not None}
    only_test = sorted(tested - train) if train else []
    if only_test:
        report.errors.append(
            f"Class(es) {', '.join(only_test)} occur in test but not in train; add training "
            "images of them or leave them out with --set label_map.NAME=''."
        )


def check_data(config: RunConfig, task: TaskSpec | None, console: Any = None) -> CheckReport:
    """Load ``config.data`` as a run would and check it (see the module docstring)."""
    spec = task or TaskSpec("(no task)", ())
    records, skipped, notes = read_records(config, spec)
    report = CheckReport(list(config.data), task.name if task else None, notes=notes)
    if task is not None:
        records, unknown, dropped = map_task_labels(records, task, config)
        report.unknown_labels = dict(unknown)
        skipped.update({f"label {k!r} left out": v for k, v in dropped.items()})
    report.skipped = dict(skipped)
    infos = inspect_files([r.path for r in records], console)
    describe_files(report, infos)
    readable = [r for r in records if infos[r.path].ok]
    report.counts = counts(readable)
    report.duplicates = find_duplicates(readable, infos)
    per_class = Counter(r.label for r in readable)
    if per_class:
        report.imbalance = round(max(per_class.values()) / min(per_class.values()), 2)
    found = check_confounding([r for r in readable if r.label is not None])
    if found is not None:
        report.confounding = found.to_dict()
        if found.level != "none":
            report.warnings.append(found.message())
    judge(report, task)
    check_classes(report, readable, task)
    return report


def check_or_error(config: RunConfig, task: TaskSpec | None, console: Any = None) -> CheckReport:
    """Like ``check_data``, but a loader's refusal becomes a report with that error."""
    try:
        return check_data(config, task, console)
    except DataError as exc:
        return CheckReport(list(config.data), task.name if task else None, errors=[str(exc)])
