"""Train/val/test splits: stratified by label, grouped when records carry a group.

Split folders given by the data set are respected; what is missing is carved
from the training part with the run's seed, so the same seed gives the same split.
"""

from __future__ import annotations

import warnings
from collections import defaultdict

import numpy as np

from ..errors import DataError
from .records import Record


def _carve(
    records: list[Record], fraction: float, seed: int, stratify: bool = True
) -> tuple[list[int], list[int]]:
    """Indices (keep, taken) with about ``fraction`` taken, stratified and grouped.

    With too few images per class to stratify, or ``stratify=False`` (a
    regression head has no classes to balance), the cut is random (still grouped).
    """
    from sklearn.model_selection import GroupKFold, StratifiedGroupKFold

    n = len(records)
    if fraction <= 0 or n < 2:
        return list(range(n)), []
    k = max(2, round(1 / fraction))
    labels = np.array([r.label if stratify else "" for r in records])
    groups = np.array([r.group or f"\0{i}" for i, r in enumerate(records)])
    if len(set(groups)) < 2:
        raise DataError(
            f"Only {len(set(groups))} image or group (person/patient) left to split "
            f"{fraction:.0%} off; at least 2 are needed. Add data, or give the split in "
            "folders (train/val/test)."
        )
    k = min(k, len(set(groups)))  # small data: split off at least one group
    idx = np.zeros(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # classes smaller than k
        try:
            folds = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
            keep, taken = next(folds.split(idx, labels, groups))
        except ValueError:  # every class smaller than k: a random grouped cut
            shuffled = np.random.default_rng(seed).permutation(sorted(set(groups)))
            rank = {g: i for i, g in enumerate(shuffled)}
            order = np.array([rank[g] for g in groups])
            keep, taken = next(GroupKFold(n_splits=k).split(idx, labels, order))
    return sorted(keep.tolist()), sorted(taken.tolist())


def split_records(
    records: list[Record],
    seed: int,
    val_fraction: float = 0.1,
    test_fraction: float = 0.2,
    stratify: bool = True,
) -> dict[str, list[Record]]:
    """Assign every record to train, val or test, and check nothing leaks.

    Records whose data set fixes their split keep it. Records without one (all of
    them, or those of a source without split folders) are carved into test, val
    and train by the fractions; a split no record fills is carved from train.
    ``stratify=False`` cuts at random (grouped), for heads without classes.
    """
    given: dict[str | None, list[Record]] = defaultdict(list)
    for r in records:
        given[r.split].append(r)
    free = given.pop(None, [])
    train, val, test = given.get("train", []), given.get("val", []), given.get("test", [])
    carved_test = bool(free) or not test
    if free:
        keep, taken = _carve(free, test_fraction, seed, stratify)
        test, free = test + [free[i] for i in taken], [free[i] for i in keep]
        if val:  # the data set has a val split: give it its share of the free records
            keep, taken = _carve(free, val_fraction / (1 - test_fraction), seed + 1, stratify)
            val, free = val + [free[i] for i in taken], [free[i] for i in keep]
        train = train + free
    if not test:
        keep, taken = _carve(train, test_fraction, seed, stratify)
        train, test = [train[i] for i in keep], [train[i] for i in taken]
    if not val:
        frac = val_fraction / (1 - test_fraction) if carved_test else val_fraction
        keep, taken = _carve(train, frac, seed + 1, stratify)
        train, val = [train[i] for i in keep], [train[i] for i in taken]
    splits = {"train": train, "val": val, "test": test}
    for name, part in splits.items():
        for r in part:
            r.split = name
    check_leakage(splits)
    if not train or not test:
        raise DataError(
            f"Too few images to split: train {len(train)}, val {len(val)}, test {len(test)}."
        )
    return splits


def check_leakage(splits: dict[str, list[Record]]) -> None:
    """The same file or group in two splits is an error: it inflates test scores."""
    seen_path: dict[str, str] = {}
    seen_group: dict[str, str] = {}
    for name, part in splits.items():
        for r in part:
            other = seen_path.setdefault(r.path, name)
            if other != name:
                raise DataError(f"{r.path} is in both the {other} and {name} splits.")
            if r.group:
                other = seen_group.setdefault(r.group, name)
                if other != name:
                    raise DataError(
                        f"Group {r.group!r} (a person or patient) is in both the {other} and "
                        f"{name} splits ({r.path}); its images must stay in one split."
                    )
