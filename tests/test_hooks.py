"""One test per hook: a plugin registered for the test is used by a real (tiny) run."""

import json

import imgclf
from imgclf import _plugins as plugins


def run(tiny, tmp_path, **kw):
    return imgclf.run("tiny-task", data=tiny.data, output=tmp_path / "runs", seed=1, **kw)


def test_hook_register_tasks(tiny):
    assert "tiny-task" in imgclf.list_tasks()
    assert plugins.registries()["tasks"].owner("tiny-task") == "tiny-plugin"


def test_hook_register_models(tiny):
    assert "tiny-cnn" in imgclf.list_models()
    model = imgclf.build_model("tiny-cnn", task="tiny-task")
    assert model.input_shape == (None, 16, 16, 3) and model.output_shape == (None, 2)


def test_hook_register_datasets(tiny, tmp_path):
    result = run(tiny, tmp_path, report=[])
    assert "tiny-loader used" in tiny.events
    cfg = json.loads((result.run_dir / "config.json").read_text())
    assert cfg["data_summary"]["classes"] == ["dark", "light"]
    assert sum(sum(c.values()) for c in cfg["data_summary"]["counts"].values()) == 20


def test_hook_register_augmenters(tiny, tmp_path):
    run(tiny, tmp_path, augmenter="paper", report=[])  # resolves to tiny-task/paper
    assert "augmenter built" in tiny.events


def test_hook_register_reporters(tiny, tmp_path):
    result = run(tiny, tmp_path, report=["tiny-report"])
    assert ("report", ("dark", "light"), len(result.result.y_true)) in tiny.events
    assert float((result.run_dir / "tiny.txt").read_text()) == result.metrics["accuracy"]


def test_hook_extra_callbacks(tiny, tmp_path):
    run(tiny, tmp_path, epochs=2, report=[])
    assert [e for e in tiny.events if e[0] == "epoch"] == [("epoch", 0), ("epoch", 1)]
