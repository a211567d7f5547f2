import csv
import os
from collections import Counter

import pytest

from imgclf._data.csv_loader import load_csv
from imgclf._data.folder import load_folder
from imgclf.errors import ConfigError, DataError
from imgclf.testing import make_image, make_image_folder
from imgclf.testing import shared_data as real_data


def test_folder_plain_classes(tmp_path):
    make_image_folder(tmp_path, classes=("cat", "dog"), per_class=3)
    (tmp_path / "cat" / "notes.txt").write_text("x")
    res = load_folder(tmp_path)
    assert Counter(r.label for r in res.records) == {"cat": 3, "dog": 3}
    assert all(r.split is None for r in res.records)
    assert res.skipped["not an image file"] == 1


@pytest.mark.parametrize(
    "names, expected",
    [
        (("TRAIN", "TUNE", "TEST"), {"train", "val", "test"}),
        (("train", "validation", "test"), {"train", "val", "test"}),
        (("Train", "Val"), {"train", "val"}),
    ],
)
def test_folder_split_names_any_case(tmp_path, names, expected):
    make_image_folder(tmp_path, classes=("a", "b"), per_class=2, splits=names)
    res = load_folder(tmp_path)
    assert {r.split for r in res.records} == expected
    assert len(res.records) == 4 * len(names)


def test_folder_missing_and_empty(tmp_path):
    with pytest.raises(DataError, match="is not one"):
        load_folder(tmp_path / "nope")
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(DataError, match="No images found"):
        load_folder(tmp_path)


def test_folder_group_pattern(tmp_path):
    for name in ("Ann_Lee_0001", "Ann_Lee_0002", "Bob_0001", "other_12345678"):
        make_image(tmp_path / "happy" / f"{name}.jpg")
    res = load_folder(tmp_path, group_pattern=r"^(.+)_\d{4}$")
    groups = {r.path.rsplit("/", 1)[1]: r.group for r in res.records}
    assert groups["Ann_Lee_0001.jpg"] == groups["Ann_Lee_0002.jpg"] == "Ann_Lee"
    assert groups["Bob_0001.jpg"] == "Bob" and groups["other_12345678.jpg"] is None


@pytest.mark.parametrize(
    "pattern, says", [(r"^.+_\d{4}$", "no capture group"), (r"^(.+_\d{4}$", "not a valid")]
)
def test_folder_bad_group_pattern_is_named(tmp_path, pattern, says):
    make_image(tmp_path / "happy" / "Ann_Lee_0001.jpg")
    with pytest.raises(ConfigError, match=says) as err:
        load_folder(tmp_path, group_pattern=pattern)
    assert "loader.group_pattern" in str(err.value) and repr(pattern) in str(err.value)


def test_fer2013_folder_layout():
    res = load_folder(real_data("fer2013"))
    counts = Counter((r.split, r.label) for r in res.records)
    assert len(res.records) == 28709 + 7178
    assert counts[("train", "disgust")] == 436 and counts[("train", "happy")] == 7215
    assert {r.split for r in res.records} == {"train", "test"}


def test_csv_columns_paths_duplicates(tmp_path):
    imgs = tmp_path / "images"
    for n in ("a", "b", "c", "d", "unlabelled"):
        make_image(imgs / f"{n}.png")
    csv = tmp_path / "meta" / "labels.csv"
    csv.parent.mkdir()
    csv.write_text(
        "file,emotion\na.png,Happy\na.png,happy\nb.png,sad\nb.png,happy\n"
        "c.png,SAD\nmissing.png,sad\nd.png,\n"
    )
    res = load_csv(csv, images_root=str(imgs))
    assert sorted((r.path.rsplit("/", 1)[1], r.label) for r in res.records) == [
        ("a.png", "Happy"),
        ("c.png", "SAD"),
    ]
    assert res.skipped == Counter(
        {
            "duplicate row": 2,
            "image with conflicting labels": 1,
            "missing file": 1,
            "row without image or label": 1,
            "image without a label row": 2,
        }
    )


def test_csv_path_outside_root_is_rejected(tmp_path):
    make_image(tmp_path / "a.png")
    csv = tmp_path / "labels.csv"
    csv.write_text("image,label\na.png,x\n../../etc/passwd,x\n")
    with pytest.raises(DataError, match="points outside the data root"):
        load_csv(csv)


def test_csv_latin1_and_missing_column(tmp_path):
    make_image(tmp_path / "é.png")
    csv = tmp_path / "labels.csv"
    csv.write_bytes("image,label\né.png,happy\n".encode("latin-1"))
    res = load_csv(csv)
    assert len(res.records) == 1 and "latin-1" in res.notes[0]
    with pytest.raises(DataError, match="no label column 'mood'"):
        load_csv(csv, label_column="mood")


def test_lfw_legend_real_quirks():
    legend = real_data("face-emotion-lfw", "data", "legend.csv")
    res = load_csv(legend, group_pattern=r"^(.+)_\d{4}$")
    # recount the quirks independently of the loader
    with open(legend, newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = Counter(r["image"] for r in rows)
    conflicting = {
        n for n in names if len({r["emotion"].casefold() for r in rows if r["image"] == n}) > 1
    }
    files = set(os.listdir(legend.parent.parent / "images"))
    assert res.skipped["duplicate row"] == sum(n - 1 for n in names.values()) == 8
    assert res.skipped["image with conflicting labels"] == len(conflicting)
    assert res.skipped["image without a label row"] == len(files - set(names))
    assert len(res.records) == len(names) - len(conflicting) - res.skipped["missing file"]
    # mixed case labels arrive raw; the task maps them
    assert {"HAPPINESS", "happiness"} <= {r.label for r in res.records}
    groups = Counter(r.group for r in res.records if r.group)
    assert max(groups.values()) > 10  # several images of one person share a group
