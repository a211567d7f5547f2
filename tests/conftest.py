"""Shared fixtures: real data paths (skipped with a reason when absent), tiny folders."""

from __future__ import annotations

import os
import types

import pytest

import imgclf
from imgclf import DatasetLoader, LoadResult, Record, TaskSpec, hookimpl
from imgclf.testing import make_image_folder, plugin_registered, tiny_model

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["COLUMNS"] = "200"  # rich tables unwrapped in CliRunner output


@pytest.fixture
def tiny_folder(tmp_path):
    from imgclf.testing import make_image_folder

    return make_image_folder(tmp_path / "data", classes=("happy", "sad"), per_class=10)


TASK = TaskSpec(
    "tiny-task",
    ("dark", "light"),
    input_size=16,
    default_model="tiny-cnn",
    datasets=("tiny-loader",),
    defaults={"epochs": 1, "batch_size": 4},
)


tiny_cnn = tiny_model


class TinyPlugin:
    events: list = []

    @hookimpl
    def register_tasks(self, register):
        register("tiny-task", TASK)

    @hookimpl
    def register_models(self, register):
        register("tiny-cnn", tiny_cnn)

    @hookimpl
    def register_datasets(self, register):
        def load(source, **options):
            TinyPlugin.events.append("tiny-loader used")
            return LoadResult(
                [Record(str(p), p.parent.name) for p in sorted(source.rglob("*.png"))]
            )

        register("tiny-loader", DatasetLoader(load, lambda s: (s / "MARKER").exists(), "test"))

    @hookimpl
    def register_augmenters(self, register):
        def build(seed=None):
            TinyPlugin.events.append("augmenter built")
            return imgclf.flip(seed=seed)

        register("tiny-task/paper", build)

    @hookimpl
    def register_reporters(self, register):
        def report(result, run_dir, console):
            TinyPlugin.events.append(("report", result.classes, len(result.y_true)))
            (run_dir / "tiny.txt").write_text(str(result.metrics["accuracy"]))

        register("tiny-report", report)

    @hookimpl
    def extra_callbacks(self, config):
        import keras

        return [
            keras.callbacks.LambdaCallback(
                on_epoch_end=lambda epoch, logs: TinyPlugin.events.append(("epoch", epoch))
            )
        ]


@pytest.fixture
def tiny(tmp_path):
    """A tiny task, model, loader, augmenter, reporter and callback, registered for one test."""
    TinyPlugin.events = []
    data = make_image_folder(tmp_path / "data", classes=("dark", "light"), per_class=10, size=16)
    (data / "MARKER").write_text("")
    with plugin_registered(TinyPlugin(), "tiny-plugin"):
        yield types.SimpleNamespace(data=data, events=TinyPlugin.events)
