"""Confounding: does the class ride on the data source?

When every COVID film comes from one collection and most normal films from
another, a model can learn "which collection" instead of "which disease" and
still score well on a random split of the same sources (Roberts et al. 2021;
DeGrave et al. 2021, both Nature Machine Intelligence). This check builds the
source x class table of a run's records (the source is the ``--data`` entry, or
what a loader put in ``Record.source``, e.g. a hospital), measures the
association with Cramér's V and says in plain words which classes come from
sources that hold no other class.

The rule (docs/shortcut-learning.md): confounding is *strong* when Cramér's V is
at least ``STRONG_V`` (0.5), or when every image of some class comes from
sources that hold no other class (the source alone then names the class). Strong
confounding is a warning, and an error under ``--strict``. ``MODERATE_V`` (0.3)
and above is a note. A single source: no check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np

from ...errors import DataError
from ..records import Record

STRONG_V = 0.5
MODERATE_V = 0.3
MOSTLY = 0.9  # a class with this share from one source is named in the findings


def source_names(sources: Iterable[str]) -> dict[str, str]:
    """Each source (a path as given, or a loader's name) -> a short unique name: the
    shortest tail of its path that no other source shares (``train/NORMAL``)."""
    unique = sorted(set(sources))
    parts = {s: PurePath(s).parts or (s,) for s in unique}
    depth = {s: 1 for s in unique}
    while True:
        names = {s: "/".join(parts[s][-depth[s] :]) for s in unique}
        clash = Counter(names.values())
        grow = [s for s in unique if clash[names[s]] > 1 and depth[s] < len(parts[s])]
        if not grow:
            return names
        for s in grow:
            depth[s] += 1


def cramers_v(table: np.ndarray) -> float | None:
    """Cramér's V of a contingency table (rows x columns of counts): 0 for none,
    1 for a perfect association; None for a table with one row or column."""
    table = np.asarray(table, dtype="float64")
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n, k = table.sum(), min(table.shape) - 1
    if k < 1 or n == 0:
        return None
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    return float(min(1.0, np.sqrt(chi2 / (n * k))))


@dataclass
class Confounding:
    """The source x class table, Cramér's V and the findings in plain words."""

    table: dict[str, dict[str, int]]
    classes: list[str]
    cramers_v: float | None
    level: str  # "strong", "moderate" or "none"
    findings: list[str] = field(default_factory=list)

    @property
    def strong(self) -> bool:
        return self.level == "strong"

    def message(self) -> str:
        """One paragraph: V, the findings and what to do."""
        v = "n/a" if self.cramers_v is None else f"{self.cramers_v:.2f}"
        return (
            f"The class depends on the data source (Cramér's V {v}, {self.level}). "
            + " ".join(self.findings)
            + " Evaluate across sources (--split by-source, --eval-data PATH) before "
            "trusting the test score (docs/shortcut-learning.md)."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "classes": self.classes,
            "cramers_v": self.cramers_v,
            "level": self.level,
            "strong_v": STRONG_V,
            "findings": self.findings,
            **({"message": self.message()} if self.level != "none" else {}),
        }


def _listing(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def alone(table: dict[str, dict[str, int]], c: str) -> tuple[int, int, list[str]]:
    """(images of ``c`` from sources holding no other class, images of ``c``, those sources)."""
    total = sum(per.get(c, 0) for per in table.values())
    only = [s for s, per in table.items() if per.get(c, 0) and len(per) == 1]
    return sum(table[s][c] for s in only), total, only


def findings_for(table: dict[str, dict[str, int]], classes: Sequence[str]) -> list[str]:
    """Per class: how many of its images come from sources holding no other class."""
    out = []
    for c in classes:
        k, total, only = alone(table, c)
        if not k:
            out += _mostly_from(table, classes, c, total)
            continue
        others = [o for o in classes if o != c]
        many = "all" if k == total else f"{k} of"
        where = _listing(only)
        holds = "holds" if len(only) == 1 else "hold"
        out.append(
            f"{c}: {many} {total} images come from {where}, which {holds} no "
            f"{_listing(others)} image; a model can learn the source instead of the class."
        )
    return out


def _mostly_from(
    table: dict[str, dict[str, int]], classes: Sequence[str], c: str, total: int
) -> list[str]:
    """``c`` comes (nearly, ``MOSTLY``) all from one source, shared with other classes."""
    main = max(table, key=lambda s: table[s].get(c, 0))
    k = table[main].get(c, 0)
    if not total or k < MOSTLY * total:
        return []
    rest = [
        f"{n} of {sum(t.get(o, 0) for t in table.values())} {o}"
        for o in classes
        if o != c and (n := table[main].get(o, 0))
    ]
    many = "all" if k == total else f"{k} of"
    return [f"{c}: {many} {total} images come from {main} (which holds {_listing(rest)} images)."]


def check_confounding(records: Sequence[Record]) -> Confounding | None:
    """The source x class table of ``records`` and its verdict; None with one source
    or records without labels (a regression head)."""
    if any(r.label is None for r in records):
        return None
    names = source_names(r.source for r in records)
    if len(names) < 2:
        return None
    classes = sorted({r.label for r in records if r.label is not None})
    per: dict[str, Counter] = {}
    for r in records:
        per.setdefault(names[r.source], Counter())[r.label] += 1
    table = {s: dict(sorted(c.items())) for s, c in sorted(per.items())}
    v = cramers_v(np.array([[table[s].get(c, 0) for c in classes] for s in table]))
    findings = findings_for(table, classes)
    whole = any(k == total for k, total, _ in (alone(table, c) for c in classes))
    level = (
        "strong"
        if (v is not None and v >= STRONG_V) or whole
        else "moderate"
        if v is not None and v >= MODERATE_V
        else "none"
    )
    if level != "none" and not findings:
        main = {c: max(table, key=lambda s: table[s].get(c, 0)) for c in classes}
        findings = [
            f"{c}: {table[main[c]].get(c, 0)} of {sum(t.get(c, 0) for t in table.values())} "
            f"images come from {main[c]}."
            for c in classes
        ]
    return Confounding(table, list(classes), v, level, findings)


def confounding_error(found: Confounding) -> DataError:
    """The ``--strict`` refusal of strongly confounded data, before any training."""
    return DataError(
        f"{found.message()} --strict refuses to train on it: add images of every class "
        "from every source, split by source (--split by-source), or run without --strict "
        "to train anyway with this warning in the report."
    )
