"""``imgclf export --format onnx`` and ``.onnx`` files in ``imgclf predict``.

The ONNX file is converted by tf2onnx from the inference pass (``training=False``)
and checked like TFLite: ONNX Runtime on the run's test split next to Keras, the
accuracy delta and label agreement printed and saved in ``<file>.eval.json``. The
tests that convert or run a file skip without the ``onnx`` extra; the ones that
check the message a user without it gets run everywhere (the import is made to fail).
"""

import json
import re
import sys

import numpy as np
import pytest
from click.testing import CliRunner

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf._cli import cli
from imgclf.testing import (
    make_image,
    make_image_folder,
    plugin_registered,
    run_tiny,
    tiny_model_with_training_layers,
)

CLASSES = ("dark", "mid", "light")
TASK = TaskSpec("onnx-task", CLASSES, input_size=32, default_model="onnx-cnn")
EXTRA = 'pip install "imgclf[onnx]"'
ONNX_MODULES = ("tf2onnx", "onnx", "onnxruntime")


def onnx_cnn(input_shape, head):
    """Without rotation: the flip, dropout and batch norm may not reach the file."""
    return tiny_model_with_training_layers(input_shape, head, rotation=False)


class Plugin:
    @hookimpl
    def register_tasks(self, register):
        register("onnx-task", TASK)

    @hookimpl
    def register_models(self, register):
        register("onnx-cnn", onnx_cnn)


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A tiny trained run (32 px, 1 epoch), exported to ONNX through the CLI."""
    for module in ONNX_MODULES:
        pytest.importorskip(module, reason=f"{module} is not installed: {EXTRA}")
    tmp = tmp_path_factory.mktemp("onnx")
    data = make_image_folder(tmp / "data", CLASSES, per_class=8, size=32)
    with plugin_registered(Plugin(), "onnx-plugin"):
        result = run_tiny("onnx-task", data, tmp, image_size=32)
        r = invoke("export", result.run_dir, "--format", "onnx")
        yield result, data, r


def test_export_onnx_prints_and_saves_the_comparison(exported):
    result, _, r = exported
    assert r.exit_code == 0, r.output + r.stderr
    path = result.run_dir / "exports" / "model.onnx"
    assert path.is_file() and f"{path.stat().st_size:,} bytes" in r.stdout
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["format"] == "onnx" and side["opset"] == 17 and side["classes"] == list(CLASSES)
    report = json.loads(path.with_name("model.onnx.eval.json").read_text())
    assert report["format"] == "onnx" and report["n"] == len(result.result.paths)
    assert report["keras"]["accuracy"] == pytest.approx(result.metrics["accuracy"])
    assert report["exported"]["accuracy"] == pytest.approx(report["keras"]["accuracy"])
    assert report["agreement"] == 1.0 and report["max_abs_score_diff"] < 1e-5
    assert report["runtime"].startswith("onnxruntime ")
    k, e = report["keras"]["accuracy"], report["exported"]["accuracy"]
    cells = [f"{k:.4f}", f"{e:.4f}", f"{e - k:+.4f}"]
    assert re.search(r"│ accuracy\s+│\s+" + r"\s+│\s+".join(map(re.escape, cells)), r.stdout)
    assert re.search(r"│ label agreement\s+│\s+│\s+1\.0000", r.stdout), r.stdout
    assert f"run by {report['runtime']}" in r.stdout


def test_onnxruntime_gives_keras_outputs(exported):
    import keras
    import onnx
    import onnxruntime

    result = exported[0]
    path = result.run_dir / "exports" / "model.onnx"
    ops = {n.op_type for n in onnx.load(str(path)).graph.node}
    assert "Conv" in ops and not [o for o in ops if "Random" in o or "Dropout" in o], ops
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["image"]
    batch = np.random.default_rng(0).random((5, 32, 32, 3), dtype="float32")
    model = keras.models.load_model(result.run_dir / "model.keras")
    expected = model(batch, training=False).numpy()
    got = session.run(None, {"image": batch})[0]
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_predict_reads_an_onnx_file(exported):
    result, data, _ = exported
    path = result.run_dir / "exports" / "model.onnx"
    r = invoke("predict", path, data, "--json", "-v")
    assert r.exit_code == 0 and "(onnx, runtime onnxruntime " in r.stderr, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    files = imgclf.collect_images([data])
    keras_scores = imgclf.predict(result.run_dir, files)
    assert [row["path"] for row in rows] == files
    assert [row["label"] for row in rows] == [CLASSES[i] for i in keras_scores.argmax(1)]
    np.testing.assert_allclose(imgclf.predict(path, files), keras_scores, atol=1e-5)
    r = invoke("export", path, "--format", "onnx")
    assert r.exit_code != 0 and "already exported" in r.stderr


def hide_onnx(monkeypatch):
    """As on a machine without the extra: importing any of its modules fails."""
    for module in ONNX_MODULES:
        monkeypatch.setitem(sys.modules, module, None)


def test_export_without_the_extra_names_it(monkeypatch, tmp_path):
    hide_onnx(monkeypatch)
    r = invoke("export", tmp_path / "some-run", "--format", "onnx")
    assert r.exit_code == 3 and EXTRA in r.stderr and "tf2onnx" in r.stderr, r.stderr
    assert "Traceback" not in r.output + r.stderr


def test_predict_onnx_without_the_extra_names_it(monkeypatch, tmp_path):
    hide_onnx(monkeypatch)
    model = tmp_path / "model.onnx"
    model.write_bytes(b"not read: the runtime is missing")
    meta = {"classes": list(CLASSES), "head": "softmax", "image_size": 32, "format": "onnx"}
    model.with_suffix(".json").write_text(json.dumps(meta))
    r = invoke("predict", model, make_image(tmp_path / "x.png"))
    assert r.exit_code == 3 and EXTRA in r.stderr and "onnxruntime" in r.stderr, r.stderr
    assert "Traceback" not in r.output + r.stderr


def test_onnx_is_not_quantized(tmp_path):
    r = invoke("export", tmp_path, "--format", "onnx", "--quantize", "int8")
    assert r.exit_code != 0 and "TFLite only" in r.stderr and "--format onnx" in r.stderr
