"""Fault tolerance: a run's state on disk, Ctrl-C and SIGTERM, resuming, and
TensorFlow's image errors turned into a DataError that says what to do.

``state.json`` in the run folder (written atomically) holds ``state`` (running,
finished, interrupted or failed), ``last_epoch`` (completed epochs), ``epochs``,
``trained`` (training is over; evaluation may follow), ``error``, and ``pid``
and ``process`` (boot and start time) of the process that runs it. An
interrupted or failed run continues with ``imgclf run TASK --resume RUN_DIR``:
Keras ``BackupAndRestore`` (in ``RUN_DIR/backup``) restores the weights, the
optimizer and the epoch counter.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from .._config import field_names
from .._data.checks.inspect import inspect_files
from .._files import write_json
from .._log import logger
from .._resolve import make_config
from ..errors import ConfigError, DataError
from .artifacts import open_run
from .splitfile import absolute

#: Settings a resumed run may change: they do not touch data, model or training
#: (``tta`` only changes how the finished model predicts the test split).
RESUME_MAY_CHANGE = frozenset(
    {"report", "strict", "allow_leakage", "cache", "output", "tensorboard", "tta", "time_limit"}
)
IMAGE_ERROR_WORDS = ("decode", "jpeg", "png", "gif", "bmp", "image", "input is empty", "file")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C; the CLI exits with 143."""


class Paused(KeyboardInterrupt):
    """The run's ``time_limit``: stopped after a completed epoch, like a SIGTERM there,
    to go on with ``--resume`` (a session with a time limit); the CLI exits with 75."""


def read_state(run_dir: Path) -> dict[str, Any]:
    try:
        return json.loads((Path(run_dir) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


class RunState:
    """``state.json`` of one run folder, rewritten atomically on every change."""

    def __init__(self, run_dir: Path, epochs: int) -> None:
        self.path = Path(run_dir) / "state.json"
        self.data: dict[str, Any] = {"last_epoch": 0, **read_state(run_dir), "epochs": epochs}

    def update(self, **changes: Any) -> None:
        self.data.update(changes, updated=datetime.now().isoformat(timespec="seconds"))
        write_json(self.path, self.data)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into ``Terminated`` (a KeyboardInterrupt) while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise Terminated()

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextlib.contextmanager
def guarded_run(state: RunState, console: Any, resume_hint: str) -> Iterator[RunState]:
    """Mark the run running; finished, interrupted or failed when the block ends."""
    pid = os.getpid()
    state.update(state="running", pid=pid, process=process_identity(pid), error=None)
    try:
        with sigterm_as_interrupt():
            yield state
    except KeyboardInterrupt as exc:
        state.update(state="interrupted")
        done, folder = state.data.get("last_epoch", 0), state.path.parent
        why = "Paused at the time limit" if isinstance(exc, Paused) else "Interrupted"
        console.print(
            f"[yellow]{why}[/yellow] after epoch {done}; "
            f"what finished is in {folder}. Continue with: {resume_hint}",
            highlight=False,
        )
        logger.warning(
            "%s after epoch %s; what finished is in %s. Continue with: %s",
            why, done, folder, resume_hint,
        )  # fmt: skip
        raise
    except BaseException as exc:
        state.update(state="failed", error=(str(exc) or type(exc).__name__).splitlines()[0])
        raise
    state.update(state="finished")


def is_tf_error(exc: BaseException) -> bool:
    tf = sys.modules.get("tensorflow")
    return tf is not None and isinstance(exc, tf.errors.OpError)


def short_tf_message(exc: BaseException) -> str:
    """The human part of a TensorFlow op error: no node names, no graph context."""
    text = str(getattr(exc, "message", "") or exc)
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text).strip().splitlines()[0] if text else ""
    return re.split(r"\s*\[\[|\s*\[Op:", text)[0].strip().rstrip(".")


@contextlib.contextmanager
def image_errors(paths: Callable[[], Sequence[str]], data: Sequence[str]) -> Iterator[None]:
    """A TensorFlow error while reading images becomes a DataError naming the files."""
    try:
        yield
    except Exception as exc:
        if not is_tf_error(exc):
            raise

        text = short_tf_message(exc)
        bad = [i for i in inspect_files(paths()).values() if not i.ok]
        if not bad and not any(w in text.casefold() for w in IMAGE_ERROR_WORDS):
            raise
        named = "; ".join(f"{i.path} ({i.error})" for i in bad[:5])
        raise DataError(
            f"TensorFlow could not read an image during the run: {text}."
            + (f" Unreadable now: {named}." if bad else "")
            + f" Run 'imgclf data check {' '.join(map(str, data))}' to list the files it "
            "cannot read, remove or replace them, and run again."
        ) from None


def read_saved_config(run_dir: Path) -> dict[str, Any]:
    """The run's config.json (``open_run``), or a ConfigError in ``--resume``'s words."""
    try:
        return open_run(run_dir).config
    except (DataError, OSError, ValueError):
        raise ConfigError(
            f"--resume {str(run_dir)!r}: no readable config.json there; give the folder of "
            "an interrupted run (runs/<task>/<model>/<timestamp>)."
        ) from None


def resume_config(
    run_dir: str | Path, task: str, config_file: Any = None, options: dict | None = None
) -> Any:
    """The RunConfig of an interrupted run; options may change only RESUME_MAY_CHANGE."""
    run_dir = Path(run_dir)
    saved = read_saved_config(run_dir)
    if saved.get("task") != task:
        raise ConfigError(
            f"--resume {str(run_dir)!r} is a run of task {saved.get('task')!r}, not {task!r}."
        )
    if read_state(run_dir).get("trained"):
        raise ConfigError(
            f"The run in {str(run_dir)!r} has finished training; nothing to resume. Re-render "
            f"its reports with 'imgclf report {run_dir}', or start a new run."
        )
    # A time limit is one sitting's: a bare --resume runs to the end, not for as long again.
    skip = {"task", "time_limit"}
    base = {k: v for k, v in saved.items() if k in field_names() and k not in skip}
    base["head"] = saved.get("head_name") or "classes"  # "head" there is the head's kind
    given = {k: v for k, v in (options or {}).items() if v not in (None, ())}
    if given.get("data"):  # config.json records them absolute
        given["data"] = [absolute(d) for d in given["data"]]
    baseline = make_config(task, **base)
    config = make_config(task, config_file=config_file, **{**base, **given})
    changed = [
        f"{k} (run: {getattr(baseline, k)!r}, given: {getattr(config, k)!r})"
        for k in field_names()
        if k not in RESUME_MAY_CHANGE and getattr(config, k) != getattr(baseline, k)
    ]
    if changed:
        raise ConfigError(
            f"--resume continues {str(run_dir)!r} with its own settings, but these differ: "
            f"{'; '.join(changed)}. Leave those options out, or start a new run."
        )
    return config


def resumable_dir(run_dir: str | Path) -> Path:
    """The folder of a run that can be resumed, or a ConfigError saying why not."""
    path = Path(run_dir)
    read_saved_config(path)
    state = read_state(path)
    if state.get("state") == "running" and _alive(state.get("pid"), state.get("process")):
        raise ConfigError(
            f"The run in {str(path)!r} is still running (process {state['pid']}); "
            "stop it first, or wait for it to finish."
        )
    return path


def _alive(pid: Any, identity: Any = None) -> bool:
    """Whether ``pid`` is still the run's process: a pid is reused after a process dies
    or the machine restarts (a run resumed in a later session on a restored machine)."""
    if not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    now = process_identity(pid)
    return identity is None or now is None or now == identity


def process_identity(pid: int) -> str | None:
    """The boot and start time of process ``pid`` (Linux /proc); None where unknown."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8", errors="replace")
        start = stat.rsplit(")", 1)[1].split()[19]  # field 22: start time, ticks since boot
    except (OSError, IndexError):
        return None
    return f"{boot}/{start}"
