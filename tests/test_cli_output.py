"""What the CLI writes: --json documents alone on stdout, whole lines into a pipe,
a quiet end when the reader goes away, and the documented shell completion."""

import json
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from imgclf._cli import cli
from imgclf._cli import run as run_cli
from imgclf.testing import make_image_folder

ROOT = Path(__file__).resolve().parents[1]

#: ``imgclf ARGS`` in a fresh process, with a tiny model registered for ``classify``.
SCRIPT = """
import sys
from imgclf import hookimpl
from imgclf._cli import main
from imgclf.testing import plugin_registered, tiny_model

class Tiny:
    @hookimpl
    def register_models(self, register):
        register("tiny-net", tiny_model)

sys.argv = ["imgclf", *sys.argv[1:]]
with plugin_registered(Tiny(), "tiny-net-plugin"):
    main()
"""


def invoke(*args, **kwargs):
    return CliRunner().invoke(cli, [str(a) for a in args], **kwargs)


@pytest.fixture(scope="module")
def piped_run(tmp_path_factory):
    """``imgclf run classify ... --json | python -c 'json.load(sys.stdin)'``: a real
    process, so TensorFlow's own writes to file descriptors 1 and 2 happen too."""
    tmp = tmp_path_factory.mktemp("json")
    data = make_image_folder(tmp / "data", classes=("cat", "dog"), per_class=10, size=16)
    args = ["run", "classify", "--data", data, "--model", "tiny-net", "--image-size", "16",
            "--epochs", "1", "--batch-size", "8", "--report", "console",
            "--output", tmp / "runs", "--json"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *map(str, args)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return types.SimpleNamespace(stdout=done.stdout, stderr=done.stderr, data=data)


def test_run_json_is_all_there_is_on_stdout(piped_run):
    doc = json.loads(piped_run.stdout)
    assert set(doc) == {"run_dir", "metrics", "skipped"}
    run_dir = Path(doc["run_dir"])
    assert doc["metrics"] == json.loads((run_dir / "metrics.json").read_text())
    assert 0 <= doc["metrics"]["accuracy"] <= 1
    assert "Test (" in piped_run.stderr  # the console report, on stderr


def test_evaluate_json(piped_run):
    run_dir = json.loads(piped_run.stdout)["run_dir"]
    r = invoke("evaluate", run_dir, "--report", "none", "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert Path(doc["run_dir"]).parent == Path(run_dir) / "evaluations"
    assert doc["metrics"]["n"] == json.loads(piped_run.stdout)["metrics"]["n"]


def test_export_json(piped_run):
    run_dir = json.loads(piped_run.stdout)["run_dir"]
    r = invoke("export", run_dir, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert (doc["format"], doc["quantize"]) == ("tflite", "none")
    assert doc["size_bytes"] == Path(doc["path"]).stat().st_size > 0
    assert doc["comparison"]["agreement"] == 1.0 and "keras" in doc["comparison"]


def test_predict_into_a_closed_pipe_ends_quietly(piped_run):
    """``imgclf predict RUN DIR | head -0``: stdout closed before the first line (rich's
    console; ``--json`` lines go through click.echo like ``plugins --json``, tested in
    test_exit_codes.py)."""
    run_dir = json.loads(piped_run.stdout)["run_dir"]
    args = ["predict", run_dir, str(piped_run.data)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "imgclf", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    proc.stderr.close()
    assert (proc.wait(), stderr) == (141, "")


def test_list_json(tiny):
    kinds = json.loads(invoke("list", "--json").stdout)
    assert set(kinds) == {"tasks", "models", "datasets", "augmenters", "reporters"}
    tasks = {t["name"]: t for t in kinds["tasks"]}
    assert tasks["tiny-task"]["recipes"] == []
    assert "fer2013-fervgg" in tasks["face-emotion"]["recipes"]
    only = json.loads(invoke("list", "models", "--json").stdout)
    models = {m["name"]: m for m in only["models"]}
    assert list(only) == ["models"] and models["tiny-cnn"]["from"] == "tiny-plugin"
    assert set(models["tiny-cnn"]) == {"name", "from", "description", "input_size", "params",
                                       "weights_mb"}  # fmt: skip
    assert models["mobilenetv3-small"]["params"] > 0


def test_messages_and_paths_are_whole_in_a_pipe(tiny, tmp_path, monkeypatch):
    """Not a terminal (CliRunner): COLUMNS=40 must not wrap an error or a path."""
    monkeypatch.setenv("COLUMNS", "40")
    missing = tmp_path / "a-folder-whose-name-is-longer-than-forty-columns" / "nope"
    r = invoke("run", "tiny-task", "--data", missing)
    assert f"Data path '{missing}' does not exist. Check --data." in r.stderr
    long_dir = tmp_path / "runs" / "tiny-task" / "a-run-folder-whose-name-is-longer-than-forty"
    monkeypatch.setattr(run_cli.api, "run_config", lambda *a, **k: types.SimpleNamespace(
        run_dir=long_dir))  # fmt: skip
    monkeypatch.setattr(run_cli, "import_tensorflow_quietly", lambda: None)
    r = invoke("run", "tiny-task", "--data", tiny.data)
    assert f"Done. Run folder: {long_dir}\n" in r.stdout


def completion_lines():
    """The completion commands docs/index.md gives: (variable, value) per shell."""
    text = (ROOT / "docs" / "index.md").read_text().split("### Shell completion", 1)[1]
    return re.findall(r"_IMGCLF_COMPLETE=(\w+_source) imgclf", text)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_documented_shell_completion_produces_a_script(shell):
    assert f"{shell}_source" in completion_lines()
    r = invoke(env={"_IMGCLF_COMPLETE": f"{shell}_source"}, prog_name="imgclf")
    assert r.exit_code == 0
    assert "_imgclf_completion" in r.stdout and "_IMGCLF_COMPLETE" in r.stdout
