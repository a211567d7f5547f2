"""The face augmenters draw flip, angle and shifts independently and reproducibly when
run as a run runs them (seeded, inside tf.data); the eager tests cannot show that."""

import keras
import pytest

import imgclf
from imgclf.testing import assert_independent_draws, assert_reproducible_draws


@pytest.mark.parametrize("name", ["paper", "paper-keras"])
def test_paper_augmenters_draw_independently_in_graph_mode(name):
    table = assert_independent_draws(name, task="face-emotion", n=512, seed=42)
    print(f"face-emotion/{name} |r| per pair:", table)
    assert len(table) == 6  # flip, angle, dx and dy all vary


@pytest.mark.parametrize("name", ["paper", "paper-keras"])
def test_paper_augmenters_follow_their_seed(name):
    assert_reproducible_draws(name, task="face-emotion", seed=42)
    assert_reproducible_draws(name, task="face-emotion", seed=0)  # keras-cv: 0 is "no seed"


@pytest.mark.parametrize("name", ["paper", "paper-keras"])
def test_paper_config_round_trips(name):
    augmenter = imgclf.build_augmenter(name, task="face-emotion", seed=42)
    config = augmenter.get_config()
    assert keras.Sequential.from_config(config).get_config() == config
