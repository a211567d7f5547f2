"""Fault tolerance: SIGTERM mid-training leaves a consistent run folder that
``--resume`` finishes; artifacts are written atomically; TensorFlow errors about
images become DataErrors."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from click.testing import CliRunner
from rich.console import Console

import imgclf
from imgclf._cli import cli
from imgclf._run_folder.state import resume_config
from imgclf.testing import make_image_folder

EPOCHS = 6

PLUGIN = textwrap.dedent(
    """
    import os, sys, time

    import keras

    from imgclf import TaskSpec, hookimpl
    from imgclf._cli import cli
    from imgclf.testing import plugin_registered, tiny_model

    TASK = TaskSpec("slow-task", ("dark", "light"), input_size=16, default_model="slow-cnn",
                    defaults={"batch_size": 4, "patience": 50})
    DELAY = float(os.environ.get("SLOW_DELAY", "0"))


    class Slow:
        @hookimpl
        def register_tasks(self, register):
            register("slow-task", TASK)

        @hookimpl
        def register_models(self, register):
            register("slow-cnn", tiny_model)

        @hookimpl
        def extra_callbacks(self, config):  # slow enough to be stopped between epochs
            def end(epoch, logs):
                print(f"EPOCH {epoch} DONE", flush=True)
                time.sleep(DELAY)

            return [keras.callbacks.LambdaCallback(on_epoch_end=end)]


    with plugin_registered(Slow(), "slow"):
        cli(sys.argv[1:])
    """
)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))


def history_epochs(run_dir):
    with open(run_dir / "history.csv", newline="") as fh:
        return [int(r["epoch"]) for r in csv.DictReader(fh)]


def state_of(run_dir):
    return json.loads((run_dir / "state.json").read_text())


def start(script, args, tmp_path, delay):
    env = {**os.environ, "SLOW_DELAY": str(delay), "TF_CPP_MIN_LOG_LEVEL": "3",
           "IMGCLF_LOAD_PLUGINS": "", "IMGCLF_CACHE_DIR": str(tmp_path / "cache")}  # fmt: skip
    return subprocess.Popen(
        [sys.executable, str(script), *map(str, args)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_for_epochs(runs, n, proc, timeout=180):
    """The run folder once ``n`` epochs are in history.csv and backed up (state.json)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for state in runs.rglob("state.json"):
            run_dir = state.parent
            if state_of(run_dir).get("last_epoch", 0) >= n and len(history_epochs(run_dir)) >= n:
                return run_dir
        if proc.poll() is not None:
            pytest.fail(f"training ended early: {proc.stdout.read()}")
        time.sleep(0.05)
    pytest.fail("no epochs written in time")


def test_sigterm_leaves_a_consistent_run_that_resume_finishes(tmp_path):
    data = make_image_folder(tmp_path / "data", classes=("dark", "light"), per_class=10)
    script = tmp_path / "slow_plugin.py"
    script.write_text(PLUGIN)
    runs = tmp_path / "runs"
    args = ["run", "slow-task", "--data", data, "--epochs", EPOCHS, "--output", runs,
            "--report", "json", "--seed", "3"]  # fmt: skip
    proc = start(script, args, tmp_path, delay=1.0)
    run_dir = wait_for_epochs(runs, 2, proc)
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 143, out
    assert "Traceback" not in out
    assert f"--resume {run_dir}" in " ".join(out.split())  # rich wraps long lines
    state = state_of(run_dir)
    assert state["state"] == "interrupted" and 2 <= state["last_epoch"] < EPOCHS
    done = history_epochs(run_dir)
    assert done == list(range(1, len(done) + 1))  # what finished is intact, each epoch once
    assert (run_dir / "model.keras").is_file() and (run_dir / "config.json").is_file()
    assert not list(run_dir.glob(".*tmp*"))  # no half-written artifact left behind

    proc = start(script, ["run", "slow-task", "--resume", run_dir], tmp_path, delay=0)
    out, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, out
    ran = [int(line.split()[1]) for line in out.splitlines() if line.startswith("EPOCH ")]
    assert ran == list(range(state["last_epoch"], EPOCHS))  # continued, not started over
    assert history_epochs(run_dir) == list(range(1, EPOCHS + 1))
    state = state_of(run_dir)
    assert state["state"] == "finished" and state["last_epoch"] == EPOCHS and state["trained"]
    assert (run_dir / "metrics.json").is_file() and not (run_dir / "backup").exists()
    assert len(list(runs.rglob("config.json"))) == 1  # the same folder, not a new run


def run(tmp_path, data, **options):
    return imgclf.run(
        "tiny-task", data=data, output=tmp_path / "runs", seed=1, report=[],
        console=Console(file=io.StringIO()), **options,
    )  # fmt: skip


def test_a_finished_run_has_state_history_and_no_leftovers(tiny, tmp_path):
    result = run(tmp_path, tiny.data, epochs=2)
    state = state_of(result.run_dir)
    assert state["state"] == "finished" and state["last_epoch"] == 2 and state["epochs"] == 2
    assert state["train_seconds"] > 0  # the two epochs' time
    assert history_epochs(result.run_dir) == [1, 2]  # counted from 1, as state.json
    header = (result.run_dir / "history.csv").read_text().splitlines()[0]
    assert header == "epoch,accuracy,learning_rate,loss,val_accuracy,val_loss"  # as CSVLogger
    assert not (result.run_dir / "backup").exists()
    assert not [p.name for p in result.run_dir.iterdir() if p.name.startswith(".")]


def test_resume_refuses_a_finished_run_and_changed_settings(tiny, tmp_path):
    result = run(tmp_path, tiny.data)
    with pytest.raises(imgclf.ConfigError, match="has finished training"):
        imgclf.run("tiny-task", resume=result.run_dir)
    state = state_of(result.run_dir)
    (result.run_dir / "state.json").write_text(json.dumps({**state, "trained": False}))
    r = CliRunner().invoke(cli, ["run", "tiny-task", "--resume", result.run_dir, "--lr", "0.5"])
    assert r.exit_code == 3 and "these differ: lr (run: 0.001, given: 0.5)" in r.output
    # How the test split is predicted is not training: it may change.
    assert resume_config(result.run_dir, "tiny-task", options={"tta": "ten-crop"}).tta == "ten-crop"
    # A time limit is the paused sitting's: a bare --resume runs to the end.
    saved = json.loads((result.run_dir / "config.json").read_text(encoding="utf-8"))
    (result.run_dir / "config.json").write_text(json.dumps({**saved, "time_limit": 34.0}))
    assert resume_config(result.run_dir, "tiny-task").time_limit is None
    again = resume_config(result.run_dir, "tiny-task", options={"time_limit": 20})
    assert again.time_limit == 20
    r = CliRunner().invoke(cli, ["run", "tiny-task", "--resume", tmp_path / "nowhere"])
    assert r.exit_code == 3 and "no readable config.json there" in r.output


def test_a_resumed_run_trains_in_the_precision_it_began_in(tiny, tmp_path):
    """Began in bf16 on a CPU that has it (written here into config.json): a resume on a
    CPU where auto would choose float32 still trains in bf16, and says why."""
    result = run(tmp_path, tiny.data, epochs=1)
    saved = json.loads((result.run_dir / "config.json").read_text())
    assert saved["dtype_policy"] == "float32"  # auto, under the suite's IMGCLF_AUTO_PRECISION
    (result.run_dir / "config.json").write_text(
        json.dumps({**saved, "dtype_policy": "mixed_bfloat16"})
    )
    state = state_of(result.run_dir)
    (result.run_dir / "state.json").write_text(json.dumps({**state, "trained": False}))
    out = io.StringIO()
    resumed = imgclf.run("tiny-task", resume=result.run_dir, console=Console(file=out, width=200))
    policies = {layer.dtype_policy.name for layer in resumed.model.layers if layer.weights}
    assert "mixed_bfloat16" in policies
    assert "resumed: the run goes on in the precision it began in" in out.getvalue()
    kept = json.loads((result.run_dir / "config.json").read_text())["dtype_policy"]
    assert kept == "mixed_bfloat16"


def test_a_tensorflow_image_error_mid_run_becomes_a_data_error(tiny, tmp_path, monkeypatch):
    """A file that slips past the pre-flight (here: the pre-flight is told all is well)."""
    from imgclf._data.checks import preflight
    from imgclf._data.checks.inspect import FileInfo

    bad = tiny.data / "dark" / "broken.png"
    bad.write_bytes(b"")

    def all_fine(paths, console=None):
        return {p: FileInfo(p, sha1=p, decoder="tf") for p in paths}

    monkeypatch.setattr(preflight, "inspect_files", all_fine)
    r = CliRunner().invoke(cli, ["run", "tiny-task", "--data", tiny.data, "--output",
                                 tmp_path / "runs", "--report", "none"])  # fmt: skip
    assert r.exit_code == 4 and "Traceback" not in r.output
    out = " ".join(r.output.split())
    assert "TensorFlow could not read an image during the run" in out
    assert f"{bad} (empty file (0 bytes))" in out and "imgclf data check" in out
    (run_dir,) = (tmp_path / "runs" / "tiny-task" / "tiny-cnn").iterdir()
    assert state_of(run_dir)["state"] == "failed"
