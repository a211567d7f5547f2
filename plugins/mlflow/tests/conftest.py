"""The plugin registered, a tiny model, and a throwaway MLflow store for each test.

MLflow's telemetry is off (the tests never use the network); the sqlite store is made
once per session (creating its tables takes seconds) and each test logs to an
experiment of its own.
"""

from __future__ import annotations

import os

import imgclf_mlflow
import pytest

from imgclf import hookimpl
from imgclf.testing import registered_plugin, tiny_model  # noqa: F401  (a fixture)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"


class TinyModel:
    @hookimpl
    def register_models(self, register):
        register("mlflow-tiny", tiny_model)


def need_mlflow():
    return pytest.importorskip(
        "mlflow", reason="MLflow is not installed (pip install -e plugins/mlflow installs it)"
    )


@pytest.fixture
def mlflow_plugin(registered_plugin):  # noqa: F811
    """The plugin, registered for one test even when it is not pip-installed, and a
    tiny model ``mlflow-tiny`` to run the built-in ``classify`` task with."""
    registered_plugin(TinyModel(), "mlflow-tiny-model")
    return registered_plugin(imgclf_mlflow, "mlflow")


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """``MLFLOW_TRACKING_URI`` for a sqlite store in a temporary folder."""
    need_mlflow()
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.fixture
def tracking(store, tmp_path, monkeypatch, request):
    """The store as MLFLOW_TRACKING_URI, artifacts under tmp_path, an experiment named
    after the test; returns an ``MlflowClient`` on the store."""
    import mlflow

    monkeypatch.setenv("IMGCLF_MLFLOW", "1")  # the suite switches it off (../../conftest.py)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", store)
    monkeypatch.setenv("IMGCLF_MLFLOW_EXPERIMENT", request.node.name)
    monkeypatch.chdir(tmp_path)  # a sqlite store's artifacts go to ./mlruns
    return mlflow.MlflowClient(tracking_uri=store)
