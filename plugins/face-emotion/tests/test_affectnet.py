"""The affectnet loader on small CSVs in AffectNet's layout around generated images."""

import pytest

import imgclf
from imgclf import make_dataset
from imgclf.testing import pick_loader, prepare_data, registered


def test_reads_both_files_counts_left_out_codes_and_splits(affectnet):
    got = registered("datasets", "affectnet")(affectnet)
    assert got.skipped == {
        "expression 8 (None)": 1,
        "expression 9 (Uncertain)": 1,
        "expression 10 (No-Face)": 1,
    }
    splits = {r.split for r in got.records}
    assert splits == {"train", "test"}  # validation.csv is the test split
    labels = {r.label for r in got.records if r.split == "test"}
    assert labels == {"neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt"}
    assert sum(r.targets is None for r in got.records) == 1
    assert any("-2" in n for n in got.notes)
    first = next(r for r in got.records if r.path.endswith("/1.png"))
    assert first.box == (10, 5, 20, 30) and first.label == "happy"
    assert first.targets == pytest.approx((1 / 8 - 0.4, 0.1))


def test_validation_is_carved_from_training(affectnet):
    cfg = imgclf.make_config("face-emotion", data=affectnet, limit=None)
    data = prepare_data(cfg)
    assert all("validation.csv" in r.source for r in data.splits["test"])
    assert data.splits["val"] and all("training.csv" in r.source for r in data.splits["val"])


def test_face_box_crop_before_resize(tmp_path, kit):
    """A white square on black, cropped to its box and resized, is all white."""
    path = kit.white_square(tmp_path / "face.png", size=(40, 60), box=(10, 5, 20, 30))
    records = [
        imgclf.Record(str(path), "happy", box=(10, 5, 20, 30)),
        imgclf.Record(str(path), "happy"),  # no box: the whole image
    ]
    batch = next(iter(make_dataset(records, ("happy",), "softmax", 16, 2, cache="none")))
    boxed, whole = batch[0].numpy()
    assert boxed.min() == 1.0  # only the box's content
    assert whole.min() == 0.0 and whole.max() == 1.0


def test_box_beyond_the_image_is_clamped(tmp_path, kit):
    path = kit.white_square(tmp_path / "face.png", size=(40, 60), box=(40, 20, 20, 20))
    # The box reaches 30 px past the right and bottom edges: clamped, it is the white square.
    records = [imgclf.Record(str(path), "a", box=(40, 20, 50, 50))]
    img = next(iter(make_dataset(records, ("a",), "softmax", 8, 1, cache="none")))[0].numpy()[0]
    assert img.min() == 1.0
    records = [imgclf.Record(str(path), "a", box=(-30, -30, 200, 200))]  # bigger than the image
    img = next(iter(make_dataset(records, ("a",), "softmax", 8, 1, cache="none")))[0].numpy()[0]
    assert img.min() == 0.0 and img.max() == 1.0


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"face_x": "ten"}, r"line 2: column 'face_x' holds 'ten', not a number"),
        ({"face_width": "0"}, r"line 2: the face box 0x30 is empty"),
        ({"expression": "11"}, r"line 2: expression '11' is not a code 0-10"),
        ({"valence": "1.5"}, r"line 2: valence 1.5 lies outside \[-1, 1\]"),
        ({"arousal": "high"}, r"line 2: column 'arousal' holds 'high', not a number"),
    ],
)
def test_bad_rows_name_the_file_line_and_value(tmp_path, kit, bad, message):
    kit.white_square(tmp_path / "1" / "a.png")
    values = dict(zip(kit.HEADER, kit.row("a.png", 1)))
    values.update(bad)
    path = kit.write_affectnet(tmp_path / "training.csv", [[values[h] for h in kit.HEADER]])
    with pytest.raises(imgclf.DataError, match=message) as err:
        registered("datasets", "affectnet")(path)
    assert "training.csv" in str(err.value)


def test_missing_columns_are_named(tmp_path):
    path = tmp_path / "training.csv"
    path.write_text("subDirectory_filePath,expression\n1/a.png,1\n")
    with pytest.raises(imgclf.DataError, match=r"lacks the AffectNet column\(s\) face_x, face_y"):
        registered("datasets", "affectnet")(path)


def test_detected_for_the_face_task(affectnet):
    cfg = imgclf.make_config("face-emotion", data=affectnet)
    assert pick_loader(cfg, affectnet) == "affectnet"
    assert pick_loader(cfg, affectnet / "validation.csv") == "affectnet"
