"""The 'paper' augmenter draws flip, right-angle turn and zoom independently and
reproducibly when run as a run runs it (seeded, inside tf.data)."""

import keras
import numpy as np
import pytest

import imgclf
from imgclf.testing import assert_independent_draws, assert_reproducible_draws, augmenter_draws


@pytest.mark.parametrize("zoom", [0.0, 0.2])
def test_paper_draws_independently_in_graph_mode(zoom):
    table = assert_independent_draws("paper", task="covid-xray", n=512, seed=42, zoom=zoom)
    print(f"covid-xray/paper zoom={zoom} |r| per pair:", table)
    assert ("flip~scale" in table) == bool(zoom)


def test_paper_turns_by_right_angles_with_every_flip():
    draws = augmenter_draws("paper", task="covid-xray", n=512, seed=42)
    turns = np.round(draws["angle"] / 90).astype(int) % 4
    np.testing.assert_allclose(draws["angle"], np.where(turns == 3, -90, turns * 90), atol=1e-3)
    counts = np.zeros((2, 4))
    np.add.at(counts, (draws["flip"].astype(int), turns), 1)
    assert counts.min() > 512 / 8 * 0.6  # each of the 8 flip x turn pairs occurs


@pytest.mark.parametrize("zoom", [0.0, 0.2])
def test_paper_follows_its_seed(zoom):
    assert_reproducible_draws("paper", task="covid-xray", seed=42, zoom=zoom)


def test_paper_config_round_trips():
    augmenter = imgclf.build_augmenter("paper", task="covid-xray", seed=42, zoom=0.2)
    config = augmenter.get_config()
    assert keras.Sequential.from_config(config).get_config() == config
