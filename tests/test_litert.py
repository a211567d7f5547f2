"""``.tflite`` files run on LiteRT (``ai-edge-litert``) when installed, else on ``tf.lite``.

Both runtimes must give the same predictions, and ``imgclf export`` / ``imgclf
predict -v`` must say which one ran. The fallback is forced by making the LiteRT
import fail, as on a machine without the ``litert`` extra.
"""

import json
import sys
from importlib.util import find_spec

import numpy as np
import pytest
from click.testing import CliRunner

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf._cli import cli
from imgclf._prediction.predictors import tflite_runtime
from imgclf.testing import make_image_folder, plugin_registered, run_tiny, tiny_model

TASK = TaskSpec("lite-task", ("dark", "light"), input_size=32, default_model="lite-cnn")
LITERT = "ai-edge-litert"
TFLITE = "tensorflow"


class Plugin:
    @hookimpl
    def register_tasks(self, register):
        register("lite-task", TASK)

    @hookimpl
    def register_models(self, register):
        register("lite-cnn", tiny_model)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lite")
    data = make_image_folder(tmp / "data", ("dark", "light"), per_class=8, size=32)
    with plugin_registered(Plugin(), "lite-plugin"):
        yield run_tiny("lite-task", data, tmp, image_size=32), data


def use_runtime(runtime, monkeypatch):
    """LiteRT as installed (skip without it), or tf.lite with the LiteRT import failing."""
    if runtime == LITERT:
        if find_spec("ai_edge_litert") is None:
            pytest.skip("ai-edge-litert is not installed: pip install 'imgclf[litert]'")
    else:
        monkeypatch.setitem(sys.modules, "ai_edge_litert", None)
        monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)


@pytest.mark.parametrize("runtime", [LITERT, TFLITE])
def test_runtime_choice(runtime, monkeypatch):
    use_runtime(runtime, monkeypatch)
    interpreter, name = tflite_runtime()
    assert name.startswith(runtime)
    if runtime == TFLITE:
        import tensorflow as tf

        assert interpreter is tf.lite.Interpreter and name.endswith("(tf.lite)")


@pytest.mark.parametrize("runtime", [LITERT, TFLITE])
def test_export_and_predict_give_keras_predictions(run, runtime, monkeypatch, tmp_path):
    use_runtime(runtime, monkeypatch)
    result, data = run
    path = tmp_path / "model.tflite"
    r = CliRunner().invoke(cli, ["export", str(result.run_dir), "--output", str(path)])
    assert r.exit_code == 0, r.output + r.stderr
    report = json.loads(path.with_name("model.tflite.eval.json").read_text())
    assert report["runtime"].startswith(runtime) and f"run by {runtime}" in r.stdout
    assert report["agreement"] == 1.0 and report["max_abs_score_diff"] < 1e-5

    r = CliRunner().invoke(cli, ["predict", str(path), str(data), "--json", "-v"])
    assert r.exit_code == 0 and f"(tflite, runtime {runtime}" in r.stderr, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    files = imgclf.collect_images([data])
    keras = imgclf.predict(result.run_dir, files)
    assert [row["path"] for row in rows] == files
    assert [row["label"] for row in rows] == [TASK.classes[i] for i in keras.argmax(1)]
    np.testing.assert_allclose([row["score"] for row in rows], keras.max(1), atol=1e-5)
