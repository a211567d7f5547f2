"""The paper's three networks against its tables, and imgclf's own fervgg."""

import pytest

import imgclf
from imgclf.testing import check_model_trains

# Convolutions feeding a batch norm have no bias (the BN cancels it); with one, alexnet
# and vggnet would have 368 and 736 more parameters (3,459,176 and 3,747,608).
PAPER_PARAMS = {"alexnet": 3_458_808, "vggnet": 3_746_872, "mobilenet": 3_237_064}


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_parameter_count_and_output_at_128(name):
    model = imgclf.build_model(name, task="face-emotion")
    assert model.input_shape == (None, 128, 128, 3)
    assert model.output_shape == (None, 8)
    assert model.count_params() == PAPER_PARAMS[name]
    convs = [layer for layer in model.layers if "Conv2D" in type(layer).__name__]
    assert convs and not any(layer.use_bias for layer in convs)


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
@pytest.mark.parametrize("size", [48, 32])
def test_other_input_sizes_and_class_subsets(name, size):
    model = imgclf.build_model(
        name, task="face-emotion", input_shape=(size, size, 3), classes=("anger", "happy", "sad")
    )
    assert model.output_shape == (None, 3)


@pytest.mark.parametrize("name", sorted(PAPER_PARAMS))
def test_one_training_step(name):
    logs = check_model_trains(name, "face-emotion", (32, 32, 3))
    assert logs["loss"] > 0


def test_too_small_input_is_a_clear_error():
    message = r"at least 32x32; received input_shape=\(16, 16, 3\)"
    with pytest.raises(imgclf.ModelError, match=message):
        imgclf.build_model("alexnet", task="face-emotion", input_shape=(16, 16, 3))


def test_mobilenet_blocks_are_really_separable():
    """Each depthwise conv is followed by BN, ReLU and a 1x1 pointwise conv + BN + ReLU."""
    model = imgclf.build_model("mobilenet", task="face-emotion")
    layers = model.layers
    dws = [i for i, layer in enumerate(layers) if layer.__class__.__name__ == "DepthwiseConv2D"]
    assert len(dws) == 13
    for i in dws:
        kinds = [type(layer).__name__ for layer in layers[i : i + 6]]
        assert kinds == [
            "DepthwiseConv2D",
            "BatchNormalization",
            "ReLU",
            "Conv2D",
            "BatchNormalization",
            "ReLU",
        ]
        assert layers[i + 3].kernel_size == (1, 1)
    strides = [layers[i].strides[0] for i in dws]
    assert strides == [1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1]


def test_alexnet_kernels_and_filters_follow_the_paper():
    model = imgclf.build_model("alexnet", task="face-emotion")
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.kernel_size[0] for c in convs] == [9, 7, 5, 3, 3]
    assert [c.filters for c in convs] == [16, 32, 64, 128, 128]


def test_fervgg_is_imgclfs_own_vgg_for_48px_faces():
    """Two 3x3 convs per stage (48..384 filters), a 256-unit dense layer: small enough
    for a 4 MB int8 file (one byte per weight) and for two CPU cores."""
    model = imgclf.build_model("fervgg", task="face-emotion", input_shape=(48, 48, 3))
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    assert [c.filters for c in convs] == [48, 48, 96, 96, 192, 192, 384, 384]
    assert all(c.kernel_size == (3, 3) and not c.use_bias for c in convs)
    assert model.get_layer("flatten").output.shape[-1] == 3 * 3 * 384
    assert model.output_shape == (None, 8)
    assert 2_000_000 < model.count_params() < 4_000_000
    assert check_model_trains("fervgg", "face-emotion", (32, 32, 3))["loss"] > 0


def test_the_fervgg_recipe_resolves_to_what_its_docs_say():
    """The documented command's TOML: a typo in it would only show hours into a run."""
    from pathlib import Path

    config = imgclf.make_config("face-emotion", model="fervgg", config_file="fer2013-fervgg")
    recipe = Path(__file__).parents[1] / "imgclf_face_emotion" / "recipes" / "fer2013-fervgg.toml"
    assert imgclf.make_config("face-emotion", model="fervgg", config_file=recipe) == config
    assert (config.image_size, config.optimizer, config.lr_schedule) == (48, "sgd", "cosine")
    assert config.nesterov and config.weight_decay > 0 and config.label_smoothing == 0.1
    assert (config.epochs, config.val_fraction, config.monitor) == (100, 0.05, "last")
    assert config.tta == "ten-crop"
    assert (config.augmenter, config.augmenter_options) == ("flip-rotate-translate", {"zoom": 0.15})
    layer = imgclf.build_augmenter(
        config.augmenter, task="face-emotion", seed=1, **config.augmenter_options
    )
    assert layer is not None


def test_the_wheel_ships_the_recipes(tmp_path):
    """``--config fer2013-fervgg`` must work from a pip-installed plugin, not only a checkout."""
    import shutil
    import subprocess
    import sys
    import zipfile
    from pathlib import Path

    from imgclf_face_emotion import RECIPES

    src = Path(__file__).parents[1]
    ignore = shutil.ignore_patterns("tests", "build", "*.egg-info", "__pycache__")
    shutil.copytree(src, tmp_path / "src", ignore=ignore)  # the build writes beside its source
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "--no-index", "--disable-pip-version-check", "-w", str(tmp_path), str(tmp_path / "src")],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("imgclf_face_emotion-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n: zf.read(n) for n in zf.namelist() if n.endswith(".toml")}
    assert RECIPES and shipped == {
        f"imgclf_face_emotion/recipes/{p.name}": p.read_bytes() for p in RECIPES.values()
    }
