"""Cross-source validation (``--split by-source``): test on a source the model never saw.

A random split of pooled sources tests the model on the same collections it
trained on, so a shortcut (which scanner, which hospital, which collection)
scores as well as the disease. Holding out one whole source tests whether what
the model learnt travels. The test split is every image of one source (its data
set's own split folders are ignored); validation and training are carved from
the remaining sources (``val_fraction``, stratified, grouped).

Which source is held out: ``test_source`` (its short name, as the confounding
table shows it, or the ``--data`` entry). Without one, the source whose every
class also occurs in the other sources (so the model can learn each class it is
tested on), with the most classes, then the fewest images (the most left for
training), then by name. A source holding a single class is allowed as test set
(its accuracy is then that class's recall) with a note; no source whose classes
all occur elsewhere is an error.
"""

from __future__ import annotations

from collections import defaultdict

from ..errors import ConfigError, DataError, did_you_mean
from .checks.confounding import source_names
from .records import Record
from .split import _carve, check_leakage


def pick_test_source(by_source: dict[str, list[Record]], names: dict[str, str]) -> str:
    """The default held-out source (see the module docstring)."""
    labels = {s: {r.label for r in rs} for s, rs in by_source.items()}
    usable = []
    for s, rs in by_source.items():
        rest = set().union(*(labels[o] for o in by_source if o != s))
        if labels[s] <= rest:
            usable.append((-len(labels[s]), len(rs), names[s], s))
    if not usable:
        listed = "; ".join(
            f"{names[s]}: {', '.join(sorted(map(str, labels[s])))}" for s in sorted(by_source)
        )
        raise DataError(
            "--split by-source: no source can serve as the test set, because each holds a "
            f"class no other source has ({listed}); the model would be tested on a class it "
            "never trained on. Add a source that holds images of several classes, or use "
            "--eval-data PATH with an external set."
        )
    return min(usable)[3]


def resolve_test_source(wanted: str, names: dict[str, str]) -> str:
    """``test_source`` (short name, path as given, or folder name) -> the source."""
    for source, name in names.items():
        if wanted in (name, source) or wanted.rstrip("/") == source.rstrip("/"):
            return source
    shown = ", ".join(sorted(names.values()))
    raise ConfigError(
        f"test_source {wanted!r} is none of the run's sources ({shown})."
        f"{did_you_mean(wanted, list(names.values()))}"
    )


def split_by_source(
    records: list[Record],
    test_source: str | None,
    seed: int,
    val_fraction: float = 0.1,
    stratify: bool = True,
) -> tuple[dict[str, list[Record]], str]:
    """(train/val/test with test = one whole source, that source's short name)."""
    by_source: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_source[r.source].append(r)
    names = source_names(by_source)
    if len(by_source) < 2:
        raise ConfigError(
            "--split by-source needs two or more sources (several --data entries, or a "
            f"loader that sets each image's source); this run has one: "
            f"{', '.join(names.values()) or 'none'}."
        )
    held = resolve_test_source(test_source, names) if test_source else None
    held = held or pick_test_source(by_source, names)
    test = by_source[held]
    rest = [r for s, part in by_source.items() if s != held for r in part]
    keep, taken = _carve(rest, val_fraction, seed + 1, stratify)
    splits = {"train": [rest[i] for i in keep], "val": [rest[i] for i in taken], "test": test}
    for name, part in splits.items():
        for r in part:
            r.split = name
    check_leakage(splits)
    return splits, names[held]
