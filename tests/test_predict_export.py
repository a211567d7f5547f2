"""``imgclf predict`` and ``imgclf export``: JSON output, every format, agreement with Keras.

Tolerances (also in docs/deploy.md): SavedModel and float TFLite give the Keras
scores to 1e-5 and the same argmax on every image; float16 within 1e-2, dynamic
within 5e-2, int8 within 0.15 of a probability.
"""

import csv
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf._cli import cli
from imgclf.testing import (
    make_image,
    make_image_folder,
    plugin_registered,
    tiny_model_with_training_layers,
)

TASK = TaskSpec("px-task", ("dark", "mid", "light"), input_size=16, default_model="aug-cnn")
BINARY = TaskSpec(
    "px-binary", ("no", "yes"), input_size=16, head="sigmoid", default_model="aug-cnn"
)


def aug_cnn(input_shape, head):
    """Flip, rotation, dropout and batch norm inside: none may reach an exported file."""
    return tiny_model_with_training_layers(input_shape, head)


class Plugin:
    @hookimpl
    def register_tasks(self, register):
        register("px-task", TASK)
        register("px-binary", BINARY)

    @hookimpl
    def register_models(self, register):
        register("aug-cnn", aug_cnn)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("px")
    data = make_image_folder(tmp / "data", ("dark", "mid", "light"), per_class=12)
    binary = make_image_folder(tmp / "bin", ("no", "yes"), per_class=12)
    quiet = {"epochs": 2, "seed": 1, "report": [], "batch_size": 8}
    with plugin_registered(Plugin(), "px-plugin"):
        multi = imgclf.run(
            "px-task", data=data, output=tmp / "runs", console=Console(file=io.StringIO()), **quiet
        )
        two = imgclf.run(
            "px-binary",
            data=binary,
            output=tmp / "runs",
            console=Console(file=io.StringIO()),
            **quiet,
        )
        yield multi, two, data, binary


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_run_keeps_its_splits(runs):
    multi = runs[0]
    with open(multi.run_dir / "splits.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_split = {s: [r for r in rows if r["split"] == s] for s in ("train", "val", "test")}
    assert len(rows) == 36 and all(by_split.values())
    assert [r["path"] for r in by_split["test"]] == multi.result.paths


def test_predict_folder_json_schema(runs):
    multi, _, data, _ = runs
    r = invoke("predict", multi.run_dir, data, "--json", "--top-k", "2", "--batch-size", "5")
    assert r.exit_code == 0, r.output + r.stderr
    rows = json_lines(r.stdout)
    files = imgclf.collect_images([data])
    assert [row["path"] for row in rows] == files and len(files) == 36
    scores = imgclf.predict(multi.run_dir, [data])
    for row, s in zip(rows, scores):
        assert set(row) == {"path", "label", "score", "top"}
        assert [t["class"] for t in row["top"]] == [TASK.classes[i] for i in np.argsort(-s)[:2]]
        assert row["label"] == row["top"][0]["class"]
        assert row["score"] == pytest.approx(float(s.max()), abs=1e-6)
        assert row["top"][0]["score"] >= row["top"][1]["score"]


def test_predict_files_text_and_unreadable(runs, tmp_path):
    multi, _, data, _ = runs
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    good = sorted((data / "light").glob("*.png"))[:2]
    r = invoke("predict", multi.run_dir, good[0], bad, good[1], "--json")
    assert r.exit_code == 1
    rows = json_lines(r.stdout)
    assert rows[0] == {"path": str(bad), "error": rows[0]["error"]} and "text" in rows[0]["error"]
    assert [row["path"] for row in rows[1:]] == [str(good[0]), str(good[1])]
    assert "notes.png" in r.stderr and "1 of 3" in r.stderr
    text = invoke("predict", multi.run_dir, good[0], "--top-k", "3")
    assert text.exit_code == 0 and str(good[0]) in text.stdout
    assert all(c in text.stdout for c in TASK.classes)


def test_predict_binary_uses_threshold(runs):
    _, two, _, binary = runs
    r = invoke("predict", two.run_dir, binary / "yes", "--json")
    rows = json_lines(r.stdout)
    threshold = json.loads((two.run_dir / "config.json").read_text())["threshold"]
    for row in rows:
        assert set(row) == {"path", "label", "score", "positive", "threshold"}
        assert row["positive"] == "yes" and row["threshold"] == pytest.approx(threshold)
        assert row["label"] == ("yes" if row["score"] >= threshold else "no")


def graph_ops(path):
    import tensorflow as tf

    fn = tf.saved_model.load(str(path)).signatures["serving_default"]
    g = fn.graph.as_graph_def()
    return {n.op for n in g.node} | {n.op for f in g.library.function for n in f.node_def}


def test_export_savedmodel_has_no_training_layers(runs):
    multi, _, data, _ = runs
    r = invoke("export", multi.run_dir, "--format", "savedmodel")
    assert r.exit_code == 0, r.output + r.stderr
    path = multi.run_dir / "exports" / "savedmodel"
    ops = graph_ops(path)
    assert "Conv2D" in ops
    assert not [o for o in ops if "Random" in o or "Dropout" in o or "Assign" in o], ops
    report = json.loads((path.parent / "savedmodel.eval.json").read_text())
    assert report["agreement"] == 1.0 and report["max_abs_score_diff"] < 1e-5
    assert report["keras"]["accuracy"] == pytest.approx(multi.metrics["accuracy"])
    files = imgclf.collect_images([data])
    np.testing.assert_allclose(
        imgclf.predict(path, files), imgclf.predict(multi.run_dir, files), atol=1e-5
    )


@pytest.mark.parametrize(
    "quantize, atol", [("none", 1e-5), ("float16", 1e-2), ("dynamic", 5e-2), ("int8", 0.15)]
)
def test_export_tflite_agrees_with_keras(runs, quantize, atol):
    multi, _, data, _ = runs
    r = invoke("export", multi.run_dir, "--quantize", quantize)
    assert r.exit_code == 0, r.output + r.stderr
    tag = "float32" if quantize == "none" else quantize
    path = multi.run_dir / "exports" / f"model-{tag}.tflite"
    assert "MB" in r.stdout and f"{path.stat().st_size:,} bytes" in r.stdout
    report = json.loads(path.with_name(path.name + ".eval.json").read_text())
    assert report["quantize"] == quantize and report["n"] == len(multi.result.paths)
    files = imgclf.collect_images([data])
    keras_scores, lite = imgclf.predict(multi.run_dir, files), imgclf.predict(path, files)
    assert np.abs(lite - keras_scores).max() <= atol
    if quantize == "none":  # exact argmax agreement for float TFLite
        assert (lite.argmax(1) == keras_scores.argmax(1)).all() and report["agreement"] == 1.0
    out = invoke("predict", path, files[0], "--json")
    assert json_lines(out.stdout)[0]["label"] in TASK.classes


def test_tflite_ops_are_inference_only(runs):
    from imgclf._prediction.predictors import tflite_interpreter

    path = runs[0].run_dir / "exports" / "model-float32.tflite"
    if not path.exists():
        invoke("export", runs[0].run_dir)
    ops = {d["op_name"] for d in tflite_interpreter(path)._get_ops_details()}
    assert ops <= {"CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX", "MUL", "ADD"}, ops


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "savedmodel", "--quantize", "int8"], "TFLite only"),
        (["--quantize", "bits"], "'bits' is not one of"),
    ],
)
def test_export_bad_options(runs, args, message):
    r = invoke("export", runs[0].run_dir, *args)
    assert r.exit_code != 0 and message in r.output + r.stderr


def test_export_and_predict_bad_input(runs, tmp_path):
    multi = runs[0]
    bare = tmp_path / "bare.keras"
    bare.write_bytes((multi.run_dir / "model.keras").read_bytes())
    r = invoke("export", bare, "--task", "px-task", "--quantize", "int8")
    assert r.exit_code != 0 and "training images" in r.stderr
    r = invoke("export", bare, "--task", "px-task")  # bare file: exported, not compared
    assert r.exit_code == 0 and "Not evaluated" in r.stdout
    lone = tmp_path / "lone.tflite"
    lone.write_bytes((tmp_path / "bare-exports" / "model-float32.tflite").read_bytes())
    r = invoke("predict", lone, make_image(tmp_path / "x.png"))
    assert r.exit_code != 0 and "lone.json" in r.stderr
    r = invoke("export", tmp_path / "bare-exports" / "model-float32.tflite")
    assert r.exit_code != 0 and "already exported" in r.stderr
    r = invoke("predict", multi.run_dir, tmp_path / "missing")
    assert r.exit_code != 0 and "missing" in r.stderr
    (tmp_path / "empty").mkdir()
    r = invoke("predict", multi.run_dir, tmp_path / "empty")
    assert r.exit_code != 0 and "no image files" in r.stderr
