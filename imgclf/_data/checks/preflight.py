"""The checks every run makes before training, so no bad file stops it an hour in.

Unreadable images are left out and listed in the run folder's ``skipped.csv``
(``--strict``: an error instead). Exact copies of an image that the run splits
itself are kept in one split (they join one group, like the images of one
person); copies the data set's own split folders put in two splits are an error
(``--allow-leakage``: continue, and the count goes into ``config.json``'s
``data_summary.checks``, which the reports show). Files TensorFlow cannot decode
but Pillow can, and EXIF-rotated files, are decoded through Pillow.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..._files import write_csv
from ...errors import DataError
from ..records import Record
from .check import find_duplicates
from .inspect import FileInfo, inspect_files

SHOWN = 5


@dataclass
class Preflight:
    """What the pre-flight found for the records of one run."""

    infos: dict[str, FileInfo]
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    leaked: int = 0
    allow_leakage: bool = False
    dropped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def pillow_paths(self) -> frozenset[str]:
        return frozenset(p for p, i in self.infos.items() if i.ok and i.decoder == "pillow")

    def summary(self) -> dict[str, Any]:
        """The ``checks`` entry of config.json's data_summary."""
        ok = [i for i in self.infos.values() if i.ok]
        return {
            "unreadable": len(self.unreadable),
            "duplicates_across_splits": self.leaked,
            "allow_leakage": self.allow_leakage,
            "copies_left_out": len(self.dropped),
            "exif_rotated": sum(i.rotated for i in ok),
            "decoded_with_pillow": sum(i.decoder == "pillow" for i in ok),
        }


def _listing(pairs: Sequence[tuple[str, str]]) -> str:
    shown = "; ".join(f"{p} ({why})" for p, why in pairs[:SHOWN])
    return shown + (f"; and {len(pairs) - SHOWN} more" if len(pairs) > SHOWN else "")


def preflight(
    records: list[Record], strict: bool = False, console: Any = None
) -> tuple[list[Record], Preflight]:
    """(the readable records, what was found); ``strict`` makes unreadable files an error."""
    start = time.perf_counter()
    infos = inspect_files([r.path for r in records], console)
    bad = [(r.path, infos[r.path].error) for r in records if not infos[r.path].ok]
    if bad and strict:
        raise DataError(
            f"{len(bad)} image file(s) cannot be read: {_listing(bad)}. Remove or replace "
            "them, or run without --strict to leave them out (listed in skipped.csv)."
        )
    kept = [r for r in records if infos[r.path].ok]
    keep_copies_together(kept, infos)
    return kept, Preflight(infos, bad, seconds=time.perf_counter() - start)


def keep_copies_together(records: list[Record], infos: dict[str, FileInfo]) -> None:
    """Give exact copies within one given split (or none) one group, so the split the
    run carves keeps them together; groups (person, patient) of copies are merged."""
    parent: dict[str, str] = {}

    def root(key: str) -> str:
        while key in parent:
            key = parent[key]
        return key

    def key_of(r: Record) -> str:
        return r.group or f"copy:{r.split}:{infos[r.path].sha1[:12]}"

    copies: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        copies[(r.split, infos[r.path].sha1)].append(r)
    for same in copies.values():
        for r in same[1:]:
            a, b = root(key_of(same[0])), root(key_of(r))
            if a != b:
                parent[max(a, b)] = min(a, b)
    for r in records:
        if r.group or len(copies[(r.split, infos[r.path].sha1)]) > 1:
            r.group = root(key_of(r))


def drop_split_copies(splits: dict[str, list[Record]], pre: Preflight) -> None:
    """Leave out val/test images whose exact copy is in an earlier split (train, then
    val): the test then holds only images the model never saw. Listed in skipped.csv."""
    first: dict[str, str] = {}
    for name in ("train", "val", "test"):
        kept = []
        for r in splits[name]:
            where = first.setdefault(pre.infos[r.path].sha1, name)
            if where == name:
                kept.append(r)
            else:
                pre.dropped.append((r.path, f"exact copy of a {where} image"))
        splits[name] = kept


def check_split_copies(
    splits: dict[str, list[Record]], pre: Preflight, allow: bool, drop: bool = False
) -> None:
    """Exact copies across train/val/test: an error unless ``allow`` (then counted) or
    ``drop`` (the later copies are left out)."""
    if drop:
        drop_split_copies(splits, pre)
    every = [r for part in splits.values() for r in part]
    dup = find_duplicates(every, pre.infos)
    pre.leaked, pre.allow_leakage = dup.across, allow
    if dup.across and not allow:
        raise DataError(
            f"{dup.across} image(s) are exact copies in two splits, e.g. {dup.first_pair()}; "
            "test scores would be inflated. Remove the copies ('imgclf data check' lists "
            "them), pass --drop-leaked to leave the val/test copies out, or --allow-leakage "
            "to continue and record the count in the report."
        )


def notes_for(pre: Preflight) -> list[str]:
    """One-line notes for the console: what was skipped, rotated or allowed."""
    out = []
    if pre.unreadable:
        out.append(
            f"{len(pre.unreadable)} unreadable image(s) left out (see skipped.csv): "
            f"{_listing(pre.unreadable)}"
        )
    rotated = sum(i.ok and i.rotated for i in pre.infos.values())
    if rotated:
        out.append(f"{rotated} EXIF-rotated image(s) are decoded upright through Pillow")
    if pre.leaked:
        out.append(f"{pre.leaked} image(s) are exact copies in two splits (--allow-leakage)")
    if pre.dropped:
        out.append(
            f"{len(pre.dropped)} val/test image(s) left out as exact copies of images "
            "in an earlier split (--drop-leaked; listed in skipped.csv)"
        )
    return out


def write_skipped(run_dir: Path, pre: Preflight | None) -> None:
    """``skipped.csv`` (path, reason) in the run folder, when anything was left out."""
    if pre is not None and (pre.unreadable or pre.dropped):
        rows = [*pre.unreadable, *pre.dropped]
        write_csv(Path(run_dir) / "skipped.csv", ["path", "reason"], rows)
