"""The ferplus loader: FERPlus' FER2013Train/Valid/Test folders with label.csv votes,
majority labels or vote shares, and runs on both."""

import csv
import io

import cv2
import numpy as np
import pytest
from rich.console import Console

import imgclf
from imgclf.testing import (
    invoke_cli,
    load_records,
    pick_loader,
    prepare_data,
    registered,
    run_tiny,
    shared_data,
)

FOLDERS = {"train": "FER2013Train", "val": "FER2013Valid", "test": "FER2013Test"}
FERPLUS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt")
CLASS = {**{n: n for n in FERPLUS}, "happiness": "happy", "sadness": "sad"}
# The rows every split ends with, and what each mode does with them.
TIE = [4, 0, 0, 4, 2, 0, 0, 0, 0, 0]  # neutral = sadness: no majority
UNKNOWN_TOP = [2, 0, 0, 0, 0, 0, 0, 0, 8, 0]
NF_TOP = [0, 3, 0, 0, 0, 0, 0, 0, 0, 7]
NO_EMOTION = [0, 0, 0, 0, 0, 0, 0, 0, 4, 6]  # NF majority; no emotion vote at all
SPECIAL = [TIE, UNKNOWN_TOP, NF_TOP, NO_EMOTION]
SIZES = {"train": 32, "val": 16, "test": 16}  # images with a clear majority, per split


def votes_for(c):
    """8 votes for emotion ``c``, 2 for the next one: majority ``c``, shares 0.8 / 0.2."""
    votes = [0] * 10
    votes[c], votes[(c + 1) % 8] = 8, 2
    return votes


def write_ferplus(root, sizes=SIZES, special=SPECIAL, seed=0):
    """A FERPlus folder: per split ``sizes[split]`` 48x48 gray PNGs whose majority
    cycles over the 8 emotions (brightness by class: learnable), then ``special``."""
    rng = np.random.default_rng(seed)
    n = 0
    for split, folder in FOLDERS.items():
        (root / folder).mkdir(parents=True)
        rows = [votes_for(i % 8) for i in range(sizes[split])] + list(special)
        with open(root / folder / "label.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            for votes in rows:
                name = f"fer{n:07d}.png"
                top = int(np.argmax(votes))
                img = np.full((48, 48), 20 + 28 * min(top, 8), "uint8")
                img[:6, :6] = rng.integers(0, 256, (6, 6))  # no two images alike
                cv2.imwrite(str(root / folder / name), img)
                w.writerow([name, "(0, 0, 48, 48)", *votes])
                n += 1
    return root


@pytest.fixture
def ferplus_root(tmp_path):
    return write_ferplus(tmp_path / "FERPlus")


def loader():
    return registered("datasets", "ferplus")


def config(root, **loader_options):
    return imgclf.make_config("face-emotion", data=root, loader_options=loader_options)


def test_a_ferplus_folder_is_detected(ferplus_root, tmp_path):
    assert pick_loader(config(ferplus_root), ferplus_root) == "ferplus"
    assert not loader().detect(ferplus_root / "FER2013Train")  # one split: not the layout
    assert not loader().detect(ferplus_root / "FER2013Train" / "label.csv")
    plain = tmp_path / "plain" / "happy"
    plain.mkdir(parents=True)
    assert not loader().detect(plain.parent)


def test_majority_mode_splits_classes_and_left_out_counts(ferplus_root):
    got = loader()(ferplus_root)
    assert [sum(r.split == s for r in got.records) for s in FOLDERS] == [32, 16, 16]
    first = got.records[0]
    assert (first.path.endswith("FER2013Train/fer0000000.png"), first.label) == (True, "neutral")
    assert first.box == (0, 0, 48, 48) and first.soft_target is None
    assert [r.label for r in got.records[:8]] == list(FERPLUS)  # contempt kept
    assert got.skipped == {
        "FER+ no majority": 3,  # the tie in each split
        "FER+ majority unknown": 3,
        "FER+ majority NF": 6,  # NF_TOP and NO_EMOTION
    }
    records, skipped, _ = load_records(config(ferplus_root))  # FER+ names -> the task's
    assert [r.label for r in records[:8]] == [CLASS[n] for n in FERPLUS]
    assert skipped["FER+ majority NF"] == 6


def test_probability_mode_gives_vote_shares_and_majority_test_labels(ferplus_root):
    got = loader()(ferplus_root, mode="probability")
    train = [r for r in got.records if r.split == "train"]
    test = [r for r in got.records if r.split == "test"]
    assert len(train) == 33 and len(test) == 16  # the tie is kept for training
    assert train[7].label == "contempt" and train[7].soft_target == pytest.approx(
        {"contempt": 0.8, "neutral": 0.2}
    )
    assert (train[-1].label, train[-1].soft_target) == (
        "neutral",  # a tie: the first in FER+ order
        pytest.approx({"neutral": 0.4, "sadness": 0.4, "anger": 0.2}),
    )
    assert all(r.soft_target is None for r in test)
    assert got.skipped == {
        "FER+ top vote unknown": 2,  # train and val
        "FER+ top vote NF": 2,
        "FER+ no emotion votes": 2,
        "FER+ no majority": 1,  # test, by the majority rule
        "FER+ majority unknown": 1,
        "FER+ majority NF": 2,
    }
    assert any("scored against the majority label" in n for n in got.notes)
    # The core maps the shares' FER+ names onto the task's classes, as it does labels.
    records, _, _ = load_records(config(ferplus_root, mode="probability"))
    assert records[1].soft_target == pytest.approx({"happy": 0.8, "surprise": 0.2})


def test_soft_rows_reach_the_pipeline(ferplus_root):
    from imgclf_face_emotion import CLASSES

    data = prepare_data(config(ferplus_root, mode="probability"))
    assert data.classes == CLASSES
    ds = imgclf.make_dataset(data.splits["train"], data.classes, "softmax", 16, 64, soft=True)
    _, y = next(iter(ds))
    by_path = dict(zip([r.path for r in data.splits["train"]], y.numpy()))
    contempt = next(r for r in data.splits["train"] if r.path.endswith("fer0000007.png"))
    want = np.zeros(8, "float32")
    want[CLASSES.index("contempt")], want[CLASSES.index("neutral")] = 0.8, 0.2
    np.testing.assert_allclose(by_path[contempt.path], want, atol=1e-6)


def test_an_unknown_mode_is_refused_before_any_run(ferplus_root, tmp_path):
    with pytest.raises(imgclf.ConfigError, match=r"loader.mode .* received mode='soft'"):
        loader()(ferplus_root, mode="soft")
    with pytest.raises(imgclf.ConfigError, match=r"Unknown option 'mod'.*Did you mean 'mode'"):
        load_records(config(ferplus_root, mod="majority"))


@pytest.mark.parametrize("mode", ["majority", "probability"])
def test_a_run_in_each_mode_reports_metrics_and_left_out_counts(ferplus_root, tmp_path, mode):
    import keras

    out = io.StringIO()
    result = run_tiny(
        "face-emotion", ferplus_root, tmp_path, image_size=32, batch_size=16,
        loader_options={"mode": mode}, console=Console(file=out, width=200), report=["json"],
    )  # fmt: skip
    assert 0 <= result.metrics["accuracy"] <= 1 and result.metrics["n"] == 16
    assert result.result.config["classes"] == [
        "anger", "contempt", "disgust", "fear", "happy", "neutral", "sad", "surprise"
    ]  # fmt: skip
    counts = result.result.data_summary["counts"]
    assert sum(counts["test"].values()) == 16 and sum(counts["val"].values()) == 16 + (
        mode == "probability"
    )
    assert (result.run_dir / "metrics.json").is_file()
    soft = mode == "probability"
    assert isinstance(result.model.loss, keras.losses.CategoricalCrossentropy) == soft
    left_out = "FER+ majority unknown" if mode == "majority" else "FER+ top vote unknown"
    assert result.skipped[left_out] == (3 if mode == "majority" else 2)
    assert f"skipped: {result.skipped[left_out]} x {left_out}" in out.getvalue()


def test_a_missing_image_or_a_short_row_names_file_and_line(ferplus_root):
    label = ferplus_root / "FER2013Valid" / "label.csv"
    lines = label.read_text().splitlines()
    name = lines[2].split(",")[0]
    (ferplus_root / "FER2013Valid" / name).unlink()
    with pytest.raises(imgclf.DataError, match=r"FER2013Valid.label\.csv, line 3: image 'fer"):
        loader()(ferplus_root)
    result = invoke_cli("run", "face-emotion", "--data", str(ferplus_root))
    assert result.exit_code != 0 and "label.csv, line 3" in result.output
    assert "generate_training_data.py" in result.output and "Traceback" not in result.output

    lines[2] = f"{name},(0, 0, 48, 48),8,2,0,0,0,0,0,0,0"  # unquoted box, 9 votes
    label.write_text("\n".join(lines) + "\n")
    with pytest.raises(imgclf.DataError, match=r"label\.csv, line 3: expected an image name, a "):
        loader()(ferplus_root)
    lines[2] = f'{name},"(0, 0, 48, 48)",8,2,0,0,0,0,0,0,0'  # quoted box, 9 votes
    label.write_text("\n".join(lines) + "\n")
    result = invoke_cli("run", "face-emotion", "--data", str(ferplus_root))
    assert result.exit_code != 0 and "label.csv, line 3: expected" in result.output
    assert "got 11 column(s)" in result.output and "Traceback" not in result.output


def test_fer2013_csv_reads_ferplus_label_csv_rows_with_their_face_box(tmp_path, monkeypatch):
    """FERPlus' label.csv rows carry a face box: fer2013-csv's loader.ferplus reads them
    (through the same row parser and majority rule as the ferplus loader)."""
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    pixels = " ".join(["128"] * 48 * 48)
    src = tmp_path / "fer2013.csv"
    src.write_text(f"emotion,pixels,Usage\n3,{pixels},Training\n4,{pixels},PrivateTest\n")
    label = tmp_path / "label.csv"
    label.write_text(
        'fer0000000.png,"(0, 0, 48, 48)",0,0,0,0,0,0,0,9,1,0\n'
        'fer0000001.png,"(0, 0, 48, 48)",4,0,0,4,2,0,0,0,0,0\n'
    )
    got = registered("datasets", "fer2013-csv")(src, ferplus=str(label))
    assert [(r.label, r.split) for r in got.records] == [("contempt", "train")]
    assert got.skipped == {"FER+ no majority": 1}
    with pytest.raises(imgclf.DataError, match=r"x: the face box '\(0, 0, 48\)' is not four"):
        from imgclf_face_emotion.votes import parse_row

        parse_row(["a.png", "(0, 0, 48)", *["1"] * 10], "x")


CODES = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness",
         "neutral": "neutral", "sad": "sadness", "surprise": "surprise"}  # fmt: skip


def test_real_fer2013_images_in_the_ferplus_layout_train(tmp_path):
    fer = shared_data("fer2013")
    root = tmp_path / "FERPlus"
    picks = {"train": ("train", 0, 3), "val": ("test", 0, 1), "test": ("test", 1, 3)}
    n = 0
    for split, (src, start, stop) in picks.items():
        folder = root / FOLDERS[split]
        folder.mkdir(parents=True)
        with open(folder / "label.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            for cls, name in CODES.items():
                for path in sorted((fer / src / cls).iterdir())[start:stop]:
                    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
                    cv2.imwrite(str(folder / f"fer{n:07d}.png"), img)
                    votes = [0] * 10
                    votes[FERPLUS.index(name)], votes[9] = 9, 1
                    w.writerow([f"fer{n:07d}.png", "(0, 0, 48, 48)", *votes])
                    n += 1
    got = loader()(root)
    assert len(got.records) == n == 42 and not got.skipped
    result = run_tiny(
        "face-emotion", root, tmp_path, image_size=32, batch_size=16, drop_leaked=True,
        loader_options={"mode": "probability"}, report=["json"],
    )  # fmt: skip
    assert result.metrics["n"] == sum(result.result.data_summary["counts"]["test"].values())
    assert len(result.result.config["classes"]) == 7  # FER2013's: no contempt
