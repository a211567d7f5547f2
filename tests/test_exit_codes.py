"""Exit codes: one per kind of failure, defined once (imgclf/_cli/exitcodes.py) and
documented in docs/index.md; a closed pipe ends a command quietly."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgclf._cli import cli
from imgclf._cli import run as run_cli
from imgclf._run_folder.state import Terminated

ROOT = Path(__file__).resolve().parents[1]


def codes() -> dict[str, int]:
    from imgclf._cli import exitcodes

    return {k: v for k, v in vars(exitcodes).items() if k.isupper() and isinstance(v, int)}


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_the_codes_differ_and_the_docs_table_lists_each():
    assert len(set(codes().values())) == len(codes())
    assert {"USAGE": 2, "ERROR": 3, "DATA": 4, "INTERRUPTED": 130}.items() <= codes().items()
    text = (ROOT / "docs" / "index.md").read_text().split("### Exit codes", 1)[1]
    documented = [int(c) for c in re.findall(r"^\| (\d+) \|", text.split("\n\n###")[0], re.M)]
    assert sorted(documented) == sorted(codes().values())


def test_usage_config_and_data_errors_exit_differently(tiny, tmp_path):
    usage = invoke("run", "tiny-task", "--epochs", "abc")
    config = invoke("run", "tiny-task", "--data", tiny.data, "--set", "epocs=2")
    unknown = invoke("run", "tiny-task", "--data", tiny.data, "--model", "tiny-cn")
    data = invoke("run", "tiny-task", "--data", tmp_path / "nope")
    assert usage.exit_code == 2
    assert config.exit_code == unknown.exit_code == 3
    assert data.exit_code == 4
    assert "does not exist" in data.stderr and "Traceback" not in data.output


@pytest.mark.parametrize("exc, code", [(KeyboardInterrupt, 130), (Terminated, 143)])
def test_interrupted_and_terminated(tiny, monkeypatch, exc, code):
    def stop(*args, **kwargs):
        raise exc()

    monkeypatch.setattr(run_cli.api, "run_config", stop)
    monkeypatch.setattr(run_cli, "import_tensorflow_quietly", lambda: None)
    result = invoke("run", "tiny-task", "--data", tiny.data)
    assert result.exit_code == code and "Interrupted." in result.stderr


def closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """``imgclf ARGS | head -0``, without the race: stdout is closed before it writes."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "imgclf", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    return subprocess.CompletedProcess(args, proc.wait(), "", stderr)


@pytest.mark.parametrize("args", [["list"], ["plugins", "--json"]])
def test_a_closed_pipe_ends_quietly(args):
    done = closed_pipe(*args)
    assert (done.returncode, done.stderr) == (141, "")
