"""Fixtures for the plugin's tests: the plugin registered, a tiny shapes data set."""

import imgclf_plugin_example
import pytest
from imgclf_plugin_example.data import make_shapes

from imgclf.testing import registered_plugin  # noqa: F401  (a fixture: importing enables it)


@pytest.fixture
def shapes_plugin(registered_plugin):  # noqa: F811
    """The plugin, registered for one test even when it is not pip-installed
    (when it is, its entry point has loaded it already and this changes nothing)."""
    return registered_plugin(imgclf_plugin_example, "shapes")


@pytest.fixture(scope="session")
def shapes_data(tmp_path_factory):
    """24 images of 16 px (8 per shape) and their shapes.jsonl, made once per session."""
    return make_shapes(tmp_path_factory.mktemp("shapes"), per_class=8, size=16, seed=1)
