"""The training recipe (issue #16): each setting changes what it should.

Optimizers and their settings, per-step learning-rate schedules (by hand, per phase,
across a resume), label smoothing (the loss formula), MixUp/CutMix (soft labels in
the training pipeline only, reproducibly in graph mode), RandAugment, random erasing,
test-time augmentation, EMA weights (what is saved) and mixed precision ``auto``.
"""

from __future__ import annotations

import csv
import io
import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf
from rich.console import Console

import imgclf
from imgclf import Head, TaskSpec, hookimpl
from imgclf._config import RunConfig, resolve
from imgclf._data.pipeline import label_array, make_dataset
from imgclf._heads.classification import class_loss
from imgclf._nn import tta
from imgclf._training import optimizers, precision, schedules
from imgclf._training.callbacks import BestCheckpoint, ema_callbacks
from imgclf.testing import (
    assert_reproducible_draws,
    make_image_folder,
    plugin_registered,
)


def cfg(**values):
    return resolve("t", overrides=values)


# --- optimizers ---------------------------------------------------------------------


def test_optimizer_classes_and_their_settings():
    adam = optimizers.make_optimizer(cfg(), 1e-3)
    assert type(adam) is keras.optimizers.Adam and adam.weight_decay is None
    assert not adam.use_ema
    adamw = optimizers.make_optimizer(cfg(optimizer="adamw"), 1e-3)
    assert type(adamw) is keras.optimizers.AdamW and adamw.weight_decay == 0.004
    adamw = optimizers.make_optimizer(cfg(optimizer="adamw", weight_decay=0.05), 1e-3)
    assert adamw.weight_decay == 0.05
    sgd = optimizers.make_optimizer(cfg(optimizer="sgd", momentum=0.8, weight_decay=1e-4), 0.1)
    assert type(sgd) is keras.optimizers.SGD
    assert (sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.8, True, 1e-4)
    sgd = optimizers.make_optimizer(cfg(optimizer="sgd", nesterov="false"), 0.1)
    assert (sgd.momentum, sgd.nesterov, sgd.weight_decay) == (0.9, False, None)
    ema = optimizers.make_optimizer(cfg(ema=True, ema_momentum=0.9), 1e-3)
    assert ema.use_ema and ema.ema_momentum == 0.9


@pytest.mark.parametrize(
    "values, message",
    [
        ({"optimizer": "adagrad"}, "optimizer must be one of adam, adamw, sgd"),
        ({"weight_decay": 0.01}, "Use --set optimizer=adamw"),
        ({"optimizer": "sgd", "momentum": 1}, "momentum must be in"),
        ({"warmup_epochs": 1}, "needs a per-step schedule"),
        ({"lr_schedule": "cosine", "warmup_epochs": -1}, "warmup_epochs must be 0 or more"),
        ({"label_smoothing": 1}, "label_smoothing must be in"),
        ({"tta": "rotate"}, "tta must be one of none, flip, crops, ten-crop"),
        ({"ema_momentum": 1.5}, "ema_momentum must be in"),
        ({"mixed_precision": "maybe"}, "mixed_precision must be one of auto"),
    ],
)
def test_recipe_settings_are_checked(values, message):
    with pytest.raises(imgclf.ConfigError, match=message):
        cfg(**values)


def test_defaults_keep_the_old_recipe():
    c = RunConfig("t")
    assert (c.optimizer, c.lr_schedule, c.label_smoothing, c.tta, c.ema) == (
        "adam",
        "plateau",
        0.0,
        "none",
        False,
    )
    assert c.mixed_precision == "auto"


# --- schedules ----------------------------------------------------------------------


def rates(config, lr, steps, epochs, at):
    schedule = schedules.learning_rate(config, lr, steps, epochs)
    return [float(schedule(s)) for s in at]


def test_cosine_with_warm_up_by_hand():
    # 4 steps per epoch, 3 epochs: 12 steps; 1 warm-up epoch: 4 steps from 0 to 0.1
    got = rates(cfg(lr_schedule="cosine", warmup_epochs=1), 0.1, 4, 3, [0, 2, 4, 8, 11])
    cosine = [0.1 * 0.5 * (1 + math.cos(math.pi * k / 8)) for k in (0, 4, 7)]
    np.testing.assert_allclose(got, [0.0, 0.05, *cosine], rtol=1e-5, atol=1e-8)
    plain = rates(cfg(lr_schedule="cosine"), 0.1, 4, 3, [0, 6, 12])
    np.testing.assert_allclose(plain, [0.1, 0.05, 0.0], atol=1e-7)


def test_onecycle_by_hand():
    # no warm-up epochs: 30% of 12 steps (4) from lr/25 up, then cosine to lr/25/1e4
    got = rates(cfg(lr_schedule="onecycle"), 0.1, 4, 3, [0, 2, 4, 8, 12])
    low, final = 0.1 / 25, 0.1 / 25 / 1e4
    a = final / 0.1

    def down(k):
        return 0.1 * ((1 - a) * 0.5 * (1 + math.cos(math.pi * k / 8)) + a)

    np.testing.assert_allclose(got, [low, low + (0.1 - low) / 2, 0.1, down(4), final], rtol=1e-5)
    warm = rates(cfg(lr_schedule="onecycle", warmup_epochs=2), 0.1, 4, 3, [0, 4, 8])
    np.testing.assert_allclose(warm[:2], [low, low + (0.1 - low) / 2], rtol=1e-5)
    assert warm[2] == pytest.approx(0.1)


# --- two phases and a resume: each phase its own schedule, continued at its step ---


class TinyBackbone:
    default_size = 16

    def __call__(self, input_shape, head, weights=None):
        inner = keras.Input(input_shape)
        x = keras.layers.Conv2D(4, 3, padding="same", name="b0_conv")(inner)
        backbone = keras.Model(inner, x, name="backbone")
        inputs = keras.Input(input_shape)
        y = keras.layers.GlobalAveragePooling2D()(backbone(inputs, training=False))
        return keras.Model(inputs, imgclf.output_layer(y, head))


class StopAt(keras.callbacks.Callback):
    epoch: int | None = None

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == StopAt.epoch:
            raise KeyboardInterrupt


class PhasePlugin:
    @hookimpl
    def register_tasks(self, register):
        register("recipe-task", TaskSpec("recipe-task", ("dark", "light"), input_size=16))

    @hookimpl
    def register_models(self, register):
        register("recipe-backbone", TinyBackbone())

    @hookimpl
    def extra_callbacks(self, config):
        return [StopAt()] if config.task == "recipe-task" else []


def learning_rates(run_dir):
    with open(run_dir / "history.csv", newline="") as fh:
        return [float(r["learning_rate"]) for r in csv.DictReader(fh)]


def train_steps(run_dir, batch):
    with open(run_dir / "splits.csv", newline="") as fh:
        n = sum(r["split"] == "train" for r in csv.DictReader(fh))
    return -(-n // batch)


def test_each_phase_has_its_schedule_and_a_resume_continues_it(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    data = make_image_folder(tmp_path / "data", ("dark", "light"), per_class=12, size=16)
    start = tmp_path / "start.weights.h5"
    TinyBackbone()((16, 16, 3), Head("softmax", ("dark", "light"))).save_weights(start)
    options = dict(model="recipe-backbone", data=data, epochs=4, frozen_epochs=2, lr=0.1,
                   finetune_lr_factor=0.5, batch_size=8, patience=10, seed=3, report=[],
                   weights=str(start), lr_schedule="cosine", warmup_epochs=1,
                   console=Console(file=io.StringIO()))  # fmt: skip
    with plugin_registered(PhasePlugin(), "recipe-phases"):
        StopAt.epoch = None
        whole = imgclf.run("recipe-task", output=tmp_path / "whole", **options)
        s = train_steps(whole.run_dir, 8)

        def cosine(peak, k):  # the rate of step k of a 2-epoch phase, 1 warm-up epoch
            return peak * k / s if k < s else peak * 0.5 * (1 + math.cos(math.pi * (k - s) / s))

        expected = [cosine(0.1, s - 1), cosine(0.1, 2 * s - 1),
                    cosine(0.05, s - 1), cosine(0.05, 2 * s - 1)]  # fmt: skip
        np.testing.assert_allclose(learning_rates(whole.run_dir), expected, rtol=1e-5, atol=1e-9)

        StopAt.epoch = 3  # killed as phase 2's second epoch begins
        with pytest.raises(KeyboardInterrupt):
            imgclf.run("recipe-task", output=tmp_path / "killed", **options)
        StopAt.epoch = None
        (run_dir,) = (tmp_path / "killed" / "recipe-task" / "recipe-backbone").iterdir()
        resumed = imgclf.run("recipe-task", resume=run_dir, console=Console(file=io.StringIO()))
    assert learning_rates(resumed.run_dir) == learning_rates(whole.run_dir)
    assert (resumed.run_dir / "history.csv").read_text() == (
        whole.run_dir / "history.csv"
    ).read_text()


# --- label smoothing ----------------------------------------------------------------


def test_label_smoothed_losses_equal_the_formula():
    p = np.array([[0.2, 0.5, 0.3]], dtype="float32")
    s = 0.1
    loss = class_loss(Head("softmax", ("a", "b", "c")), s, soft=True)
    target = np.array([0, 1, 0]) * (1 - s) + s / 3
    want = -(target * np.log(p)).sum()
    got = float(loss(np.eye(3, dtype="float32")[[1]], p))
    assert got == pytest.approx(want, rel=1e-5)
    assert class_loss(Head("softmax", ("a", "b", "c"))) == "sparse_categorical_crossentropy"
    binary = class_loss(Head("sigmoid", ("a", "b")), s)
    t = 1 * (1 - s) + s / 2
    got = float(binary(np.array([[1.0]], "float32"), np.array([[0.8]], "float32")))
    assert got == pytest.approx(-(t * math.log(0.8) + (1 - t) * math.log(0.2)), rel=1e-4)


def test_soft_labels_are_one_hot_rows():
    records = [imgclf.Record("x.png", c) for c in ("b", "a", "c")]
    np.testing.assert_array_equal(label_array(records, ("a", "b", "c"), "softmax"), [1, 0, 2])
    np.testing.assert_array_equal(
        label_array(records, ("a", "b", "c"), "softmax", soft=True), np.eye(3)[[1, 0, 2]]
    )
    assert label_array(records[:2], ("a", "b"), "sigmoid", soft=True).shape == (2, 1)


# --- MixUp, CutMix, RandAugment, random erasing -------------------------------------


@pytest.mark.parametrize("name", ["mixup", "cutmix", "randaugment", "erasing", "flip+mixup"])
def test_keras_augmenters_draw_from_their_seed_in_graph_mode(name):
    assert_reproducible_draws(name, seed=42, n=32)


def pipeline_labels(folder, augment, training, seed=1):
    records = [imgclf.Record(str(p), p.parent.name) for p in sorted(folder.rglob("*.png"))]
    ds = make_dataset(records, ("dark", "light", "mid"), "softmax", 16, 8, training=training,
                      augment=augment, seed=seed, cache="none", soft=True,
                      epochs=(0, 1) if training else None, deterministic=True)  # fmt: skip
    return np.concatenate([np.asarray(y) for _, y in ds])


@pytest.mark.parametrize("name", ["mixup", "cutmix"])
def test_mixing_gives_soft_labels_in_training_only_reproducibly(name, tmp_path):
    folder = make_image_folder(tmp_path / "d", ("dark", "light", "mid"), per_class=8, size=16)
    mixed = pipeline_labels(folder, imgclf.build_augmenter(f"flip+{name}", seed=7), True)
    np.testing.assert_allclose(mixed.sum(axis=1), 1, atol=1e-5)
    assert ((mixed > 1e-4) & (mixed < 1 - 1e-4)).any(), "no label was mixed"
    again = pipeline_labels(folder, imgclf.build_augmenter(f"flip+{name}", seed=7), True)
    np.testing.assert_array_equal(mixed, again)
    other = pipeline_labels(folder, imgclf.build_augmenter(f"flip+{name}", seed=7), True, seed=2)
    assert not np.array_equal(np.sort(mixed, axis=None), np.sort(other, axis=None))
    plain = pipeline_labels(folder, imgclf.build_augmenter(f"flip+{name}", seed=7), False)
    assert set(np.unique(plain)) == {0.0, 1.0}  # validation and test: one-hot, unmixed


def erased_in_graph(probability, seed=5, n=512):
    x = np.random.default_rng(0).uniform(0.2, 0.8, (n, 16, 16, 3)).astype("float32")
    layer = imgclf.build_augmenter("erasing", seed=seed, probability=probability)
    ds = tf.data.Dataset.from_tensor_slices(x).batch(128).map(lambda b: layer(b, training=True))
    return x, np.concatenate([np.asarray(b) for b in ds])


def test_erasing_replaces_one_box_per_image_with_its_probability():
    x, y = erased_in_graph(0.5)
    changed = (y != x).any(axis=3)  # (n, 16, 16): the erased pixels
    hit = changed.any(axis=(1, 2))
    assert 0.4 < hit.mean() < 0.6  # 512 draws at p=0.5: sd 0.022
    for image in changed[hit][:50]:  # one axis-aligned box, the rest untouched
        rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
        assert image[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1].mean() > 0.99
    assert y.min() >= 0 and y.max() <= 1  # noise clipped to the [0, 1] value range
    area = changed[hit].mean(axis=(1, 2))
    assert 0.05 < area.mean() < 0.3  # each side sqrt(U(0.02, 0.33)): mean area ~0.15
    np.testing.assert_array_equal(erased_in_graph(0.0)[1], x)
    assert not np.array_equal(erased_in_graph(0.5, seed=6)[1], y)


def test_combined_augmenter_options_go_to_their_part():
    layer = imgclf.build_augmenter("flip-rotate-translate+mixup", seed=1,
                                   **{"mixup.alpha": 0.4, "rotation_degrees": 5})  # fmt: skip
    assert layer.mixes_labels
    assert layer.mixers[0].alpha == 0.4
    assert layer.image_layers[0].layers[0].rotation_degrees == 5
    with pytest.raises(imgclf.ConfigError, match="Unknown option 'beta'"):
        imgclf.build_augmenter("flip+mixup", beta=1)


# --- test-time augmentation ---------------------------------------------------------


def asymmetric_model():
    """Outputs depend on left/right: a dense layer over the flattened pixels."""
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    dense = keras.layers.Dense(2, kernel_initializer="glorot_uniform")
    model = keras.Model(inputs, dense(x))
    dense.kernel.assign(np.random.default_rng(0).normal(size=(64, 2)).astype("float32"))
    return model


def test_tta_averages_the_views():
    model = asymmetric_model()
    x = np.random.default_rng(1).random((5, 8, 8, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, np.zeros(5))).batch(2)
    plain = model.predict(x, verbose=0)
    mirrored = model.predict(x[:, :, ::-1], verbose=0)
    assert not np.allclose(plain, mirrored)
    np.testing.assert_allclose(tta.predict(model, ds, "flip"), (plain + mirrored) / 2, rtol=1e-5)
    # batches of 2 against one of 5: the dense kernel may sum in another order (1 ulp on AVX2)
    np.testing.assert_allclose(tta.predict(model, ds, "none"), plain, rtol=1e-5)
    crops, mirrors = [], []
    for top, left in [(0, 0), (0, 1), (1, 0), (1, 1), (0, 0)]:  # 8 * 0.875 = 7: room 1
        part = tf.image.resize(x[:, top : top + 7, left : left + 7], (8, 8), method="bilinear")
        crops.append(model.predict(part, verbose=0))
        mirrors.append(model.predict(part[:, :, ::-1], verbose=0))
    np.testing.assert_allclose(tta.predict(model, ds, "crops"), np.mean(crops, 0), rtol=1e-5)
    assert not np.allclose(np.mean(mirrors, 0), np.mean(crops, 0))
    ten = np.mean(crops + mirrors, 0)
    np.testing.assert_allclose(tta.predict(model, ds, "ten-crop"), ten, rtol=1e-5)


# --- EMA ----------------------------------------------------------------------------


class Raw(keras.callbacks.Callback):
    """After the swap back: the raw weights in the model, the averages in the optimizer."""

    def on_epoch_end(self, epoch, logs=None):
        opt = self.model.optimizer
        self.raw = [np.array(v) for v in self.model.trainable_variables]
        self.ema = [np.array(v) for v in opt._model_variables_moving_average]


def test_the_checkpoint_holds_the_ema_weights(tmp_path):
    model = asymmetric_model()
    model.compile(optimizer=optimizers.make_optimizer(cfg(ema=True, ema_momentum=0.5), 0.1),
                  loss="mse")  # fmt: skip
    x = np.random.default_rng(2).random((16, 8, 8, 1)).astype("float32")
    y = np.random.default_rng(3).random((16, 2)).astype("float32")
    validate, swap_in, swap_out = ema_callbacks()
    raw = Raw()
    checkpoint = BestCheckpoint(tmp_path / "model.keras")
    model.fit(x, y, batch_size=4, epochs=1, validation_data=(x, y), verbose=0,
              callbacks=[validate, swap_in, checkpoint, swap_out, raw])  # fmt: skip
    saved = keras.models.load_model(tmp_path / "model.keras").trainable_variables
    for s, e, r in zip(saved, raw.ema, raw.raw):
        np.testing.assert_allclose(np.array(s), e, rtol=1e-6)
        assert not np.allclose(e, r)
    for v, e in zip(model.trainable_variables, raw.ema):  # fit ends on the averages
        np.testing.assert_allclose(np.array(v), e, rtol=1e-6)


# --- mixed precision auto -----------------------------------------------------------


@pytest.fixture
def cpu(monkeypatch):
    monkeypatch.delenv(precision.AUTO_ENV, raising=False)
    monkeypatch.setattr(precision, "gpu_capability", lambda: None)

    def flags(*names):
        monkeypatch.setattr(precision, "cpu_flags", lambda path=None: frozenset(names))

    return flags


def auto(model="alexnet", builder=None, **values):
    config = cfg(**{"model": model, "deterministic": False, **values})
    return precision.policy_for(config, tf.distribute.get_strategy(), builder)


def test_auto_precision_follows_the_cpu_flags(cpu, monkeypatch):
    cpu("sse4_2", "avx512f", "avx512_bf16")
    assert auto() == "mixed_bfloat16"
    cpu("amx_bf16", "amx_tile")
    assert auto() == "mixed_bfloat16"
    cpu("sse4_2", "avx2", "avx512f")
    assert auto() is None
    cpu("avx512_bf16")
    assert auto("mobilenet") is None  # depthwise convolutions: float32
    assert auto("face-emotion/mobilenet") is None
    builder = type("B", (), {"prefers_float32": True})()
    assert auto("my-net", builder) is None
    assert auto(mixed_precision="off") is None
    assert auto(mixed_precision="bfloat16") == "mixed_bfloat16"
    line = precision.describe(cfg(deterministic=False), tf.distribute.get_strategy())
    assert line == "Precision: mixed_bfloat16 (auto: CPU with avx512_bf16)"
    assert auto(deterministic=True) is None  # the same numbers on every machine
    monkeypatch.setattr(precision, "gpu_capability", lambda: (7, 5))
    assert auto() == "mixed_float16"
    monkeypatch.setattr(precision, "gpu_capability", lambda: (6, 1))
    assert auto() is None
    monkeypatch.setenv(precision.AUTO_ENV, "off")  # what the test suite sets
    monkeypatch.setattr(precision, "gpu_capability", lambda: None)
    assert auto() is None


def test_a_resumed_run_keeps_the_precision_it_began_in(cpu):
    """--resume repeats the uninterrupted run: auto does not choose again on a new CPU."""
    strategy, config = tf.distribute.get_strategy(), cfg(model="alexnet", deterministic=False)
    cpu("avx512_bf16")
    assert precision.policy_for(config, strategy, started="float32") is None
    cpu("avx2")
    assert precision.policy_for(config, strategy) is None
    assert precision.policy_for(config, strategy, started="mixed_bfloat16") == "mixed_bfloat16"
    line = precision.describe(config, strategy, started="mixed_bfloat16")
    assert line == (
        "Precision: mixed_bfloat16 (auto: resumed: the run goes on in the precision it began in)"
    )


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\n\nprocessor\t: 1\n")
    assert precision.cpu_flags(info) == {"fpu", "avx512f", "avx512_bf16"}
    assert precision.cpu_flags(tmp_path / "missing") == frozenset()


# --- a whole run: settings in config.json, report.html and metrics.json -------------


def test_a_run_with_the_recipe_records_it(tiny, tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    data = make_image_folder(tmp_path / "d3", ("dark", "light", "mid"), per_class=6, size=16)
    console = Console(file=io.StringIO(), width=200)
    result = imgclf.run(
        "classify", model="tiny-cnn", data=data, image_size=16, batch_size=4, epochs=2,
        output=tmp_path / "runs", report=["json", "html"], optimizer="sgd",
        lr_schedule="onecycle", ema=True, augmenter="flip+mixup", label_smoothing=0.1,
        tta="flip", console=console,
    )  # fmt: skip
    saved = json.loads((result.run_dir / "config.json").read_text())
    assert (saved["optimizer"], saved["augmenter"], saved["tta"]) == ("sgd", "flip+mixup", "flip")
    assert saved["dtype_policy"] == "float32"  # auto, under the suite's IMGCLF_AUTO_PRECISION
    assert json.loads((result.run_dir / "metrics.json").read_text())["tta"] == "flip"
    html = (result.run_dir / "report.html").read_text()
    for setting in ("optimizer", "label_smoothing", "ema_momentum", "warmup_epochs", "tta"):
        assert f">{setting}<" in html
    shown = console.file.getvalue()
    assert "Precision: float32 (auto: IMGCLF_AUTO_PRECISION=off" in shown  # the test suite
    assert "Recipe: sgd, onecycle schedule, EMA of the weights" in shown
    assert len(learning_rates(result.run_dir)) == 2
    # Not a terminal (a log file, a pipe): one line per epoch, with its metrics.
    epochs = [line for line in shown.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/2", "2/2"]
    assert all("loss " in line and "val_accuracy " in line for line in epochs)


def test_the_mixed_precision_option_takes_a_mode(tiny, tmp_path, monkeypatch):
    """``--mixed-precision off`` forces float32; the bare flag still means ``on``."""
    from click.testing import CliRunner

    from imgclf._cli import cli

    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    args = ["run", "tiny-task", "--data", str(tiny.data), "--epochs", "1", "--image-size",
            "16", "--output", str(tmp_path / "runs"), "--set", "report=json"]  # fmt: skip
    result = CliRunner().invoke(cli, [*args, "--mixed-precision", "off"])
    assert result.exit_code == 0, result.output
    assert "Precision: float32 (off" in result.output
    (run_dir,) = (tmp_path / "runs" / "tiny-task").glob("*/*")
    assert json.loads((run_dir / "config.json").read_text())["mixed_precision"] == "off"
    result = CliRunner().invoke(cli, [*args, "--mixed-precision", "--tensorboard"])
    assert result.exit_code == 3 and "--mixed-precision needs a GPU or TPU" in result.output
