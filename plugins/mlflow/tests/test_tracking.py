"""A tiny real run read back through MLflow's own API, and the plugin's pieces."""

from __future__ import annotations

import json
import logging
import socket
import sys
import types
import warnings

import imgclf_mlflow
import pytest
from imgclf_mlflow import settings
from imgclf_mlflow.tracker import RUN_DIR_TAG

from imgclf.testing import make_image_folder, run_tiny


@pytest.fixture
def no_network(monkeypatch):
    """Every outgoing connection is refused and recorded: MLflow must not try any."""
    tried = []

    def refuse(*args, **kwargs):
        tried.append(args)
        raise OSError("tests use no network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    return tried


def test_a_run_is_logged_to_mlflow(mlflow_plugin, tracking, tmp_path, no_network):
    import mlflow

    data = make_image_folder(tmp_path / "data", classes=("dark", "light"), per_class=10, size=32)
    result = run_tiny("classify", data, tmp_path, model="mlflow-tiny", epochs=2, image_size=32,
                      report=["json", "plots", "html"])  # fmt: skip
    [run] = mlflow.search_runs(experiment_names=["test_a_run_is_logged_to_mlflow"],
                               output_format="list")  # fmt: skip
    assert run.info.status == "FINISHED"
    assert run.data.tags[RUN_DIR_TAG] == str(result.run_dir.resolve())
    # the settings of config.json
    saved = json.loads((result.run_dir / "config.json").read_text())
    params = run.data.params
    assert params["task"] == "classify" and params["model"] == "mlflow-tiny"
    assert params["epochs"] == "2" and params["image_size"] == "32"
    assert (
        params["seed"] == str(saved["seed"]) and json.loads(params["classes"]) == saved["classes"]
    )
    assert params["versions.tensorflow"] == saved["versions"]["tensorflow"]
    # each epoch's metrics, step = epoch counted from 1 as in history.csv
    history = tracking.get_metric_history(run.info.run_id, "val_loss")
    assert [m.step for m in sorted(history, key=lambda m: m.step)] == [1, 2]
    assert [m.step for m in tracking.get_metric_history(run.info.run_id, "loss")] == [1, 2]
    # the test split's metrics, as metrics.json has them
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    assert run.data.metrics["test_accuracy"] == pytest.approx(metrics["accuracy"])
    assert run.data.metrics["test_n"] == metrics["n"]
    # the run folder's files
    listed = {a.path for a in tracking.list_artifacts(run.info.run_id)}
    assert {"report.html", "model.keras", "config.json", "metrics.json", "plots"} <= listed
    assert tracking.list_artifacts(run.info.run_id, "plots")
    assert no_network == []


def test_a_failed_run_is_marked_and_a_resumed_one_continues(tracking, tmp_path):
    from imgclf_mlflow import tracker

    run_dir = tmp_path / "runs" / "classify" / "m" / "20260101-000000"
    run_dir.mkdir(parents=True)
    (run_dir / "config.json").write_text(json.dumps({"task": "classify", "epochs": 3}))
    config = types.SimpleNamespace(task="classify", model="m")
    first = tracker.start(config, run_dir)
    tracker._fail_unfinished()  # what happens when the process ends before run_finished
    assert tracking.get_run(first.run_id).info.status == "FAILED"
    again = tracker.start(config, run_dir)  # --resume of the same folder
    assert again.run_id == first.run_id
    assert tracking.get_run(first.run_id).info.status == "RUNNING"
    assert tracker.finish(config, run_dir, {"accuracy": 0.75, "classes": ["a"]}) == first.run_id
    run = tracking.get_run(first.run_id)
    assert run.info.status == "FINISHED" and run.data.metrics == {"test_accuracy": 0.75}
    assert {a.path for a in tracking.list_artifacts(run.info.run_id)} == {"config.json"}


def test_inert_without_mlflow_and_says_why_once(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow -> ImportError
    monkeypatch.setattr(settings, "_said_why", [])
    monkeypatch.setenv("IMGCLF_MLFLOW", "1")
    monkeypatch.chdir(tmp_path)
    config = types.SimpleNamespace(task="classify", model="m")
    with pytest.warns(UserWarning, match="MLflow cannot be imported.*runs are not tracked"):
        assert imgclf_mlflow.extra_callbacks(config, tmp_path) is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would raise here
        assert imgclf_mlflow.extra_callbacks(config, tmp_path) is None
        assert imgclf_mlflow.run_finished(config, tmp_path, {"accuracy": 1.0}) is None
    assert not (tmp_path / "mlruns").exists()


def test_switched_off_it_stays_silent(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    monkeypatch.setattr(settings, "_said_why", [])
    monkeypatch.setenv("IMGCLF_MLFLOW", "0")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert imgclf_mlflow.extra_callbacks(types.SimpleNamespace(task="t"), tmp_path) is None
    assert settings._said_why == []


def test_only_the_chief_of_a_multi_worker_run_logs(monkeypatch):
    cluster = {"chief": ["h:1"], "worker": ["h:2"]}
    for task, logs in ((("chief", 0), True), (("worker", 0), False)):
        tf_config = {"cluster": cluster, "task": {"type": task[0], "index": task[1]}}
        monkeypatch.setenv("TF_CONFIG", json.dumps(tf_config))
        assert settings.is_chief() is logs
    monkeypatch.setenv(
        "TF_CONFIG",
        json.dumps({"cluster": {"worker": ["a", "b"]}, "task": {"type": "worker", "index": 1}}),
    )
    assert not settings.is_chief()


def test_tracking_uri_defaults_to_a_sqlite_store_in_mlruns(monkeypatch, tmp_path):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert settings.tracking_uri() == f"sqlite:///{tmp_path / 'mlruns' / 'mlflow.db'}"
    assert (tmp_path / "mlruns").is_dir()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://tracking.example:5000")
    assert settings.tracking_uri() == "http://tracking.example:5000"


def test_experiment_is_the_task_unless_set(monkeypatch):
    config = types.SimpleNamespace(task="face-emotion", model="alexnet")
    monkeypatch.delenv("IMGCLF_MLFLOW_EXPERIMENT", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    assert settings.experiment_name(config) == "face-emotion"
    monkeypatch.setenv("MLFLOW_EXPERIMENT_NAME", "mine")
    assert settings.experiment_name(config) == "mine"
    monkeypatch.setenv("IMGCLF_MLFLOW_EXPERIMENT", "imgclf/{task}/{model}")
    assert settings.experiment_name(config) == "imgclf/face-emotion/alexnet"


def test_params_and_metrics_are_flattened():
    saved = {"epochs": 2, "data": ["/d"], "loader_options": {"size": 3}, "head": None,
             "data_summary": {"counts": {}}, "label_map": {"ok?": "a"}}  # fmt: skip
    assert settings.params_from(saved) == {
        "epochs": "2", "data": '["/d"]', "loader_options.size": "3", "head": "None",
        "label_map.ok_": "a",
    }  # fmt: skip
    metrics = {"accuracy": 0.5, "n": 4, "classes": ["a", "b"], "per_class": {"a b": {"f1": 1}},
               "external": {"other": {"accuracy": 0.25, "data": "/x"}}}  # fmt: skip
    assert settings.metrics_from(metrics) == {
        "test_accuracy": 0.5, "test_n": 4.0, "test_per_class.a b.f1": 1.0,
        "external.other.accuracy": 0.25,
    }  # fmt: skip


def test_opening_a_new_store_keeps_mlflows_setup_lines_off_the_console(monkeypatch, tmp_path):
    pytest.importorskip("mlflow", reason="MLflow is not installed")
    from imgclf_mlflow import tracker

    heard = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = lambda record: heard.append(record.getMessage())
    store_log = logging.getLogger("mlflow.store.db.utils")
    store_log.addHandler(handler)
    before = store_log.level
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setenv("IMGCLF_MLFLOW_EXPERIMENT", "new-store")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "config.json").write_text('{"task": "classify", "model": "tiny"}')
    try:
        tracked = tracker.start(types.SimpleNamespace(task="classify", model="tiny"), run_dir)
    finally:
        store_log.removeHandler(handler)
        tracker._open.pop(run_dir.resolve(), None)
    assert tracked.client.get_run(tracked.run_id).info.status == "RUNNING"
    assert (tmp_path / "new.db").is_file()
    assert not [m for m in heard if "database tables" in m], heard
    assert store_log.level == before  # put back: MLflow's own use of it is unchanged
