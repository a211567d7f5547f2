"""reshi2021: the paper's parameter count, its output, and the smallest input it takes."""

from __future__ import annotations

import pytest

import imgclf


def test_reshi2021_has_the_papers_parameter_count():
    model = imgclf.build_model("reshi2021", "covid-xray")  # task default: 150x150x3
    assert model.input_shape == (None, 150, 150, 3)
    assert model.count_params() == 1_217_345
    assert model.output_shape == (None, 1)
    assert model.layers[-1].get_config()["activation"] == "sigmoid"


def test_every_layer_is_named():
    model = imgclf.build_model("reshi2021", "covid-xray")
    prefixes = ("image", "block", "flatten", "fc", "predictions")
    assert all(layer.name.startswith(prefixes) for layer in model.layers)
    convs = [layer for layer in model.layers if layer.name.endswith("_conv")]
    assert [c.filters for c in convs] == [64, 64, 128, 128, 256]
    assert {c.padding for c in convs} == {"valid"}
    norms = [layer for layer in model.layers if layer.name.endswith("_bn")]
    assert len(norms) == 7 and {n.momentum for n in norms} == {0.9}  # see models.py


@pytest.mark.parametrize("side", [94, 96, 224])
def test_other_input_sizes_build(side):
    model = imgclf.build_model("reshi2021", "covid-xray", (side, side, 3))
    assert model.output_shape == (None, 1)


@pytest.mark.parametrize("shape", [(93, 93, 3), (64, 64, 3), (150, 150, 1)])
def test_too_small_or_wrong_input_is_a_model_error(shape):
    with pytest.raises(imgclf.ModelError) as err:
        imgclf.build_model("reshi2021", "covid-xray", shape)
    assert "at least 94x94" in str(err.value)
    assert str(shape) in str(err.value)
