"""The Python API prints nothing unless asked: ``console=None`` shows nothing, notes
and warnings go to the ``imgclf`` logger, a given Console gets the whole report;
reporters are taken as a list or a string; TensorFlow's C++ start-up lines stay off
stderr (as in the CLI)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import pytest
from rich.console import Console

import imgclf
from imgclf import DatasetLoader, LoadResult, Record, TaskSpec, hookimpl
from imgclf.testing import make_image_folder, plugin_registered, tiny_model

TASK = TaskSpec(
    "quiet-task",
    ("dark", "light"),
    input_size=16,
    default_model="quiet-cnn",
    datasets=("quiet-loader",),
    defaults={"epochs": 1, "batch_size": 8, "image_size": 16, "seed": 0},
)
NOTE = "a note from the loader"


class QuietPlugin:
    @hookimpl
    def register_tasks(self, register):
        register("quiet-task", TASK)

    @hookimpl
    def register_models(self, register):
        register("quiet-cnn", tiny_model)

    @hookimpl
    def register_datasets(self, register):
        def load(source, **options):
            records = [Record(str(p), p.parent.name) for p in sorted(source.rglob("*.png"))]
            return LoadResult(records, notes=[NOTE])

        register("quiet-loader", DatasetLoader(load, lambda s: True, "test"))

    @hookimpl
    def register_reporters(self, register):
        def broken(result, run_dir, console):
            raise RuntimeError("out of ink")

        register("broken", broken)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("quiet")
    with plugin_registered(QuietPlugin(), "quiet-plugin"):
        yield make_image_folder(root / "data", classes=("dark", "light"), per_class=8), root


def test_run_is_quiet_by_default_and_logs_its_notes(data, capsys, caplog):
    folder, root = data
    caplog.set_level(logging.INFO, logger="imgclf")
    result = imgclf.run("quiet-task", data=folder, output=root / "runs", report="console,json")
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    assert (result.run_dir / "metrics.json").is_file()  # "console,json": both reporters ran
    notes = [r for r in caplog.records if r.name.startswith("imgclf")]
    assert any(NOTE in r.getMessage() and r.levelno == logging.INFO for r in notes), notes


def test_a_given_console_gets_the_report(data, capsys):
    folder, root = data
    buf = io.StringIO()
    imgclf.run("quiet-task", data=folder, output=root / "runs", report=["console"],
               console=Console(file=buf, width=120))  # fmt: skip
    shown = buf.getvalue()
    assert f"note: {NOTE}" in shown and "Run folder:" in shown and "accuracy" in shown
    assert capsys.readouterr().out == ""


def test_reporters_may_be_one_string(data, capsys):
    folder, root = data
    result = imgclf.run("quiet-task", data=folder, output=root / "runs", report="json")
    assert (result.run_dir / "metrics.json").is_file()
    assert not (result.run_dir / "report.html").exists()
    ev = imgclf.evaluate(result.run_dir, folder, report="json")  # was: Unknown reporter 'j'
    assert (ev.run_dir / "metrics.json").is_file() and not (ev.run_dir / "plots").exists()
    (result.run_dir / "metrics.json").unlink()
    imgclf.report(result.run_dir, "json")
    assert (result.run_dir / "metrics.json").is_file()
    none = imgclf.run("quiet-task", data=folder, output=root / "runs", report="none")
    assert none.result.config["report"] == []
    with pytest.raises(imgclf.PluginError, match="'jsn'"):
        imgclf.report(result.run_dir, "jsn")
    assert capsys.readouterr().out == ""


def test_a_failing_reporter_is_a_logged_warning(data, capsys, caplog):
    folder, root = data
    result = imgclf.run("quiet-task", data=folder, output=root / "runs", report=[])
    imgclf.report(result.run_dir, "broken")
    assert capsys.readouterr().out == ""
    (warning,) = [r for r in caplog.records if r.name == "imgclf"]
    assert warning.levelno == logging.WARNING and "out of ink" in warning.getMessage()


TF_LINES = ("cuda", "onednn", "tf-trt", "absl::initializelog", "cpu_feature_guard")


def stderr_of(code: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("TF_CPP_MIN_LOG_LEVEL",)}
    environ.update(IMGCLF_LOAD_PLUGINS="", **env)
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_the_api_hides_tensorflows_start_up_lines():
    """(With ``IMGCLF_TF_LOGS=1``, or before this was fixed, the same call shows
    oneDNN's and the CUDA probe's lines on a CPU-only machine.)"""
    err = stderr_of("import imgclf; imgclf.build_augmenter('flip', seed=1)").casefold()
    assert not [t for t in TF_LINES if t in err], err
