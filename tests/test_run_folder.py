"""A run folder stands on its own (issue 14, item 6).

Its data paths resolve from any working directory (splits.csv and config.json
record them absolute), and predict, evaluate, export and report need only the
folder: the plugin that registered the run's task may be gone.
"""

import csv
import json
import os

import numpy as np
import pytest

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf.errors import DataError, ModelError
from imgclf.testing import invoke_cli, make_image_folder, plugin_registered, tiny_model

CLASSES = ("dark", "mid", "light")
TASK = TaskSpec("rf-task", CLASSES, input_size=32, default_model="rf-net")


class Plugin:
    @hookimpl
    def register_tasks(self, register):
        register("rf-task", TASK)

    @hookimpl
    def register_models(self, register):
        register("rf-net", tiny_model)


def tiny_run(data):
    return imgclf.run(
        "rf-task", data=data, epochs=1, image_size=32, batch_size=8, seed=0, report=[],
        output="runs",
    )  # fmt: skip


def invoke(*args):
    result = invoke_cli(*[str(a) for a in args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result


@pytest.fixture(scope="module")
def relative_run(tmp_path_factory):
    """A run started in ``proj/`` with ``--data ../data``, as a user would."""
    tmp = tmp_path_factory.mktemp("rf")
    make_image_folder(tmp / "data", CLASSES, per_class=10, size=32)
    (tmp / "proj").mkdir()
    (tmp / "other" / "place").mkdir(parents=True)  # where ../data is not the data
    cwd = os.getcwd()
    os.chdir(tmp / "proj")
    try:
        with plugin_registered(Plugin(), "rf-plugin"):
            result = tiny_run("../data")
    finally:
        os.chdir(cwd)
    return tmp, (tmp / "proj" / result.run_dir).resolve()


def test_run_folder_records_absolute_data_paths(relative_run):
    tmp, run_dir = relative_run
    with open(run_dir / "splits.csv", newline="", encoding="utf-8") as fh:
        paths = [row["path"] for row in csv.DictReader(fh)]
    assert paths and all(os.path.isabs(p) and os.path.isfile(p) for p in paths)
    config = json.loads((run_dir / "config.json").read_text())
    assert config["data"] == [os.path.abspath(tmp / "data")]


def test_export_int8_and_evaluate_from_another_directory(relative_run, monkeypatch):
    tmp, run_dir = relative_run
    monkeypatch.chdir(tmp / "other" / "place")
    with plugin_registered(Plugin(), "rf-plugin"):
        out = invoke("export", run_dir, "--format", "tflite", "--quantize", "int8")
        assert (run_dir / "exports").is_dir(), out.output
        invoke("evaluate", run_dir, "--report", "json")  # the run's own test split, from splits.csv
    evaluation = sorted((run_dir / "evaluations").iterdir())[-1]
    with open(evaluation / "predictions.csv", newline="", encoding="utf-8") as fh:
        evaluated = list(csv.DictReader(fh))
    with open(run_dir / "splits.csv", newline="", encoding="utf-8") as fh:
        assert len(evaluated) == sum(r["split"] == "test" for r in csv.DictReader(fh))


def test_old_relative_splits_resolve_against_cwd_or_name_a_missing_file(
    relative_run, tmp_path, monkeypatch
):
    """A run folder written before paths were absolute: read from where it was started,
    and a clear error (run folder, one missing path, what to do) from anywhere else."""
    tmp, run_dir = relative_run
    old = tmp_path / "old-run"
    old.mkdir()
    for name in ("config.json", "model.keras"):
        (old / name).write_bytes((run_dir / name).read_bytes())
    with open(run_dir / "splits.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    with open(old / "splits.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, ["split", "path", "label"], extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "path": os.path.relpath(row["path"], tmp / "proj")})
    monkeypatch.chdir(tmp / "proj")
    n_test = sum(r["split"] == "test" for r in rows)
    assert len(imgclf.evaluate(old, report=[]).result.y_true) == n_test
    monkeypatch.chdir(tmp_path)  # where ../data/... is not
    with pytest.raises(DataError) as info:
        imgclf.export(old, "tflite", "int8")
    text = str(info.value)
    assert str(old) in text and "../data/" in text and "directory" in text


@pytest.fixture(scope="module")
def orphan_run(tmp_path_factory):
    """A run of a task whose plugin is then unregistered (as after ``pip uninstall``),
    with its predictions and evaluation taken while the plugin was there."""
    tmp = tmp_path_factory.mktemp("orphan")
    data = make_image_folder(tmp / "data", CLASSES, per_class=8, size=32)
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        with plugin_registered(Plugin(), "rf-plugin"):
            run_dir = (tmp / tiny_run(str(data)).run_dir).resolve()
            before = imgclf.predict(run_dir, [data])
            evaluated = imgclf.evaluate(run_dir, data, report=[]).result
    finally:
        os.chdir(cwd)
    assert "rf-task" not in imgclf.list_tasks()
    return data, run_dir, before, evaluated


def test_predict_without_the_tasks_plugin(orphan_run):
    data, run_dir, before, _ = orphan_run
    np.testing.assert_allclose(imgclf.predict(run_dir, [data]), before, atol=1e-6)
    out = invoke("predict", run_dir, data, "--json")
    rows = [json.loads(line) for line in out.output.splitlines() if line.startswith("{")]
    assert len(rows) == len(before)
    assert [r["label"] for r in rows] == [CLASSES[i] for i in before.argmax(1)]


def test_evaluate_without_the_tasks_plugin(orphan_run, tmp_path):
    data, run_dir, before, evaluated = orphan_run
    out = invoke("evaluate", run_dir, "--data", data, "--output", tmp_path, "--report", "json")
    assert "'rf-task' is not installed" in out.output
    folder = next(tmp_path.iterdir())
    with open(folder / "predictions.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["predicted"] for r in rows] == [evaluated.classes[i] for i in evaluated.y_pred]
    scores = np.array([[float(r[c]) for c in CLASSES] for r in rows])
    np.testing.assert_allclose(scores, evaluated.scores, atol=1e-5)
    config = json.loads((folder / "config.json").read_text())
    assert config["task"] == "rf-task" and tuple(config["classes"]) == CLASSES


def test_export_and_report_without_the_tasks_plugin(orphan_run):
    _, run_dir, _, _ = orphan_run
    invoke("export", run_dir, "--format", "tflite")
    invoke("report", run_dir, "--report", "json")


def test_a_layer_of_a_missing_plugin_is_named(tmp_path):
    import keras

    @keras.saving.register_keras_serializable(package="imgclf_gone_plugin")
    class GoneLayer(keras.layers.Layer):
        def call(self, x):
            return x

    inputs = keras.Input((8, 8, 3))
    model = keras.Model(inputs, GoneLayer()(inputs))
    model.save(tmp_path / "model.keras")
    del keras.saving.get_custom_objects()["imgclf_gone_plugin>GoneLayer"]
    with pytest.raises(ModelError) as info:
        imgclf.load_model(tmp_path / "model.keras")
    assert "'GoneLayer'" in str(info.value) and "'imgclf_gone_plugin'" in str(info.value)
    assert "Install the plugin" in str(info.value)


@pytest.mark.parametrize(
    "model, folder",
    [
        ("face_emotion:alexnet", "alexnet"),
        ("efficientnetv2-b0", "efficientnetv2-b0"),
        ("hub:resnet_50_imagenet", "hub-resnet_50_imagenet"),
        ("hub:/data/presets/my-resnet", "hub-my-resnet"),  # a local preset folder
        ("hub:kaggle://keras/resnetv2/keras/resnet_50_imagenet/2", "hub-resnet_50_imagenet"),
    ],
)
def test_a_run_folder_is_one_path_component_per_name(tmp_path, model, folder):
    """A model name never places the run folder elsewhere (a ``hub:`` path did)."""
    from imgclf._run_folder.rundir import new_run_dir

    run_dir = new_run_dir(tmp_path / "runs", "covid-xray", model)
    assert run_dir.parent == tmp_path / "runs" / "covid-xray" / folder
