"""Pretrained backbones (``_nn/backbones.py``), ``--weights`` and ``hub:`` names.

Sized for 2 CPU cores: every network is built at 32x32 with random weights. Nothing
here downloads: the ImageNet test cuts the network off before Keras can connect.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import sys

import numpy as np
import pytest

import imgclf
from imgclf import Backbone, ConfigError, Head, ModelError
from imgclf._nn.backbones import BACKBONES, model_builder
from imgclf.testing import invoke_cli, make_image, make_image_folder

SHAPE = (32, 32, 3)
SOFTMAX = Head("softmax", ("a", "b", "c"))
NAMES = [b.name for b in BACKBONES]


def backbone(name: str) -> Backbone:
    return model_builder(name)


def images(n: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, *SHAPE), dtype="float32")


def predict(model, x: np.ndarray) -> np.ndarray:
    """Inference as a direct call: no tf.function to trace (seconds per model on 2 cores)."""
    return np.asarray(model(x, training=False))


def one_step(model, head: Head, n: int = 4) -> float:
    """One training step, run eagerly: tracing a large network's train step costs
    15-60 s on 2 cores, an eager step 3 s."""
    loss = "binary_crossentropy" if head.kind == "sigmoid" else "sparse_categorical_crossentropy"
    model.compile(optimizer="adam", loss=loss, run_eagerly=True)
    y = (np.arange(n) % max(2, head.units)).astype("float32" if head.kind == "sigmoid" else "int32")
    if head.kind == "sigmoid":
        y = y.reshape(-1, 1)
    history = model.fit(images(n), y, batch_size=n, epochs=1, verbose=0)
    return history.history["loss"][-1]


def test_every_backbone_is_registered():
    assert set(NAMES) >= {
        "mobilenetv3-small", "mobilenetv3-large", "efficientnetv2-b0", "efficientnetv2-b1",
        "efficientnetv2-b2", "resnet50v2", "convnext-tiny",
    }  # fmt: skip
    for name in NAMES:
        assert isinstance(backbone(name), Backbone)
        assert name in imgclf.list_models()


@pytest.mark.parametrize("name", NAMES)
def test_backbone_trains_one_step(name):
    model = backbone(name)(SHAPE, SOFTMAX)
    assert model.get_layer("backbone").name == "backbone"
    loss = one_step(model, SOFTMAX)
    assert np.isfinite(loss)
    assert predict(model, images(2)).shape == (2, 3)


@pytest.mark.parametrize("name", NAMES)
def test_figures_and_blocks(name):
    """``params``/``weights_mb`` match the built network; ``blocks()`` covers every layer
    of the nested backbone once, in order, stem first, in at least 5 blocks."""
    bb = backbone(name)
    model = bb(SHAPE, SOFTMAX)
    base = model.get_layer("backbone")
    assert base.count_params() == bb.params
    features = base.output.shape[-1]
    assert model.count_params() == bb.params + (features + 1) * SOFTMAX.units
    assert bb.weights_mb == pytest.approx(bb.params * 4 / 1e6, abs=0.05)
    blocks = bb.blocks(model)
    assert [n for block in blocks for n in block] == [layer.name for layer in base.layers]
    assert len(blocks) >= 5 and all(blocks)
    assert blocks[0][0] == base.layers[0].name  # the input is in the stem
    assert blocks == bb.blocks(base)


def test_sigmoid_head():
    head = Head("sigmoid", ("NORMAL", "COVID"))
    model = backbone("mobilenetv3-small")(SHAPE, head)
    assert np.isfinite(one_step(model, head))
    out = predict(model, images(2))
    assert out.shape == (2, 1) and ((out >= 0) & (out <= 1)).all()


def test_backbone_refuses_other_than_three_channels():
    with pytest.raises(ModelError, match="RGB"):
        backbone("mobilenetv3-small")((32, 32, 1), SOFTMAX)


def test_gray_images_reach_the_model_as_three_channels(tmp_path):
    path = make_image(tmp_path / "gray.png", size=16, channels=1)
    ds = imgclf.make_dataset([imgclf.Record(str(path), None)], (), "softmax", 16, 1,
                             with_labels=False)  # fmt: skip
    batch = next(iter(ds.as_numpy_iterator()))
    assert batch.shape == (1, 16, 16, 3) and 0 <= batch.min() and batch.max() <= 1


@pytest.mark.parametrize("name", ["resnet50v2", "convnext-tiny"])  # "tf" mode; LayerScale
def test_saved_model_reloads_with_its_preprocessing(tmp_path, name):
    import keras

    model = backbone(name)(SHAPE, SOFTMAX)
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    x = images(2)
    np.testing.assert_allclose(predict(again, x), predict(model, x), atol=1e-6)


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_weights_from_a_file(tmp_path, suffix):
    model = imgclf.build_model("mobilenetv3-small", "covid-xray", SHAPE, weights="none")
    rng = np.random.default_rng(0)  # every weight moved, batch-norm statistics too
    model.set_weights(
        [w + rng.random(w.shape, dtype="float32") * 0.01 for w in model.get_weights()]
    )
    path = tmp_path / f"x{suffix}"
    model.save_weights(path) if suffix == ".weights.h5" else model.save(path)
    again = imgclf.build_model("mobilenetv3-small", "covid-xray", SHAPE, weights=str(path))
    for loaded, saved in zip(again.weights, model.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(loaded), np.asarray(saved), err_msg=saved.path)
    x = images(2)
    np.testing.assert_allclose(predict(again, x), predict(model, x), atol=1e-6)


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_weights_of_another_model_are_a_clear_error(tmp_path, suffix):
    path = tmp_path / f"other{suffix}"
    other = imgclf.build_model("efficientnetv2-b0", "covid-xray", SHAPE, weights="none")
    other.save_weights(path) if suffix == ".weights.h5" else other.save(path)
    with pytest.raises(ModelError, match="do not fit model 'mobilenetv3-small'") as info:
        imgclf.build_model("mobilenetv3-small", "covid-xray", SHAPE, weights=str(path))
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    "name, message",
    [("missing.weights.h5", "does not exist"), ("weights.npz", "takes imagenet, none or")],
)
def test_bad_weights_paths(tmp_path, name, message):
    if name.endswith(".npz"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises(ConfigError, match=message) as info:
        imgclf.build_model("mobilenetv3-small", "covid-xray", SHAPE, weights=str(tmp_path / name))
    assert name in str(info.value)


def test_imagenet_only_for_pretrained_models(tiny):
    with pytest.raises(ConfigError, match="'tiny-cnn' has no pretrained weights") as info:
        imgclf.build_model("tiny-cnn", "tiny-task", weights="imagenet")
    assert "--weights none" in str(info.value) and "--weights PATH" in str(info.value)
    model = imgclf.build_model("tiny-cnn", "tiny-task")  # None: random init, no error
    assert model.name == "tiny"


def no_network(*args, **kwargs):
    raise OSError("network is unreachable")


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """An empty Keras cache ($KERAS_HOME) and no network: every way to a socket is cut,
    so no connection (not even a DNS lookup) is attempted. Yields the cache's home."""
    import keras.src.backend.config as keras_config

    home = tmp_path / "keras-home"
    home.mkdir()  # Keras falls back to /tmp/.keras when its home is missing or read-only
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(home))  # Keras reads it on import
    for name in ("getaddrinfo", "create_connection"):
        monkeypatch.setattr(socket, name, no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    with pytest.raises(OSError, match="unreachable"):
        socket.create_connection(("example.invalid", 80))
    yield home
    assert not list((home / "models").glob("*.h5")), "a weights file was downloaded"


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined")  # 32x32: Keras' note
def test_imagenet_offline_names_the_file_and_folder(offline):
    with pytest.raises(ModelError) as info:
        imgclf.build_model("mobilenetv3-small", "covid-xray", SHAPE)  # None: imagenet
    message = str(info.value)
    assert "weights_mobilenet_v3_small" in message and ".h5" in message
    assert "https://" in message
    assert str(offline / "models") in message
    assert "--weights PATH" in message and "--weights none" in message


@pytest.mark.filterwarnings("ignore:`input_shape` is undefined")
def test_cli_imagenet_offline_is_one_clean_message(offline, tmp_path):
    data = make_image_folder(tmp_path / "data", classes=("NORMAL", "COVID"), per_class=6, size=32)
    result = invoke_cli(
        "run", "covid-xray", "--model", "mobilenetv3-small", "--data", str(data),
        "--image-size", "32", "--epochs", "1", "--output", str(tmp_path / "runs"),
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "weights_mobilenet_v3_small" in result.output and "--weights none" in result.output


@pytest.mark.skipif(importlib.util.find_spec("keras_hub") is not None, reason="keras-hub here")
def test_hub_names_without_keras_hub():
    with pytest.raises(ConfigError, match=r'pip install "imgclf\[hub\]"'):
        model_builder("hub:resnet_50_imagenet")
    with pytest.raises(ConfigError, match="keras-hub"):
        imgclf.build_model("hub:resnet_50_imagenet", "covid-xray", SHAPE, weights="none")
    with pytest.raises(ConfigError, match="names a keras-hub preset"):
        model_builder("hub:")


def stand_in_keras_hub(calls: dict):
    """A module with keras-hub's two entry points imgclf uses, for a test without it."""
    import importlib.machinery
    import types

    import keras

    def from_preset(preset, load_weights=True):
        if preset == "missing":
            raise ValueError("no such preset")
        calls["load_weights"] = load_weights
        inputs = keras.Input((None, None, 3))
        return keras.Model(inputs, keras.layers.Conv2D(4, 3, name="conv")(inputs), name="hub")

    def converter(preset):
        return keras.layers.Rescaling(1 / 255, name="converter")

    hub = types.ModuleType("keras_hub")
    hub.__spec__ = importlib.machinery.ModuleSpec("keras_hub", None)
    hub.models = types.SimpleNamespace(Backbone=types.SimpleNamespace(from_preset=from_preset))
    hub.layers = types.SimpleNamespace(ImageConverter=types.SimpleNamespace(from_preset=converter))
    return hub


def test_hub_model_wiring(monkeypatch):
    """With a stand-in keras-hub: the preset is the nested "backbone", the converter
    inside the model, and --weights decides whether the preset's weights load."""
    calls: dict = {}
    monkeypatch.setitem(sys.modules, "keras_hub", stand_in_keras_hub(calls))
    model = imgclf.build_model("hub:some_preset", "covid-xray", SHAPE, weights="none")
    assert calls == {"load_weights": False}
    assert model.get_layer("backbone").get_layer("conv") is not None
    assert predict(model, images(2)).shape == (2, 1)
    imgclf.build_model("hub:some_preset", "covid-xray", SHAPE)  # None: the preset's weights
    assert calls == {"load_weights": True}
    with pytest.raises(ModelError, match="could not load preset 'missing'"):
        imgclf.build_model("hub:missing", "covid-xray", SHAPE, weights="none")


def test_weights_none_is_a_value_not_unset():
    assert imgclf.make_config("covid-xray", weights="none").weights == "none"
    assert imgclf.make_config("covid-xray", weights="imagenet").weights == "imagenet"
    assert imgclf.make_config("covid-xray").weights is None


def test_list_models_shows_figures():
    out = invoke_cli("list", "models").output
    row = next(line for line in out.splitlines() if "│ mobilenetv3-small " in line)
    assert "224px" in row and "0.9M" in row and "3.8" in row


def test_cli_run_with_a_backbone(tmp_path):
    data = make_image_folder(tmp_path / "data", classes=("NORMAL", "COVID"), per_class=8, size=32)
    result = invoke_cli(
        "run", "covid-xray", "--model", "mobilenetv3-small", "--weights", "none", "--data",
        str(data), "--epochs", "1", "--image-size", "32", "--batch-size", "4", "--limit", "16",
        "--output", str(tmp_path / "runs"), "--report", "json", "--augmenter", "none",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (run_dir,) = (tmp_path / "runs" / "covid-xray" / "mobilenetv3-small").iterdir()
    assert (run_dir / "model.keras").is_file() and (run_dir / "metrics.json").is_file()
    assert json.loads((run_dir / "config.json").read_text())["weights"] == "none"


def test_config_json_records_a_weights_file_absolute(tmp_path, monkeypatch):
    from imgclf._runner import weights_file_or_word

    monkeypatch.chdir(tmp_path)
    assert weights_file_or_word("runs/x/model.keras") == str(tmp_path / "runs/x/model.keras")
    assert [weights_file_or_word(w) for w in ("none", "imagenet", None)] == [
        "none", "imagenet", None,
    ]  # fmt: skip


def test_cli_run_refuses_imagenet_for_a_paper_model(tmp_path):
    data = make_image_folder(tmp_path / "data", classes=("NORMAL", "COVID"), per_class=4)
    result = invoke_cli("run", "covid-xray", "--model", "reshi2021", "--weights", "imagenet",
                        "--data", str(data), "--output", str(tmp_path / "runs"))  # fmt: skip
    assert result.exit_code == 3 and "'reshi2021' has no pretrained weights" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "runs").exists()


@pytest.mark.parametrize("name", ["mobilenetv3-small", "resnet50v2"])
def test_gradcam_looks_inside_the_backbone(name):
    """The plots reporter's Grad-CAM: a nested backbone's own feature map."""
    from imgclf._reporting.gradcam import find_target_layer, gradcam_heatmaps

    model = backbone(name)(SHAPE, SOFTMAX)
    assert find_target_layer(model).name == "backbone"
    maps = gradcam_heatmaps(model, images(2), [0, 2])
    assert maps.shape == (2, 32, 32)
    assert np.isfinite(maps).all() and maps.min() >= 0 and maps.max() <= 1 + 1e-6


@pytest.mark.parametrize(
    "fields, message",
    [({"preprocess": "torch"}, "preprocess should be one of"), ({"block_pattern": "x"}, "a group")],
)
def test_a_backbone_checks_its_fields(fields, message):
    values = {"name": "b", "application": "DenseNet121", "block_pattern": "(x)", "params": 1,
              "weights_mb": 0.0, "description": "", **fields}  # fmt: skip
    with pytest.raises(ModelError, match=message):
        Backbone(**values)


def test_from_scratch_batch_norm_settles_faster():
    """Random weights: every batch norm of the backbone at momentum <= 0.9 (MobileNetV3's
    own 0.999 left a 15-epoch run on 133 X-rays predicting one class)."""
    import keras

    base = backbone("mobilenetv3-small").application_model((32, 32, 3))
    norms = [
        layer
        for layer in base._flatten_layers(include_self=False, recursive=True)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and max(n.momentum for n in norms) == 0.999  # the application's own
    model = backbone("mobilenetv3-small")((32, 32, 3), imgclf.Head("softmax", ("a", "b", "c")))
    norms = [
        layer
        for layer in model.get_layer("backbone")._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    assert norms and max(n.momentum for n in norms) == 0.9


@pytest.mark.skipif(
    importlib.util.find_spec("keras_hub") is None,
    reason="keras-hub is not installed (the optional 'hub' extra)",
)
def test_a_local_keras_hub_preset_trains_and_fine_tunes(tmp_path, monkeypatch):
    """``hub:PATH`` with the real keras-hub, offline: a tiny preset saved here, its
    weights loaded (the preset's own, as --weights imagenet does), two phases."""
    import io

    import keras_hub
    from rich.console import Console

    from imgclf.testing import make_image_folder

    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    preset = tmp_path / "preset"
    keras_hub.models.ResNetBackbone(
        input_conv_filters=[64], input_conv_kernel_sizes=[3], stackwise_num_filters=[64],
        stackwise_num_blocks=[1], stackwise_num_strides=[1], block_type="basic_block",
        use_pre_activation=False, image_shape=(None, None, 3),
    ).save_to_preset(str(preset))  # fmt: skip
    keras_hub.layers.ResNetImageConverter(image_size=(32, 32), scale=1 / 255.0).save_to_preset(
        str(preset)
    )
    data = make_image_folder(tmp_path / "data", ("COVID-19", "NORMAL"), per_class=8, size=32)
    console = Console(file=io.StringIO(), width=200)
    result = imgclf.run(
        "covid-xray", model=f"hub:{preset}", data=data, epochs=2, frozen_epochs=1,
        image_size=32, batch_size=8, output=tmp_path / "runs", report=["json"], console=console,
    )  # fmt: skip
    assert result.run_dir.parent == tmp_path / "runs" / "covid-xray" / "hub-preset"
    shown = console.file.getvalue()
    assert "Phase 1/2" in shown and "Phase 2/2" in shown
    assert (result.run_dir / "model.keras").is_file() and "accuracy" in result.metrics
