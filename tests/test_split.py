from collections import Counter

import pytest

from imgclf._data.records import Record
from imgclf._data.split import check_leakage, split_records
from imgclf.errors import DataError


def records(n_per_class=(300, 100, 20), groups=False):
    out = []
    for c, n in enumerate(n_per_class):
        for i in range(n):
            g = f"person{c}_{i // 4}" if groups else None
            out.append(Record(f"{c}_{i}.png", f"class{c}", g))
    return out


def test_stratified_fractions():
    splits = split_records(records(), seed=1, val_fraction=0.1, test_fraction=0.2)
    total = Counter(r.label for r in records())
    for name, frac in (("test", 0.2), ("val", 0.1)):
        got = Counter(r.label for r in splits[name])
        for label, n in total.items():
            assert abs(got[label] - n * frac) <= max(2, 0.03 * n), (name, label, got)
    assert sum(len(p) for p in splits.values()) == sum(total.values())


def test_same_seed_same_split_other_seed_differs():
    a = split_records(records(), seed=7)
    b = split_records(records(), seed=7)
    c = split_records(records(), seed=8)
    paths = lambda s: {k: [r.path for r in v] for k, v in s.items()}  # noqa: E731
    assert paths(a) == paths(b)
    assert paths(a) != paths(c)


def test_groups_never_cross_splits():
    splits = split_records(records(groups=True), seed=3)
    where = {}
    for name, part in splits.items():
        for r in part:
            assert where.setdefault(r.group, name) == name
    assert all(splits[s] for s in ("train", "val", "test"))


def test_given_split_respected_and_val_carved_from_train():
    recs = records((50, 50))
    for i, r in enumerate(recs):
        r.split = "test" if i % 5 == 0 else "train"
    test_paths = {r.path for r in recs if r.split == "test"}
    splits = split_records(recs, seed=0, val_fraction=0.1)
    assert {r.path for r in splits["test"]} == test_paths
    assert 8 <= len(splits["val"]) <= 10


def test_leak_detected():
    r = Record("a.png", "x", group="p1")
    with pytest.raises(DataError, match="Group 'p1'"):
        check_leakage({"train": [r], "test": [Record("b.png", "x", group="p1")]})
    with pytest.raises(DataError, match="in both the train and test"):
        check_leakage({"train": [r], "test": [r]})


def test_sources_with_and_without_split_folders_mix():
    """A source with train/test folders and one without: both end up in every split."""
    fixed = records((40, 40))
    for i, r in enumerate(fixed):
        r.split, r.source = ("test" if i % 4 == 0 else "train"), "kaggle"
    free = records((60, 60), groups=True)
    for r in free:
        r.path, r.source = "free/" + r.path, "ieee"
    splits = split_records(fixed + free, seed=0, val_fraction=0.1, test_fraction=0.2)
    fixed_test = {r.path for r in fixed if r.split == "test"}
    assert fixed_test <= {r.path for r in splits["test"]}
    for name in ("train", "val", "test"):
        assert {r.source for r in splits[name]} == {"kaggle", "ieee"}, name
    assert sum(len(p) for p in splits.values()) == 200


def test_tiny_classes_fall_back_to_a_random_grouped_cut():
    recs = records((4, 4))  # fewer images per class than folds: cannot stratify
    splits = split_records(recs, seed=0, val_fraction=0.1, test_fraction=0.2)
    assert splits["test"] and splits["train"] and splits["val"]
    with pytest.raises(DataError, match="at least 2 are needed"):
        split_records([Record("a.png", "x", "p1"), Record("b.png", "y", "p1")], seed=0)
