"""Records from every ``--data`` source through the registered dataset loaders."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from .. import _plugins as plugins
from .._config import RunConfig
from .._options import check_options
from .._tasks import TaskSpec
from ..errors import ConfigError, DataError
from . import labels as labelmap
from .records import Record


def pick_loader(config: RunConfig, task: TaskSpec, source: Path) -> str:
    """``--loader`` if given, else the first loader (task's first) that detects ``source``."""
    regs = plugins.registries()["datasets"]
    if config.loader:
        regs.get(config.loader)
        return config.loader
    for name in [*task.datasets, *regs.names()]:
        if name in regs and regs.get(name).detect(source):
            return name
    raise DataError(
        f"No dataset loader recognises {str(source)!r}. Give a folder of class folders, a "
        f"CSV file, or pick one with --loader ({', '.join(regs.names())})."
    )


def read_records(config: RunConfig, task: TaskSpec) -> tuple[list[Record], Counter, list[str]]:
    """Records of every ``--data`` source with the data set's own label spellings."""
    if not config.data:
        raise ConfigError("No data given. Pass --data PATH (a folder of class folders or a CSV).")
    regs = plugins.registries()["datasets"]
    records: list[Record] = []
    skipped: Counter[str] = Counter()
    notes: list[str] = []
    for src in config.data:
        source = Path(src)
        if not source.exists():
            raise DataError(f"Data path {src!r} does not exist. Check --data.")
        name = pick_loader(config, task, source)
        loader = regs.get(name)
        check_options("loader", name, config.loader_options, loader.options)
        defaults = {k: v for k, v in task.loader_defaults.items() if k in loader.options}
        got = loader(source, **{**defaults, **config.loader_options})
        for r in got.records:
            r.source = r.source or str(source)
        records += got.records
        skipped.update(got.skipped)
        notes += got.notes
    return records, skipped, notes


def load_records(config: RunConfig, task: TaskSpec) -> tuple[list[Record], Counter, list[str]]:
    """Records with labels mapped onto the task's classes, what was skipped, loader notes."""
    records, skipped, notes = read_records(config, task)
    mapped, dropped = labelmap.map_labels(
        records, task, config.label_map, config.drop_unknown_labels
    )
    labelmap.check_found(mapped, task, config.data, dropped)
    skipped.update({f"label {k!r} left out": v for k, v in dropped.items()})
    return mapped, skipped, notes


def limit_records(records: list[Record], limit: int | None, seed: int) -> list[Record]:
    """A stratified sample of about ``limit`` records, same per seed."""
    if not limit or len(records) <= limit:
        return records
    rng = np.random.default_rng(seed)
    strata: dict[tuple, list[Record]] = {}
    for r in records:
        strata.setdefault((r.split, r.label), []).append(r)
    out = []
    for key in sorted(strata, key=str):
        part = strata[key]
        k = max(1, round(len(part) * limit / len(records)))
        out += [part[i] for i in sorted(rng.choice(len(part), size=k, replace=False))]
    return out
