"""``monitor``: which epoch's weights a run keeps, and what the history plot marks.

``last`` exists for schedules that end at zero (cosine): there the best epoch on a
small validation split can be one from mid-schedule (docs/benchmarks.md, the zoom
try on FER2013), and the final weights are the model.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf._reporting.history import saved_epoch
from imgclf._training.callbacks import BestCheckpoint
from imgclf._training.fit import early_stopping
from imgclf.errors import ConfigError
from imgclf.testing import make_image_folder, plugin_registered
from imgclf.testing import tiny_model as tiny_net

CLASSES = ("dark", "mid", "light")


class Plugin:
    @hookimpl
    def register_tasks(self, register):
        register("mon-task", TaskSpec("mon-task", CLASSES, input_size=32, default_model="mon-net"))

    @hookimpl
    def register_models(self, register):
        register("mon-net", tiny_net)


def tiny_model():
    inputs = keras.Input((4,))
    return keras.Model(inputs, keras.layers.Dense(2, name="out")(inputs))


def saved_kernel(path):
    return np.array(keras.models.load_model(path).get_layer("out").kernel)


@pytest.mark.parametrize("monitor, kept", [("last", "second"), ("val_loss", "first")])
def test_the_checkpoint_keeps_the_last_epoch_or_the_best(tmp_path, monitor, kept):
    model = tiny_model()
    checkpoint = BestCheckpoint(tmp_path / "model.keras", monitor=monitor)
    checkpoint.set_model(model)
    first = np.array(model.get_layer("out").kernel)
    checkpoint.on_epoch_end(0, {"val_loss": 1.0})
    second = first + 1.0
    model.get_layer("out").kernel.assign(second)
    checkpoint.on_epoch_end(1, {"val_loss": 2.0})  # worse: only ``last`` saves it
    kernels = {"first": first, "second": second}
    np.testing.assert_allclose(saved_kernel(tmp_path / "model.keras"), kernels[kept])


def test_last_has_no_early_stopping_and_the_others_do():
    assert early_stopping(imgclf.make_config("covid-xray", monitor="last")) == []
    (early,) = early_stopping(imgclf.make_config("covid-xray", monitor="val_accuracy", patience=3))
    assert isinstance(early, keras.callbacks.EarlyStopping)
    assert (early.monitor, early.patience, early.restore_best_weights) == ("val_accuracy", 3, True)


def test_an_unknown_monitor_is_refused_with_the_choices():
    with pytest.raises(ConfigError, match="last"):
        imgclf.make_config("covid-xray", monitor="final")


def test_the_plot_marks_the_epoch_the_model_holds():
    history = {"val_loss": [1.0, 0.5, 0.7, 0.8], "val_accuracy": [0.5, 0.6, 0.7, 0.65]}
    assert saved_epoch(history, "val_loss") == 2
    assert saved_epoch(history, "val_accuracy") == 3
    assert saved_epoch(history, "last") == 4
    assert saved_epoch({"val_loss": [1.0]}, "last") is None


def test_a_run_with_last_trains_every_epoch_and_keeps_the_final_weights(tmp_path):
    """patience 1 stops a monitored run at its first epoch without gain; ``last`` has no
    early stopping, and model.keras is the model the run ends with."""
    make_image_folder(tmp_path / "data", CLASSES, per_class=8, size=32)
    with plugin_registered(Plugin(), "mon-plugin"):
        result = imgclf.run(
            "mon-task", data=tmp_path / "data", epochs=3, image_size=32, batch_size=8,
            seed=0, report=[], output=tmp_path / "runs", monitor="last", patience=1,
            lr=0.05,
        )  # fmt: skip
    rows = (result.run_dir / "history.csv").read_text().splitlines()
    assert len(rows) == 1 + 3
    saved = keras.models.load_model(result.run_dir / "model.keras")
    for s, m in zip(saved.weights, result.model.weights):
        np.testing.assert_allclose(np.array(s), np.array(m), rtol=1e-6)


def test_a_regression_head_keeps_last_and_otherwise_monitors_val_loss():
    from imgclf._heads import adjust_config
    from imgclf._resolve import get_task

    task = get_task("face-emotion")
    for asked, kept in [("last", "last"), ("val_accuracy", "val_loss")]:
        config = imgclf.make_config("face-emotion", head="va", monitor=asked)
        assert adjust_config(config, task).monitor == kept
