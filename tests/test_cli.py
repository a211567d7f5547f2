"""The CLI through click's CliRunner, and its import cost."""

import json
import subprocess
import sys
from importlib import metadata

import pytest
from click.testing import CliRunner

from imgclf import hookimpl
from imgclf._cli import cli
from imgclf.testing import plugin_registered


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_and_list_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from imgclf._cli import cli\n"
        "for args in (['--help'], ['list'], ['plugins'], ['run', '--help']):\n"
        "    r = CliRunner().invoke(cli, args)\n"
        "    assert r.exit_code == 0, r.output\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "assert 'keras' not in sys.modules, 'keras was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_list_kinds():
    out = invoke("list", "datasets").output
    assert "folder" in out and "csv" in out
    out = invoke("list").output
    for kind in ("tasks", "models", "datasets", "augmenters", "reporters"):
        assert kind in out.splitlines()  # each table's title on a line of its own
    assert not [line for line in out.splitlines() if line.endswith(" ")]  # nothing padded
    assert invoke("list", "gadgets").exit_code == 2


def test_plugins_lists_builtins_with_hooks():
    out = invoke("plugins").output
    assert "imgclf.default_plugins.datasets" in out and "register_datasets" in out


def installed_version(dist):
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        pytest.skip(f"needs {dist}: pip install -e plugins/face-emotion")


def test_plugins_names_the_installed_distribution():
    version = installed_version("imgclf-face-emotion")
    rows = [line for line in invoke("plugins").output.splitlines() if "│ face_emotion " in line]
    assert len(rows) == 1 and f"│ imgclf-face-emotion {version} │" in rows[0], rows


def test_plugins_json_has_every_field():
    version = installed_version("imgclf-face-emotion")
    infos = {i["name"]: i for i in json.loads(invoke("plugins", "--json").output)}
    fields = {"name", "distribution", "version", "builtin", "hooks", "status", "errors"}
    assert all(set(i) == fields for i in infos.values())
    face = infos["face_emotion"]
    assert (face["distribution"], face["version"], face["builtin"]) == (
        "imgclf-face-emotion",
        version,
        False,
    )
    assert face["status"] == "ok" and face["errors"] == [] and "register_tasks" in face["hooks"]
    builtin = infos["imgclf.default_plugins.datasets"]
    assert builtin["builtin"] and builtin["distribution"] == "imgclf"


class LongNamed:
    @hookimpl
    def register_models(self, register):
        register("a-model-whose-name-is-longer-than-forty-columns", lambda shape, head: None)


def test_long_names_are_whole_when_piped(monkeypatch):
    """Not a terminal (CliRunner): COLUMNS=40 must not cut or wrap any cell."""
    monkeypatch.setenv("COLUMNS", "40")
    owner = "a-plugin-registered-under-a-long-name"
    with plugin_registered(LongNamed(), owner):
        plugins_out, list_out = invoke("plugins").output, invoke("list", "models").output
    assert any(owner in line and "register_models" in line for line in plugins_out.splitlines())
    row = f"│ a-model-whose-name-is-longer-than-forty-columns │ {owner} │"
    assert any(row in line for line in list_out.splitlines()), list_out


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no-such-task", "--data", "."], "Unknown task 'no-such-task'"),
        (["run", "tiny", "--epochs", "0"], None),
    ],
)
def test_run_errors_are_one_line_messages(args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 3
    assert "Traceback" not in result.output
    if message:
        assert message in result.output


def test_run_bad_set_and_model(tiny, tiny_folder, tmp_path):
    if True:
        r = CliRunner().invoke(
            cli, ["run", "tiny-task", "--data", str(tiny_folder), "--set", "epocs=2"]
        )
        assert r.exit_code == 3 and "Did you mean 'epochs'" in r.output
        r = CliRunner().invoke(
            cli, ["run", "tiny-task", "--data", str(tiny_folder), "--model", "tiny-cn"]
        )
        assert r.exit_code == 3 and "Did you mean 'tiny-cnn'" in r.output
        r = CliRunner().invoke(cli, ["run", "tiny-task", "--data", str(tmp_path / "nope")])
        assert r.exit_code == 4 and "does not exist" in r.output
        r = CliRunner().invoke(
            cli, ["run", "tiny-task", "--data", str(tiny_folder), "--batch-size", "0"]
        )
        assert r.exit_code == 3 and "batch_size must be a positive" in r.output
