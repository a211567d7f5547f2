"""Same seed, same numbers (``--deterministic``): two runs with one seed write the same
history.csv and metrics.json, and so does a run killed mid-epoch and resumed.

The model has a Dropout layer and the task an augmenter (``flip-rotate-translate``),
on noise images, which a flip, turn or shift changes: the data order, the
augmenter's and the model's random state all have to repeat for the files to match.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest
from rich.console import Console

import imgclf
from imgclf.testing import registered_plugin  # noqa: F401 - a fixture

PLUGIN = textwrap.dedent(
    """
    import os
    import signal
    import sys

    import keras

    from imgclf import TaskSpec, hookimpl
    from imgclf import output_layer

    TASK = TaskSpec("det-task", ("dark", "light"), input_size=32, default_model="det-cnn",
                    default_augmenter="flip-rotate-translate",
                    defaults={"batch_size": 4, "epochs": 4})


    def det_cnn(input_shape, head):
        inputs = keras.Input(tuple(input_shape), name="image")
        x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
        x = keras.layers.Dropout(0.5, name="drop")(x)
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        return keras.Model(inputs, output_layer(x, head), name="det")


    class KillAt(keras.callbacks.Callback):
        # SIGTERM this process after batch `batch` of epoch `epoch`: a kill mid-epoch
        def __init__(self, epoch, batch):
            super().__init__()
            self.at, self.epoch = (epoch, batch), None

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_end(self, batch, logs=None):
            if (self.epoch, batch) == self.at:
                os.kill(os.getpid(), signal.SIGTERM)


    class DetPlugin:
        @hookimpl
        def register_tasks(self, register):
            register("det-task", TASK)

        @hookimpl
        def register_models(self, register):
            register("det-cnn", det_cnn)

        @hookimpl
        def extra_callbacks(self, config):
            at = os.environ.get("KILL_AT")
            return [KillAt(*map(int, at.split(",")))] if at else []


    if __name__ == "__main__":
        from imgclf._cli import cli
        from imgclf.testing import plugin_registered

        with plugin_registered(DetPlugin(), "det-plugin"):
            cli(sys.argv[1:])
    """
)


@pytest.fixture
def det(tmp_path, monkeypatch, registered_plugin):  # noqa: F811
    """The plugin, registered here and written as a script; noise images of two classes."""
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("KILL_AT", raising=False)
    script = tmp_path / "det_plugin.py"
    script.write_text(PLUGIN)
    namespace: dict = {"__name__": "det_plugin"}
    exec(compile(PLUGIN, str(script), "exec"), namespace)
    registered_plugin(namespace["DetPlugin"](), "det-plugin")
    rng = np.random.default_rng(0)
    for c, cls in enumerate(("dark", "light")):  # noise: a flip, turn or shift changes it
        (tmp_path / "data" / cls).mkdir(parents=True)
        for i in range(14):
            img = rng.integers(0, 128, (32, 32, 3), dtype=np.uint8) + np.uint8(128 * c)
            cv2.imwrite(str(tmp_path / "data" / cls / f"{i}.png"), img)
    return script, tmp_path / "data"


def run(tmp_path, data):
    return imgclf.run(
        "det-task", data=data, output=tmp_path / "runs", seed=5, report=["json"],
        deterministic=True, console=Console(file=io.StringIO()),
    )  # fmt: skip


def files(run_dir):
    return {name: (run_dir / name).read_text() for name in ("history.csv", "metrics.json")}


def test_two_runs_with_one_seed_write_the_same_files(det, tmp_path):
    from imgclf._nn.determinism import find_generators

    _, data = det
    first, second = run(tmp_path, data), run(tmp_path, data)
    assert first.run_dir != second.run_dir
    assert files(first.run_dir) == files(second.run_dir)
    assert json.loads((first.run_dir / "config.json").read_text())["deterministic"] is True
    assert find_generators(first.model)[0], "the model should hold Dropout's generator"
    augmenter = imgclf.build_augmenter("flip-rotate-translate", seed=5)
    assert find_generators(augmenter)[0], "the augmenter should hold a SeedGenerator"
    history = files(first.run_dir)["history.csv"].splitlines()
    assert len(history) == 5 and len(set(history[1:])) == 4  # 4 epochs, each different


def test_a_run_killed_mid_epoch_and_resumed_writes_the_same_files(det, tmp_path):
    script, data = det
    whole = run(tmp_path, data)
    env = {**os.environ, "KILL_AT": "2,2", "TF_CPP_MIN_LOG_LEVEL": "3", "IMGCLF_LOAD_PLUGINS": ""}
    args = ["run", "det-task", "--data", data, "--output", tmp_path / "killed", "--seed", "5",
            "--report", "json", "--deterministic"]  # fmt: skip
    proc = subprocess.run([sys.executable, str(script), *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=240)  # fmt: skip
    assert proc.returncode == 143, proc.stdout + proc.stderr
    (state_file,) = (tmp_path / "killed").rglob("state.json")
    state = json.loads(state_file.read_text())
    assert state["state"] == "interrupted" and state["last_epoch"] == 2  # killed in epoch 3
    run_dir = state_file.parent
    assert not (run_dir / "metrics.json").exists()

    resumed = imgclf.run("det-task", resume=run_dir, console=Console(file=io.StringIO()))
    assert resumed.run_dir == run_dir
    assert files(run_dir) == files(whole.run_dir)


def test_the_flag_the_setting_and_the_test_suite_default(det, monkeypatch):
    from click.testing import CliRunner

    from imgclf._cli import cli
    from imgclf._cli import run as run_cli

    seen = []
    monkeypatch.setattr(run_cli.api, "run_config", lambda cfg, *a, **k: seen.append(cfg))
    monkeypatch.setattr(run_cli, "import_tensorflow_quietly", lambda: None)
    args = ["run", "det-task", "--data", str(det[1])]
    monkeypatch.delenv("IMGCLF_DETERMINISTIC", raising=False)
    CliRunner().invoke(cli, args)
    CliRunner().invoke(cli, [*args, "--deterministic"])
    monkeypatch.setenv("IMGCLF_DETERMINISTIC", "1")  # as conftest.py sets it
    CliRunner().invoke(cli, args)
    CliRunner().invoke(cli, [*args, "--set", "deterministic=false"])
    assert [cfg.deterministic for cfg in seen] == [False, True, True, False]


def test_resume_replays_the_learning_rate_schedule_exactly():
    """ReduceLROnPlateau after a resume: the same best, wait and learning rate as the
    live callback, with its min_delta (0.99995 is no improvement on 1.0) and its cuts."""
    import types

    import keras

    from imgclf._training.callbacks import replay_plateau

    def plateau():
        return keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_lr=1e-5)

    live, optimizer = plateau(), keras.optimizers.Adam(1e-3)
    live.set_model(types.SimpleNamespace(optimizer=optimizer))
    rows = []
    for epoch, loss in enumerate([1.0, 0.99995, 0.9, 0.95, 0.96]):
        logs = {"val_loss": loss}
        live.on_epoch_end(epoch, logs)  # logs the rate it trained with, then may cut it
        rows.append({"epoch": str(epoch), "learning_rate": str(logs["learning_rate"]),
                     "val_loss": str(loss)})  # fmt: skip
    replayed = plateau()
    lr = replay_plateau(replayed, rows, model=None)
    # cut after epochs 1 (by less than min_delta), 3 and 4; the last row logs 2.5e-4
    assert lr == float(optimizer.learning_rate) == float(np.float32(1.25e-4))
    assert (replayed.best, replayed.wait) == (live.best, live.wait) == (0.9, 0)


@pytest.mark.parametrize("kind", ["keras", "keras-cv"])
def test_an_augmented_batch_depends_on_seed_epoch_and_batch_alone(kind):
    """In tf.data, batch 3 of epoch 1 is the same whether batches 0-2 ran before it:
    a Keras SeedGenerator's state is passed in (parallel map); a stock keras-cv
    layer's tf.random.Generator is reset before each batch (sequential map)."""
    import keras
    import tensorflow as tf

    from imgclf._nn.determinism import batch_augmenter, op_determinism

    if kind == "keras":
        layer = keras.layers.RandomRotation(0.2, seed=3)
    else:
        layer = pytest.importorskip("keras_cv").layers.RandomRotation(0.2, seed=3)
    augment, parallel = batch_augmenter(layer, seed=7, deterministic=True)
    assert parallel == (kind == "keras")
    x = tf.random.stateless_uniform([5, 2, 16, 16, 3], seed=[1, 2])

    def batches(skip):
        ds = tf.data.Dataset.from_tensor_slices(x).enumerate().skip(skip)
        ds = ds.map(lambda i, b: augment(tf.constant(1, tf.int64), i, b),
                    num_parallel_calls=tf.data.AUTOTUNE if parallel else None)  # fmt: skip
        return list(ds.as_numpy_iterator())

    from tensorflow.python.framework import config as tf_config

    before = tf_config.is_op_determinism_enabled()
    with op_determinism(True):
        every, from_3 = batches(0), batches(3)
    assert tf_config.is_op_determinism_enabled() == before  # process-global: restored
    np.testing.assert_array_equal(every[3], from_3[0])
    assert not np.array_equal(every[3], every[4]) and not np.array_equal(every[3], x[3])
