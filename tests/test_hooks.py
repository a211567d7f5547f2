"""One test per hook: a plugin registered for the test is used by a real (tiny) run."""

import io
import json

import pytest
from rich.console import Console

import imgclf
from imgclf import _plugins as plugins
from imgclf.testing import plugin_registered


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


class FolderWatcher:
    """extra_callbacks with run_dir, and run_finished: what a tracker needs."""

    def __init__(self):
        self.calls = []

    @imgclf.hookimpl
    def extra_callbacks(self, config, run_dir):
        self.calls.append(("callbacks", run_dir, (run_dir / "config.json").is_file()))

    @imgclf.hookimpl
    def run_finished(self, config, run_dir, metrics):
        files = sorted(p.name for p in run_dir.iterdir())
        self.calls.append(("finished", run_dir, config.task, metrics, files))


class Failing:
    @imgclf.hookimpl
    def run_finished(self, config, run_dir, metrics):
        raise RuntimeError("tracker down")


def test_hook_run_finished(tiny, tmp_path):
    watcher = FolderWatcher()
    console = Console(file=io.StringIO(), width=200)
    with plugin_registered(watcher, "watcher"), plugin_registered(Failing(), "failing"):
        result = run(tiny, tmp_path, report=["json", "tiny-report"], console=console)
    (_, cb_dir, had_config), (_, run_dir, task, metrics, files) = watcher.calls
    assert cb_dir == run_dir == result.run_dir and had_config  # the same folder, from the start
    assert task == "tiny-task" and metrics == result.metrics
    assert metrics == json.loads((run_dir / "metrics.json").read_text())
    assert {"config.json", "history.csv", "metrics.json", "model.keras", "tiny.txt"} <= set(files)
    # the plugin that raised is one warning line; the run and the other plugin went on
    assert "plugin 'failing' failed after the run (run_finished: RuntimeError: tracker down)" in (
        console.file.getvalue()
    )


class Crashing:
    @imgclf.hookimpl
    def extra_callbacks(self, config):
        import keras

        def crash(epoch, logs):
            raise RuntimeError("crash at the end of epoch 0")

        return [keras.callbacks.LambdaCallback(on_epoch_end=crash)]


def test_run_finished_is_not_called_for_a_failed_run(tiny, tmp_path):
    watcher = FolderWatcher()
    with plugin_registered(watcher, "watcher"), plugin_registered(Crashing(), "crashing"):
        with pytest.raises(RuntimeError, match="crash at the end"):
            run(tiny, tmp_path, report=[])
    assert [c[0] for c in watcher.calls] == ["callbacks"]
