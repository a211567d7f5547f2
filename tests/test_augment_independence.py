"""Core augmenters draw each random quantity on its own, reproducibly, in graph mode.

Through tf.data (as a run applies them) random ops sharing a seed repeat each other,
which eager calls never show; the checks recover each transform from the output.
"""

from __future__ import annotations

import numpy as np
import pytest

import imgclf
from imgclf.testing import assert_independent_draws, assert_reproducible_draws, augmenter_draws

keras = pytest.importorskip("keras")


def test_flip_rotate_translate_draws_independently_in_graph_mode():
    table = assert_independent_draws("flip-rotate-translate", n=512, seed=42)
    print("flip-rotate-translate max |r| per pair:", table)
    assert set(table) == {f"{a}~{b}" for a, b in
                          [("flip", "angle"), ("flip", "dx"), ("flip", "dy"),
                           ("angle", "dx"), ("angle", "dy"), ("dx", "dy")]}  # fmt: skip


@pytest.mark.parametrize("name", ["flip-rotate-translate", "flip"])
def test_same_seed_same_draws_other_seed_other_draws(name):
    assert_reproducible_draws(name, seed=42)
    assert_reproducible_draws(name, seed=0)


def test_draws_stay_in_their_ranges():
    draws = augmenter_draws("flip-rotate-translate", n=128, rotation_degrees=10, translation=0.05)
    assert np.abs(draws["angle"]).max() <= 10 + 1e-3
    assert np.abs(draws["dx"]).max() <= 0.05 + 1e-3
    assert np.abs(draws["dy"]).max() <= 0.05 + 1e-3
    np.testing.assert_allclose(draws["scale"], 1.0, atol=1e-3)


def test_zoom_draws_its_own_scale_and_leaves_the_other_draws_as_they_were():
    zoomed = augmenter_draws("flip-rotate-translate", n=256, zoom=0.15)
    assert 1 / 1.15 - 1e-3 <= zoomed["scale"].min() < 0.95
    assert 1.05 < zoomed["scale"].max() <= 1.15 + 1e-3
    assert 0.3 < np.mean(zoomed["scale"] > 1) < 0.7  # log-uniform: as often in as out
    plain = augmenter_draws("flip-rotate-translate", n=256)
    for key in ("flip", "angle", "dx", "dy"):  # zoom = 0 reproduces earlier runs' draws
        np.testing.assert_allclose(zoomed[key], plain[key], atol=2e-3, err_msg=key)
    table = assert_independent_draws("flip-rotate-translate", n=512, zoom=0.15)
    assert {"flip~scale", "angle~scale", "dx~scale", "dy~scale"} <= set(table)


def test_zoom_must_not_be_negative():
    with pytest.raises(imgclf.ConfigError, match="zoom.*-0.1"):
        imgclf.build_augmenter("flip-rotate-translate", zoom=-0.1)


def test_the_check_fails_for_layers_that_share_a_seed():
    """Keras' own layers given one seed move together: the check must say so."""
    shared = keras.Sequential(
        [keras.layers.RandomFlip("horizontal", seed=7),
         keras.layers.RandomRotation(0.05, fill_mode="reflect", seed=7)]
    )  # fmt: skip
    with pytest.raises(AssertionError, match="flip~angle"):
        assert_independent_draws(shared, n=256)


def test_derive_seed_is_stable_distinct_and_in_range():
    seeds = {imgclf.derive_seed(s, key) for s in range(50) for key in ("flip", "rot90", 0, 1)}
    assert len(seeds) == 200
    assert all(1 <= s <= 2**31 - 2 for s in seeds)
    assert imgclf.derive_seed(42, "flip") == imgclf.derive_seed(42, "flip")
    assert imgclf.derive_seed(None, "flip") is None


def test_build_augmenter_resolves_names_as_a_run_does(tiny):
    layer = imgclf.build_augmenter("flip-rotate-translate", seed=1, rotation_degrees=5)
    assert [type(sub).__name__ for sub in layer.layers] == ["RandomFlipRotateTranslate"]
    assert layer.layers[0].rotation_degrees == 5
    scoped = imgclf.build_augmenter("paper", task="tiny-task", seed=1)  # tiny-task/paper
    assert "augmenter built" in tiny.events and scoped is not None
    assert imgclf.build_augmenter(None, task="tiny-task") is None  # its default: none
    assert imgclf.build_augmenter("none", task="tiny-task") is None
    with pytest.raises(imgclf.PluginError, match="Did you mean 'flip-rotate-translate'"):
        imgclf.build_augmenter("flip-rotate-translat")
    with pytest.raises(imgclf.ConfigError, match="does not take the options"):
        imgclf.build_augmenter("flip", rotation=3)
