"""The built-in ``classify`` task: classes from the data (folder names or a CSV label
column), the head chosen by how many there are, and every run feature working from
the run folder's config.json (evaluate, predict, export, report, resume)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.console import Console

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf.errors import ConfigError, DataError, PluginError
from imgclf.testing import (
    invoke_cli,
    make_image_folder,
    plugin_registered,
    prepare_data,
    shared_data,
    tiny_model,
)

MODEL = "classify-tiny-cnn"
SMALL = ["--epochs", "1", "--image-size", "32", "--batch-size", "8", "--seed", "0"]


class Sized:
    """A builder that names its input size, as pretrained backbones do."""

    default_size = 24

    def __call__(self, input_shape, head):
        return tiny_model(input_shape, head)


class TinyModel:
    @hookimpl
    def register_models(self, register):
        register(MODEL, tiny_model)
        register(f"{MODEL}-sized", Sized())


@pytest.fixture(scope="module")
def model():
    with plugin_registered(TinyModel(), "classify-tiny"):
        yield MODEL


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))


def run_cli(*args):
    r = invoke_cli(*map(str, args))
    assert r.exit_code == 0, r.output + (str(r.exception) if r.exception else "")
    return r


def run_dir_of(output):
    (config,) = output.rglob("config.json")
    return config.parent


def config_of(run_dir):
    return json.loads((run_dir / "config.json").read_text())


def api_run(data, tmp_path, **options):
    settings = {"epochs": 1, "image_size": 32, "batch_size": 8, "seed": 0, "report": []}
    settings.update(options)
    return imgclf.run(
        "classify", data=data, output=tmp_path / "runs",
        console=Console(file=io.StringIO(), width=120), **settings,
    )  # fmt: skip


def config(data, **options):
    return imgclf.make_config("classify", data=data, **options)


@pytest.fixture(scope="module")
def three(tmp_path_factory, model):
    """A finished 3-class run (every reporter), trained once for the tests below."""
    tmp = tmp_path_factory.mktemp("three")
    data = make_image_folder(tmp / "flowers", ("tulip", "daisy", "rose"), per_class=8, size=32)
    out = tmp / "runs"
    r = run_cli("run", "classify", "--data", data, "--model", model, "--output", out, *SMALL)
    return data, run_dir_of(out), r.output


def test_three_folders_train_a_softmax_head_on_sorted_classes(three):
    data, run_dir, output = three
    saved = config_of(run_dir)
    assert saved["classes"] == ["daisy", "rose", "tulip"] and saved["head"] == "softmax"
    assert saved["task"] == "classify" and saved["image_size"] == 32
    assert run_dir.parent.parent.name == "classify"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert "accuracy" in metrics
    assert (run_dir / "report.html").is_file() and (run_dir / "plots" / "gradcam.png").is_file()
    assert "classes: daisy, rose, tulip" in " ".join(output.split())


def test_evaluate_predict_and_report_read_the_classes_from_the_run_folder(three, tmp_path):
    data, run_dir, _ = three
    r = run_cli("evaluate", run_dir, "--report", "json")
    assert "Traceback" not in r.output
    other = make_image_folder(tmp_path / "other", ("rose", "daisy"), per_class=3, size=32)
    run_cli("evaluate", run_dir, "--data", other, "--report", "json")
    image = next((data / "rose").iterdir())
    r = run_cli("predict", run_dir, image, "--json")
    line = json.loads(r.output.strip().splitlines()[0])
    assert line["label"] in ("daisy", "rose", "tulip")
    run_cli("report", run_dir)
    r = run_cli("export", run_dir)  # TFLite, compared with the Keras model on the test split
    (exported,) = (run_dir / "exports").glob("*.tflite")
    assert json.loads(exported.with_suffix(".json").read_text())["classes"] == [
        "daisy", "rose", "tulip"
    ]  # fmt: skip
    line = json.loads(run_cli("predict", exported, image, "--json").output.splitlines()[0])
    assert line["label"] in ("daisy", "rose", "tulip")


def test_evaluate_on_data_with_an_unknown_label_is_a_clear_error(three, tmp_path):
    _, run_dir, _ = three
    other = make_image_folder(tmp_path / "other", ("rose", "lily"), per_class=3, size=32)
    r = invoke_cli("evaluate", str(run_dir), "--data", str(other))
    out = " ".join(r.output.split())
    assert r.exit_code == 4 and "Traceback" not in out
    assert "'lily' (3)" in out and "The run's classes: daisy, rose, tulip" in out
    run_cli("evaluate", run_dir, "--data", other, "--map", "lily=", "--report", "json")


def test_a_bare_keras_file_of_classify_needs_its_run_folder(three, tmp_path):
    _, run_dir, _ = three
    bare = tmp_path / "bare.keras"
    bare.write_bytes((run_dir / "model.keras").read_bytes())
    r = invoke_cli("evaluate", str(bare), "--task", "classify", "--data", str(tmp_path))
    assert r.exit_code == 3 and "give the model's run folder" in " ".join(r.output.split())


def test_data_check_with_classify_takes_every_label(tmp_path):
    data = make_image_folder(tmp_path / "d", ("b", "a"), per_class=4, size=16)
    r = invoke_cli("data", "check", str(data), "--task", "classify", "--json")
    report = json.loads(r.output)
    assert not report["unknown_labels"] and set(report["counts"]["unsplit"]) == {"a", "b"}


def test_two_folders_train_a_sigmoid_head_scoring_the_second_class(model, tmp_path):
    data = make_image_folder(tmp_path / "d", ("dog", "cat"), per_class=12, size=32)
    result = api_run(
        data, tmp_path, model=f"{model}-sized", image_size=None, threshold="youden",
        class_weight="auto", val_fraction=0.3,
    )  # fmt: skip
    saved = config_of(result.run_dir)
    assert saved["image_size"] == 24 and result.model.input_shape[1:] == (24, 24, 3)
    assert saved["classes"] == ["cat", "dog"] and saved["head"] == "sigmoid"
    assert result.model.output_shape[-1] == 1
    assert saved["threshold_rule"] == "youden" and 0 <= saved["threshold"] <= 1
    assert result.result.threshold == saved["threshold"]
    image = next((data / "dog").iterdir())
    r = run_cli("predict", result.run_dir, image, "--json")
    line = json.loads(r.output.strip().splitlines()[0])
    assert line["positive"] == "dog" and line["label"] in ("cat", "dog")
    assert (line["label"] == "dog") == (line["score"] >= line["threshold"])


def test_train_and_test_folders_are_respected(model, tmp_path):
    data = tmp_path / "split"
    make_image_folder(data, ("b", "a"), per_class=6, size=32, splits=("train", "test"))
    prepared = prepare_data(config(data, model=model, allow_leakage=True))  # copies: synthetic
    assert prepared.classes == ("a", "b") and prepared.head.kind == "sigmoid"
    assert {r.split for r in prepared.splits["test"]} == {"test"}


def write_csv(path, rows, header=("image", "kind")):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_a_csv_label_column_gives_the_classes(model, tmp_path):
    images = make_image_folder(tmp_path / "img", ("x", "y", "z"), per_class=6, size=16)
    names = {"x": "Sunny", "y": "Rainy ", "z": "Cloudy"}
    rows = [(p.relative_to(tmp_path), names[p.parent.name]) for p in sorted(images.rglob("*.png"))]
    table = write_csv(tmp_path / "labels.csv", rows)
    cfg = config(table, model=model, loader_options={"label_column": "kind"})  # csv detected
    prepared = prepare_data(cfg)
    assert prepared.classes == ("Cloudy", "Rainy", "Sunny") and prepared.head.kind == "softmax"


def test_label_map_renames_and_drops_and_groups_stay_together(model, tmp_path):
    data = make_image_folder(tmp_path / "d", ("cats", "dogs", "birds"), per_class=12, size=16)
    cfg = config(
        data, model=model, label_map={"cats": "feline", "birds": ""},
        loader_options={"group_pattern": r"img_\d+_(\d)"},
    )  # fmt: skip
    prepared = prepare_data(cfg)
    assert prepared.classes == ("dogs", "feline") and prepared.head.kind == "sigmoid"
    assert prepared.skipped["label 'birds' left out"] == 12
    groups = {s: {r.group for r in part} for s, part in prepared.splits.items()}
    assert not groups["train"] & groups["test"] and not groups["train"] & groups["val"]


def test_a_single_class_is_a_clear_error_naming_what_was_found(model, tmp_path):
    data = make_image_folder(tmp_path / "one", ("only",), per_class=5, size=16)
    with pytest.raises(DataError) as err:
        prepare_data(config(data, model=model))
    message = str(err.value)
    assert str(data) in message and "'only' (5 images)" in message and "at least two" in message
    two = make_image_folder(tmp_path / "two", ("a", "b"), per_class=5, size=16)
    with pytest.raises(DataError, match=r"holds 'a' \(5 images\) \(left out: 'b' \(5\)\)"):
        prepare_data(config(two, model=model, label_map={"b": ""}))
    r = invoke_cli("run", "classify", "--data", str(data), "--model", model, "--output",
                   str(tmp_path / "runs"))  # fmt: skip
    assert r.exit_code == 4 and "'only' (5 images)" in " ".join(r.output.split())


def test_a_resumed_classify_run_continues_and_its_report_re_renders(model, tmp_path):
    import keras

    class StopAfterTwo:
        @hookimpl
        def extra_callbacks(self, config):
            def end(epoch, logs):
                if epoch == 1 and not (tmp_path / "resumed").exists():
                    raise KeyboardInterrupt

            return [keras.callbacks.LambdaCallback(on_epoch_end=end)]

    data = make_image_folder(tmp_path / "d", ("b", "a", "c"), per_class=6, size=32)
    with plugin_registered(StopAfterTwo(), "stop-after-two"):
        with pytest.raises(KeyboardInterrupt):
            api_run(data, tmp_path, model=model, epochs=3, report=["json"])
        run_dir = run_dir_of(tmp_path / "runs")
        state = json.loads((run_dir / "state.json").read_text())
        assert state["state"] == "interrupted"
        (tmp_path / "resumed").write_text("")
        result = imgclf.run("classify", resume=run_dir, console=Console(file=io.StringIO()))
    assert result.run_dir == run_dir and config_of(run_dir)["classes"] == ["a", "b", "c"]
    epochs = [line.split(",")[0] for line in (run_dir / "history.csv").read_text().splitlines()]
    assert epochs[1:] == ["1", "2", "3"]  # counted from 1, as the console and state.json
    run_cli("report", run_dir, "--report", "json")


def test_taskspec_classes_from_the_data():
    task = TaskSpec("t", (), input_size=None, head="auto")
    assert task.classes_from_data
    assert task.head_for(("a", "b")).kind == "sigmoid" and task.head_for(("a", "b")).units == 1
    assert task.head_for(("a", "b", "c")).kind == "softmax"
    assert task.available_heads()["classes"].kind in ("softmax", "sigmoid")

    def builder(shape, head):
        return None

    builder.default_size = 224
    assert task.image_size(None, builder) == 224 and task.image_size(32, builder) == 32
    assert task.image_size(None, tiny_model) == 128
    with pytest.raises(PluginError, match="head 'auto' is for tasks whose classes come"):
        TaskSpec("t", ("a", "b"), head="auto")
    with pytest.raises(ConfigError, match="takes its classes from the data"):
        imgclf.build_model(MODEL, "classify")


def test_list_describes_classify():
    r = run_cli("list", "tasks")
    row = next(line for line in r.output.splitlines() if "classify" in line)
    assert "classes from the data" in row and "0 classes" not in row


def test_real_xray_folders_end_to_end(model, tmp_path):
    root = shared_data("xray-dataset-covid19", "xray_dataset_covid19")
    out = tmp_path / "runs"
    run_cli("run", "classify", "--data", root, "--model", model, "--output", out, "--limit",
            "60", "--report", "json", *SMALL)  # fmt: skip
    saved = config_of(run_dir_of(out))
    assert saved["classes"] == ["NORMAL", "PNEUMONIA"] and saved["head"] == "sigmoid"
