"""``state.json`` across sessions: ``--resume`` refuses a run whose process still runs,
and only that (the pid may belong to another process once the run's has died: pid
reuse, or a machine restored in a later session); the training time adds up over
resumes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imgclf._run_folder.state import RunState, guarded_run, process_identity, resumable_dir
from imgclf._training.callbacks import EpochState
from imgclf.errors import ConfigError

linux_only = pytest.mark.skipif(
    process_identity(1) is None, reason="process start times are read from Linux /proc"
)


@pytest.fixture
def sleeper():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    proc.kill()
    proc.wait()


def run_folder(tmp_path: Path, **state) -> Path:
    (tmp_path / "config.json").write_text(json.dumps({"task": "t"}), encoding="utf-8")
    (tmp_path / "state.json").write_text(json.dumps(state), encoding="utf-8")
    return tmp_path


def test_a_run_whose_process_runs_is_not_resumed(tmp_path, sleeper):
    folder = run_folder(
        tmp_path, state="running", pid=sleeper.pid, process=process_identity(sleeper.pid)
    )
    with pytest.raises(ConfigError, match=f"still running \\(process {sleeper.pid}\\)"):
        resumable_dir(folder)


def test_an_old_state_file_without_the_process_identity_still_guards(tmp_path, sleeper):
    folder = run_folder(tmp_path, state="running", pid=sleeper.pid)
    with pytest.raises(ConfigError, match="still running"):
        resumable_dir(folder)


@linux_only
def test_a_reused_pid_does_not_block_the_resume(tmp_path, sleeper):
    boot, start = process_identity(sleeper.pid).split("/")
    for other in (f"{boot}/{int(start) - 1}", f"another-boot/{start}"):
        folder = run_folder(tmp_path, state="running", pid=sleeper.pid, process=other)
        assert resumable_dir(folder) == folder


def test_a_dead_process_does_not_block_the_resume(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    folder = run_folder(tmp_path, state="running", pid=proc.pid, process="b/1")
    assert resumable_dir(folder) == folder


@linux_only
def test_a_run_records_its_own_process_identity(tmp_path):
    state = RunState(tmp_path, epochs=3)

    class Quiet:
        def print(self, *args, **kwargs):
            pass

    with guarded_run(state, Quiet(), "hint"):
        saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert saved["pid"] == os.getpid()
    assert saved["process"] == process_identity(os.getpid())
    assert saved["process"] != process_identity(1)


def test_training_time_adds_up_over_resumes(tmp_path):
    """A resumed run starts from the seconds its earlier sessions recorded."""
    (tmp_path / "state.json").write_text(json.dumps({"last_epoch": 4, "train_seconds": 100.0}))
    state = RunState(tmp_path, epochs=10)
    callback = EpochState(state)
    for epoch in (4, 5):
        callback.on_epoch_begin(epoch)
        time.sleep(0.2)
        callback.on_epoch_end(epoch)
    saved = json.loads((tmp_path / "state.json").read_text(encoding="utf-8"))
    assert saved["last_epoch"] == 6
    assert 100.3 <= saved["train_seconds"] < 110  # 100 + two epochs of about 0.2 s


def test_the_time_limit_pauses_after_the_last_epoch_that_fits(monkeypatch):
    """Epochs of 20 s under a 1-minute limit: the third ends at 60 s, and a fourth as long
    would pass the limit, so the run pauses there; the last epoch never pauses."""
    from imgclf._run_folder.state import Paused
    from imgclf._training import callbacks

    clock = [0.0]
    monkeypatch.setattr(callbacks.time, "perf_counter", lambda: clock[0])
    limit = callbacks.TimeLimit(1.0, epochs=10)
    for epoch in range(2):
        limit.on_epoch_begin(epoch)
        clock[0] += 20.0
        limit.on_epoch_end(epoch)  # at 20 s and 40 s: another epoch still fits
    limit.on_epoch_begin(2)
    clock[0] += 20.0
    with pytest.raises(Paused):
        limit.on_epoch_end(2)
    last = callbacks.TimeLimit(1.0, epochs=3)
    clock[0] = 0.0
    last.began = 0.0
    last.on_epoch_begin(2)
    clock[0] += 90.0
    last.on_epoch_end(2)  # over the limit, but the run's last epoch: it finishes


def test_a_run_paused_at_its_time_limit_resumes_to_the_end(tiny, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from imgclf._cli import cli

    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    runs = tmp_path / "runs"
    args = ["run", "tiny-task", "--data", str(tiny.data), "--epochs", "4", "--output", str(runs),
            "--report", "json", "--time-limit", "0.0001"]  # fmt: skip
    paused = CliRunner().invoke(cli, args)
    assert paused.exit_code == 75, paused.output
    (run_dir,) = [p.parent for p in runs.rglob("state.json")]
    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))
    assert state["state"] == "interrupted" and state["last_epoch"] == 1
    text = " ".join(paused.output.split())
    assert "Paused at the time limit after epoch 1" in text and f"--resume {run_dir}" in text
    assert not (run_dir / "metrics.json").exists()

    resumed = CliRunner().invoke(
        cli, ["run", "tiny-task", "--resume", str(run_dir), "--time-limit", "60"]
    )
    assert resumed.exit_code == 0, resumed.output
    assert "epoch 2/4" in resumed.output and "epoch 1/4" not in resumed.output  # continued
    state = json.loads((run_dir / "state.json").read_text(encoding="utf-8"))
    assert state["state"] == "finished" and state["last_epoch"] == 4
    assert (run_dir / "metrics.json").is_file()
    saved = json.loads((run_dir / "config.json").read_text(encoding="utf-8"))
    assert saved["time_limit"] == 60  # the resumed session's own limit, on record
    # Under --deterministic (the suite's default) the paused and resumed run is the
    # uninterrupted one, number for number.
    whole = CliRunner().invoke(cli, [*args[:-2], "--output", str(tmp_path / "whole")])
    assert whole.exit_code == 0, whole.output
    (other,) = [p.parent for p in (tmp_path / "whole").rglob("state.json")]
    assert (other / "history.csv").read_text() == (run_dir / "history.csv").read_text()
    metrics = [json.loads((d / "metrics.json").read_text()) for d in (other, run_dir)]
    assert metrics[0]["accuracy"] == metrics[1]["accuracy"]


def test_the_time_limit_must_be_above_zero():
    with pytest.raises(ConfigError, match="time_limit is in minutes and must be above 0"):
        imgclf_config(time_limit=0)


def imgclf_config(**values):
    import imgclf

    return imgclf.make_config("classify", **values)
