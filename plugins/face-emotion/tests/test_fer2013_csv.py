"""The fer2013-csv loader: fer2013.csv pixel strings, the PNG cache, FER+ majority labels."""

import csv

import cv2
import numpy as np
import pytest

import imgclf
from imgclf.testing import load_records, registered, run_tiny, shared_data

USAGES = ["Training"] * 14 + ["PublicTest"] * 7 + ["PrivateTest"] * 7
FERPLUS_HEADER = ["Usage", "Image name", "neutral", "happiness", "surprise", "sadness",
                  "anger", "disgust", "fear", "contempt", "unknown", "NF"]  # fmt: skip


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def pixel_string(img):
    return " ".join(str(int(v)) for v in img.reshape(-1))


def write_fer2013(path, images, emotions, usages=None):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"] if usages else ["emotion", "pixels"])
        for i, (img, e) in enumerate(zip(images, emotions)):
            w.writerow([e, pixel_string(img), *([usages[i]] if usages else [])])
    return path


def synthetic(n=28):
    """48x48 gray images, brightness by class (learnable), no two alike."""
    rng = np.random.default_rng(0)
    images = []
    for i in range(n):
        img = np.full((48, 48), 40 + 60 * (i % 3), "uint8")
        img[:4, :4] = rng.integers(0, 256, (4, 4))
        images.append(img)
    return images, [(3, 4, 6)[i % 3] for i in range(n)]  # happy, sad, neutral


def loader():
    return registered("datasets", "fer2013-csv")


def test_pixels_become_cached_pngs_and_usage_gives_splits(tmp_path, cache_dir):
    images, emotions = synthetic()
    src = write_fer2013(tmp_path / "fer2013.csv", images, emotions, USAGES)
    got = loader()(src)
    assert [r.split for r in got.records] == ["train"] * 14 + ["val"] * 7 + ["test"] * 7
    assert [r.label for r in got.records[:3]] == ["happy", "sad", "neutral"]
    first = cv2.imread(got.records[0].path, cv2.IMREAD_GRAYSCALE)
    np.testing.assert_array_equal(first, images[0])
    assert got.records[5].path.endswith("fer0000005.png")
    assert str(cache_dir) in got.records[0].path
    before = {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*.png")}
    again = loader()(src)  # the cache is reused, not rewritten
    assert [r.path for r in again.records] == [r.path for r in got.records]
    assert before == {p: p.stat().st_mtime_ns for p in cache_dir.rglob("*.png")}


def test_an_interrupted_build_is_never_reused(tmp_path, cache_dir):
    images, emotions = synthetic(4)
    images[3] = images[3][:40]  # a short pixel string: the build fails half-way
    src = write_fer2013(tmp_path / "fer2013.csv", images, emotions)
    with pytest.raises(imgclf.DataError, match=r"line 5: the pixels string holds 1920 values"):
        loader()(src)
    assert not [p for p in (cache_dir / "fer2013-csv").iterdir() if not p.name.startswith(".")]
    assert not list((cache_dir / "fer2013-csv").glob(".*"))  # the temporary folder is gone


def test_a_run_trains_on_the_csv(tmp_path):
    images, emotions = synthetic()
    src = write_fer2013(tmp_path / "fer2013.csv", images, emotions, USAGES)
    result = run_tiny("face-emotion", src, tmp_path, model="alexnet", image_size=32)
    counts = result.result.data_summary["counts"]
    assert sum(counts["val"].values()) == 7 and sum(counts["test"].values()) == 7
    assert result.result.config["classes"] == ["happy", "neutral", "sad"]


@pytest.mark.parametrize(
    "votes, label",
    [
        ([10, 0, 0, 0, 0, 0, 0, 0, 0, 0], "neutral"),
        ([0, 6, 4, 0, 0, 0, 0, 0, 0, 0], "happiness"),  # 6 of 10
        ([4, 0, 0, 4, 2, 0, 0, 0, 0, 0], None),  # a tie: no majority
        ([5, 0, 0, 5, 0, 0, 0, 0, 0, 0], None),  # half is not more than half
        ([4, 1, 1, 1, 1, 1, 1, 0, 0, 0], "neutral"),  # single votes dropped: 4 of 4
        ([3, 0, 0, 0, 0, 0, 0, 0, 0, 7], "NF"),
        ([2, 0, 0, 0, 0, 0, 0, 0, 6, 2], "unknown"),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], None),  # only single votes
    ],
)
def test_ferplus_majority_rule(votes, label):
    from imgclf_face_emotion.votes import ferplus_label

    assert ferplus_label(votes) == label


def test_ferplus_labels_replace_the_emotions(tmp_path):
    images, emotions = synthetic(8)
    usages = ["Training"] * 4 + ["PublicTest"] * 2 + ["PrivateTest"] * 2
    src = write_fer2013(tmp_path / "fer2013.csv", images, emotions, usages)
    votes = [
        [0, 10, 0, 0, 0, 0, 0, 0, 0, 0],  # happiness
        [0, 0, 0, 0, 0, 0, 0, 9, 1, 0],  # contempt: FER+ has it, fer2013 not
        [4, 0, 0, 4, 2, 0, 0, 0, 0, 0],  # no majority
        [0, 0, 0, 0, 0, 0, 0, 0, 8, 2],  # unknown
        [0, 0, 0, 0, 0, 0, 0, 0, 0, 10],  # not a face
        [0, 0, 0, 10, 0, 0, 0, 0, 0, 0],  # sadness
        None,  # removed by FER+: no image name
        [0, 0, 8, 0, 2, 0, 0, 0, 0, 0],  # surprise
    ]
    plus = tmp_path / "fer2013new.csv"
    with open(plus, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(FERPLUS_HEADER)
        for i, v in enumerate(votes):
            name = f"fer{i:07d}.png" if v else ""
            w.writerow([usages[i], name, *(v or [0] * 10)])
    got = loader()(src, ferplus=str(plus))
    assert [(r.path[-14:], r.label, r.split) for r in got.records] == [
        ("fer0000000.png", "happiness", "train"),
        ("fer0000001.png", "contempt", "train"),
        ("fer0000005.png", "sadness", "val"),
        ("fer0000007.png", "surprise", "test"),
    ]
    assert got.skipped == {
        "FER+ no majority": 1,
        "FER+ majority unknown": 1,
        "FER+ majority NF": 1,
        "FER+ row without an image": 1,
    }
    # FER+'s spellings map onto the task's classes through its aliases.
    cfg = imgclf.make_config("face-emotion", data=src, loader_options={"ferplus": str(plus)})
    records, _, _ = load_records(cfg)
    assert [r.label for r in records] == ["happy", "contempt", "sad", "surprise"]


def test_headerless_ferplus_label_csv_takes_splits_from_fer2013(tmp_path):
    images, emotions = synthetic(3)
    usages = ["Training", "PublicTest", "PrivateTest"]
    src = write_fer2013(tmp_path / "fer2013.csv", images, emotions, usages)
    label = tmp_path / "label.csv"
    label.write_text("fer0000002.png,0,10,0,0,0,0,0,0,0,0\nfer0000001.png,9,1,0,0,0,0,0,0,0,0\n")
    got = loader()(src, ferplus=str(label))
    assert [(r.label, r.split) for r in got.records] == [("neutral", "val"), ("happiness", "test")]
    assert got.skipped["fer2013.csv row without a FER+ row"] == 1


@pytest.mark.parametrize(
    "content, message",
    [
        ("pixels,Usage\n1 2,Training\n", r"lacks the fer2013.csv column\(s\) emotion"),
        ("emotion,pixels\n9," + " ".join(["0"] * 2304) + "\n", r"line 2: emotion '9' is not"),
        ("emotion,pixels\n1,1 2 3\n", r"line 2: the pixels string holds 3 values"),
        ("emotion,pixels,Usage\n1," + " ".join(["0"] * 2304) + ",Dev\n", r"Usage 'Dev' is not"),
        ("emotion,pixels\n1," + " ".join(["x"] * 2304) + "\n", r"line 2: .* not a number"),
    ],
)
def test_bad_fer2013_rows_are_named(tmp_path, content, message):
    src = tmp_path / "fer2013.csv"
    src.write_text(content)
    with pytest.raises(imgclf.DataError, match=message) as err:
        loader()(src)
    assert str(src) in str(err.value)


def test_bad_ferplus_rows_are_named(tmp_path):
    images, emotions = synthetic(2)
    src = write_fer2013(tmp_path / "fer2013.csv", images, emotions)
    plus = tmp_path / "label.csv"
    plus.write_text("fer0000009.png,0,10,0,0,0,0,0,0,0,0\n")
    with pytest.raises(imgclf.DataError, match=r"label.csv, line 1: image name 'fer0000009.png'"):
        loader()(src, ferplus=str(plus))
    plus.write_text("fer0000001.png,0,ten,0,0,0,0,0,0,0,0\n")
    with pytest.raises(imgclf.DataError, match=r"line 1: the vote counts .* not all numbers"):
        loader()(src, ferplus=str(plus))
    with pytest.raises(imgclf.DataError, match=r"FER\+ label file .*nope.csv"):
        loader()(src, ferplus=str(tmp_path / "nope.csv"))


def real_fer2013_csv(tmp_path, per_class=20):
    """A fer2013.csv of real FER2013 images (grayscale 48x48 pixel strings): train
    images as Training, test images split into PublicTest and PrivateTest."""
    fer = shared_data("fer2013")
    codes = {"angry": 0, "disgust": 1, "fear": 2, "happy": 3, "sad": 4, "surprise": 5,
             "neutral": 6}  # fmt: skip
    rows = []
    for split, usage, n in (("train", "Training", per_class), ("test", None, per_class // 2)):
        for cls, code in codes.items():
            for k, path in enumerate(sorted((fer / split / cls).iterdir())[:n]):
                img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                img = cv2.resize(img, (48, 48), interpolation=cv2.INTER_AREA)
                rows.append((code, img, usage or ("PublicTest", "PrivateTest")[k % 2]))
    path = tmp_path / "fer2013.csv"
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["emotion", "pixels", "Usage"])
        for code, img, usage in rows:
            w.writerow([code, pixel_string(img), usage])
    return path, len(rows)


def test_real_fer2013_images_through_the_csv_loader_and_a_run(tmp_path):
    src, n = real_fer2013_csv(tmp_path)
    got = loader()(src)
    assert len(got.records) == n == 7 * 30
    result = imgclf.run(
        "face-emotion", model="alexnet", data=src, epochs=1, image_size=32, batch_size=32,
        output=tmp_path / "runs", report=["json"], drop_leaked=True, seed=0,
    )  # fmt: skip
    counts = result.result.data_summary["counts"]
    assert set(counts) == {"train", "val", "test"} and len(counts["train"]) == 7
    assert result.metrics["n"] == sum(counts["test"].values())
