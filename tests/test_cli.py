"""The CLI through click's CliRunner, and its import cost."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from imgclf.cli import cli


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_and_list_do_not_import_tensorflow():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from imgclf.cli import cli\n"
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
        assert kind in out
    assert invoke("list", "gadgets").exit_code == 2


def test_plugins_lists_builtins_with_hooks():
    out = invoke("plugins").output
    assert "imgclf.default_plugins.datasets" in out and "register_datasets" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["run", "no-such-task", "--data", "."], "Unknown task 'no-such-task'"),
        (["run", "tiny", "--epochs", "0"], None),
    ],
)
def test_run_errors_are_one_line_messages(args, message):
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    if message:
        assert message in result.output


def test_run_bad_set_and_model(tiny, tiny_folder, tmp_path):
    if True:
        r = CliRunner().invoke(
            cli, ["run", "tiny-task", "--data", str(tiny_folder), "--set", "epocs=2"]
        )
        assert r.exit_code == 2 and "Did you mean 'epochs'" in r.output
        r = CliRunner().invoke(
            cli, ["run", "tiny-task", "--data", str(tiny_folder), "--model", "tiny-cn"]
        )
        assert r.exit_code == 2 and "Did you mean 'tiny-cnn'" in r.output
        r = CliRunner().invoke(cli, ["run", "tiny-task", "--data", str(tmp_path / "nope")])
        assert r.exit_code == 2 and "does not exist" in r.output
        r = CliRunner().invoke(
            cli, ["run", "tiny-task", "--data", str(tiny_folder), "--batch-size", "0"]
        )
        assert r.exit_code == 2 and "batch_size must be a positive" in r.output
