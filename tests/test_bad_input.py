"""Bad input, one test per case: a clear message naming the file or value and what to
do, the right exit code, and never a traceback. Files are built here from tiny images."""

from __future__ import annotations

import csv
import itertools
import json
import time

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from imgclf._cli import cli
from imgclf._data.pipeline import make_dataset
from imgclf._data.records import Record
from imgclf.testing import make_image

SEEDS = itertools.count(1)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def make_data(root, classes=("dark", "light"), per_class=10, splits=(None,)):
    """Distinct random 16 px PNGs (a fresh seed each), ``root/[split/]class/``."""
    for split in splits:
        for cls in classes:
            for _ in range(per_class):
                n = next(SEEDS)
                folder = root / split / cls if split else root / cls
                make_image(folder / f"{cls}_{n}.png", size=16, seed=n)
    return root


def run_args(data, tmp_path, *more):
    return ["run", "tiny-task", "--data", data, "--output", tmp_path / "runs", "--report", "none",
            "--seed", "1", *more]  # fmt: skip


def asymmetric(height=20, width=30):
    """Dark image with a bright band on its left: its orientation is visible."""
    a = np.full((height, width, 3), 20, "uint8")
    a[:, : width // 3] = 235
    return a


def decode(path, size=16):
    ds = make_dataset([Record(str(path), None)], (), "softmax", size, 1, with_labels=False)
    return (next(iter(ds)).numpy()[0] * 255).round()


# --- files that cannot be read: --strict names them and fails, a plain run skips them --


def zero_byte(path):
    path.write_bytes(b"")


def truncated_jpeg(path):
    cv2.imwrite(str(path), np.random.default_rng(0).integers(0, 255, (32, 32, 3), "uint8"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def text_as_jpeg(path):
    path.write_text("name,label\nthis is not an image\n")


UNREADABLE = [
    (zero_byte, "empty file (0 bytes)"),
    (truncated_jpeg, "truncated or corrupt image data"),
    (text_as_jpeg, "a text file, not an image"),
]


@pytest.mark.parametrize("write, reason", UNREADABLE, ids=[w.__name__ for w, _ in UNREADABLE])
def test_unreadable_file_fails_a_strict_run_naming_it(tiny, tmp_path, write, reason):
    data = make_data(tmp_path / "set")
    bad = data / "dark" / "bad.jpg"
    write(bad)
    result = invoke(*run_args(data, tmp_path, "--strict"))
    assert result.exit_code == 4
    assert f"{bad} ({reason}" in result.output
    assert "without --strict" in result.output
    assert not (tmp_path / "runs").exists()  # failed before any run folder


@pytest.mark.parametrize("write, reason", UNREADABLE, ids=[w.__name__ for w, _ in UNREADABLE])
def test_unreadable_file_is_an_error_of_data_check(tiny, tmp_path, write, reason):
    data = make_data(tmp_path / "set")
    write(data / "light" / "bad.jpg")
    result = invoke("data", "check", data)
    assert result.exit_code == 1
    assert "1 file(s) cannot be read" in result.output and reason in result.output


def test_a_plain_run_skips_unreadable_files_and_lists_them(tiny, tmp_path):
    data = make_data(tmp_path / "set")
    for write, _ in UNREADABLE:
        write(data / "dark" / f"{write.__name__}.jpg")
    # Two readable oddities that go through Pillow in the pipeline: EXIF-rotated, and a
    # PNG without its end chunk (TensorFlow refuses it, Pillow reads every pixel).
    image = Image.fromarray(asymmetric())
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(data / "light" / "camera.jpg", exif=exif)
    no_end = make_image(tmp_path / "no_end.png", seed=7)
    (data / "light" / "no_end.png").write_bytes(no_end.read_bytes()[:-12])
    result = invoke(*run_args(data, tmp_path))
    assert result.exit_code == 0, result.output
    assert "3 unreadable image(s) left out (see skipped.csv)" in result.output
    (run_dir,) = (tmp_path / "runs" / "tiny-task" / "tiny-cnn").iterdir()
    with open(run_dir / "skipped.csv", newline="") as fh:
        rows = {r["path"].rsplit("/", 1)[1]: r["reason"] for r in csv.DictReader(fh)}
    assert sorted(rows) == sorted(f"{w.__name__}.jpg" for w, _ in UNREADABLE)
    for write, reason in UNREADABLE:
        assert rows[f"{write.__name__}.jpg"].startswith(reason)
    summary = json.loads((run_dir / "config.json").read_text())["data_summary"]
    assert summary["skipped"]["unreadable image"] == 3
    assert summary["checks"]["unreadable"] == 3
    assert summary["checks"]["exif_rotated"] == 1 and summary["checks"]["decoded_with_pillow"] == 2
    assert json.loads((run_dir / "state.json").read_text())["state"] == "finished"


# --- odd but valid images load, the way they are meant to look ----------------------


def test_16_bit_png_loads(tmp_path):
    path = tmp_path / "deep.png"
    cv2.imwrite(str(path), np.full((20, 20), 40000, "uint16"))
    assert Image.open(path).mode.startswith("I")
    assert np.allclose(decode(path), round(40000 / 257), atol=1)


def test_palette_png_loads_with_its_colours(tmp_path):
    path = tmp_path / "palette.png"
    Image.fromarray(asymmetric()).convert("P").save(path)
    assert Image.open(path).mode == "P"
    pixels = decode(path, size=30)
    assert pixels[:, :5].mean() > 200 and pixels[:, -5:].mean() < 40


def test_rgba_png_loads_as_rgb(tmp_path):
    path = tmp_path / "rgba.png"
    Image.new("RGBA", (16, 16), (200, 100, 50, 60)).save(path)
    pixels = decode(path)
    assert pixels.shape == (16, 16, 3)
    assert np.allclose(pixels.reshape(-1, 3).mean(0), (200, 100, 50), atol=2)


def test_cmyk_jpeg_loads_with_its_colours(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.fromarray(asymmetric()).convert("CMYK").save(path, quality=95)
    assert Image.open(path).mode == "CMYK"
    pixels = decode(path, size=30)
    assert pixels[:, :5].mean() > 200 and pixels[:, -5:].mean() < 40


@pytest.mark.parametrize("orientation", [6, 8, 3])
def test_exif_rotated_jpeg_is_decoded_upright(tmp_path, orientation):
    path = tmp_path / "photos" / "camera.jpg"
    path.parent.mkdir()
    image = Image.fromarray(asymmetric(20, 30))
    exif = image.getexif()
    exif[0x0112] = orientation
    image.save(path, exif=exif, quality=95)
    pixels = decode(path, size=30).mean(axis=2)
    # Orientation 6: turn 90 degrees clockwise to view; the left band goes to the top.
    # 8: counter-clockwise, the band goes to the bottom; 3: half a turn, to the right.
    band = {6: pixels[:5], 8: pixels[-5:], 3: pixels[:, -5:]}[orientation]
    rest = {6: pixels[-10:], 8: pixels[:10], 3: pixels[:, :10]}[orientation]
    assert band.mean() > 200 and rest.mean() < 40
    report = invoke("data", "check", path.parent, "--json")
    assert json.loads(report.output)["decoded_with_pillow"] == {"EXIF orientation": 1}


def test_one_pixel_image_loads(tmp_path):
    path = make_image(tmp_path / "dot.png", size=1, value=77)
    assert np.allclose(decode(path), 77, atol=1)


def test_very_large_image_loads_in_sane_time(tmp_path):
    path = tmp_path / "big.jpg"
    cv2.imwrite(str(path), np.repeat(asymmetric(6000, 6000)[:, :, :1], 3, axis=2))
    start = time.perf_counter()
    pixels = decode(path)
    assert pixels[:, :5].mean() > 230 and pixels[:, -10:].mean() < 25
    assert time.perf_counter() - start < 30


# --- data sets that cannot be used as given ----------------------------------------


def test_empty_class_folder_is_named(tiny, tmp_path):
    data = make_data(tmp_path / "set")
    (data / "dusk").mkdir()
    result = invoke("data", "check", data)
    assert result.exit_code == 0
    assert "class folder" in result.output and "dusk" in result.output
    assert "holds no images" in result.output


def test_data_folder_missing(tiny, tmp_path):
    missing = tmp_path / "nope"
    result = invoke(*run_args(missing, tmp_path))
    assert result.exit_code == 4
    assert f"Data path '{missing}' does not exist. Check --data." in result.output
    result = invoke("data", "check", missing)
    assert result.exit_code == 1 and "does not exist" in result.output


def write_csv(path, rows, header=("image", "label"), encoding="utf-8"):
    with open(path, "w", newline="", encoding=encoding) as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def csv_data(tmp_path, per_class=6):
    images = make_data(tmp_path / "images", per_class=per_class)
    rows = [(f"{p.parent.name}/{p.name}", p.parent.name) for p in sorted(images.rglob("*.png"))]
    return images, rows


def test_csv_missing_the_label_column(tiny, tmp_path):
    images, rows = csv_data(tmp_path)
    table = write_csv(images / "meta.csv", rows, header=("image", "mood"))
    result = invoke(*run_args(table, tmp_path))
    assert result.exit_code == 4
    assert f"{table} has no label column" in result.output
    assert "--set loader.label_column=NAME" in result.output


def test_csv_label_not_in_the_task_is_listed_with_did_you_mean(tiny, tmp_path):
    images, rows = csv_data(tmp_path)
    rows[0] = (rows[0][0], "darkk")
    table = write_csv(images / "meta.csv", rows)
    result = invoke(*run_args(table, tmp_path))
    assert result.exit_code == 4
    assert "'darkk' (1) Did you mean 'dark'?" in result.output
    assert "--set label_map.SRC=CLASS" in result.output
    result = invoke("data", "check", table, "--task", "tiny-task")
    assert result.exit_code == 1 and "Did you mean 'dark'?" in result.output


def test_csv_row_naming_a_missing_file(tiny, tmp_path):
    images, rows = csv_data(tmp_path)
    table = write_csv(images / "meta.csv", [*rows, ("dark/gone.png", "dark")])
    result = invoke("data", "check", table, "--task", "tiny-task")
    assert result.exit_code == 0
    assert "1 x missing file" in result.output and "'dark/gone.png'" in result.output


@pytest.mark.parametrize("escape", ["../../etc/passwd", "/etc/hostname"])
def test_csv_path_escaping_the_data_root(tiny, tmp_path, escape):
    images, rows = csv_data(tmp_path)
    table = write_csv(images / "meta.csv", [*rows, (escape, "dark")])
    result = invoke(*run_args(table, tmp_path))
    assert result.exit_code == 4
    assert f"image path '{escape}' points outside the data root" in result.output


def test_latin1_csv_is_read_with_a_note(tiny, tmp_path):
    images, rows = csv_data(tmp_path)
    make_image(images / "dark" / "café.png", seed=99)
    table = write_csv(images / "meta.csv", [*rows, ("dark/café.png", "dark")], encoding="latin-1")
    result = invoke("data", "check", table, "--task", "tiny-task", "--json")
    report = json.loads(result.output)
    assert result.exit_code == 0 and report["counts"]["unsplit"]["dark"] == 7
    assert any("is not UTF-8; read it as latin-1" in w for w in report["warnings"])


def test_duplicate_csv_rows_are_counted(tiny, tmp_path):
    images, rows = csv_data(tmp_path)
    table = write_csv(images / "meta.csv", [*rows, rows[0], rows[1]])
    result = invoke("data", "check", table, "--task", "tiny-task")
    assert result.exit_code == 0 and "2 x duplicate row" in result.output


def test_class_present_only_in_test(tiny, tmp_path):
    data = make_data(tmp_path / "set", classes=("dark",), splits=("train",))
    make_data(tmp_path / "set", classes=("dark", "light"), splits=("test",), per_class=3)
    result = invoke(*run_args(data, tmp_path))
    assert result.exit_code == 4
    assert "Class(es) light occur in test but not in train" in result.output


def test_single_class(tiny, tmp_path):
    data = make_data(tmp_path / "set", classes=("dark",))
    result = invoke(*run_args(data, tmp_path))
    assert result.exit_code == 4
    assert "The data holds a single class (dark)" in result.output


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--model", "tiny-cn", "Did you mean 'tiny-cnn'"),
        ("--loader", "foldr", "Did you mean 'folder'"),
        ("--augmenter", "papr", "Known augmenters"),
    ],
)
def test_unknown_names(tiny, tmp_path, flag, value, message):
    result = invoke(*run_args(make_data(tmp_path / "set"), tmp_path, flag, value))
    assert result.exit_code == 3 and value in result.output and message in result.output


def test_unknown_task(tiny, tmp_path):
    result = invoke("run", "tiny-tsk", "--data", tmp_path)
    assert result.exit_code == 3 and "Unknown task 'tiny-tsk'" in result.output
    assert "Did you mean 'tiny-task'" in result.output


@pytest.mark.parametrize(
    "pair, message",
    [
        ("epocs=2", "Unknown setting 'epocs' in options. Did you mean 'epochs'?"),
        ("epochs=abc", "'epochs' takes a int; received 'abc'"),
        ("lr=-1", "lr (learning rate) must be above 0; received -1.0"),
        ("epochs", "--set takes KEY=VALUE; received 'epochs'"),
        ("cache=ram", "cache must be one of auto, memory, disk, none; received 'ram'"),
    ],
)
def test_invalid_set(tiny, tmp_path, pair, message):
    result = invoke(*run_args(tmp_path, tmp_path, "--set", pair))
    assert result.exit_code == 3 and message in result.output


@pytest.mark.parametrize(
    "flag, value, message",
    [
        ("--epochs", "0", "epochs must be a positive whole number; received 0"),
        ("--epochs", "-3", "epochs must be a positive whole number; received -3"),
        ("--batch-size", "0", "batch_size must be a positive whole number; received 0"),
    ],
)
def test_non_positive_numbers(tiny, tmp_path, flag, value, message):
    result = invoke(*run_args(tmp_path, tmp_path, flag, value))
    assert result.exit_code == 3 and message in result.output


@pytest.mark.parametrize("where", ["file", "under_a_file"])
def test_output_folder_that_cannot_be_written(tiny, tmp_path, where):
    data = make_data(tmp_path / "set")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    output = blocker if where == "file" else blocker / "runs"
    result = invoke("run", "tiny-task", "--data", data, "--output", output, "--report", "none")
    assert result.exit_code == 3
    assert "Cannot create the run folder under" in result.output and str(blocker) in result.output
    assert "Pick a writable folder with --output" in result.output


# --- models with code in them are refused unless the caller opts in ----------------


@pytest.fixture
def lambda_model(tmp_path):
    import keras

    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))
    path = tmp_path / "lambda.keras"
    model.save(path)
    return path


def test_lambda_model_is_refused_naming_unsafe(tiny, tmp_path, lambda_model):
    import imgclf

    data = make_data(tmp_path / "set", per_class=2)
    result = invoke("evaluate", lambda_model, "--task", "tiny-task", "--data", data)
    assert result.exit_code == 3
    assert "Lambda layer" in result.output and "--unsafe" in result.output
    with pytest.raises(imgclf.ModelError, match="unsafe=True"):
        imgclf.load_model(lambda_model)
    assert imgclf.load_model(lambda_model, unsafe=True).output_shape == (None, 2)
    result = invoke(
        "evaluate", lambda_model, "--task", "tiny-task", "--data", data, "--unsafe",
        "--output", tmp_path / "evals", "--report", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "evals").iterdir()
    assert json.loads((folder / "metrics.json").read_text())["n"] == 4
