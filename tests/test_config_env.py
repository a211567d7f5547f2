"""IMGCLF_<SETTING> environment variables: parsed like --set, between --config and the
command line, read by the API as by the CLI; other IMGCLF_ variables left alone."""

import pytest
from click.testing import CliRunner

import imgclf
from imgclf._cli import cli
from imgclf._cli import run as run_cli
from imgclf.errors import ConfigError


@pytest.fixture
def toml(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("epochs = 5\nbatch_size = 32\ndeterministic = false\n")
    return path


def test_environment_sits_between_the_file_and_the_options(tiny, toml, monkeypatch):
    monkeypatch.setenv("IMGCLF_EPOCHS", "3")
    monkeypatch.setenv("IMGCLF_LR", "0.01")
    monkeypatch.setenv("IMGCLF_MIXED_PRECISION", "false")  # --set's spellings
    monkeypatch.setenv("IMGCLF_DATA", "a, b")
    monkeypatch.setenv("IMGCLF_SEED", "")  # empty: unset
    cfg = imgclf.make_config("tiny-task")  # the task's default epochs is 1
    assert (cfg.epochs, cfg.lr, cfg.mixed_precision, cfg.data, cfg.seed) == (
        3, 0.01, "off", ["a", "b"], 42)  # fmt: skip
    cfg = imgclf.make_config("tiny-task", config_file=toml)
    assert (cfg.epochs, cfg.batch_size) == (3, 32)  # env over the file, the file elsewhere
    assert imgclf.make_config("tiny-task", config_file=toml, epochs=7).epochs == 7


def test_the_cli_reads_them_and_its_flags_win(tiny, monkeypatch):
    seen = []
    monkeypatch.setattr(run_cli.api, "run_config", lambda cfg, *a, **k: seen.append(cfg))
    monkeypatch.setattr(run_cli, "import_tensorflow_quietly", lambda: None)
    args = ["run", "tiny-task", "--data", str(tiny.data)]
    env = {"IMGCLF_EPOCHS": "4", "IMGCLF_BATCH_SIZE": "2"}
    CliRunner().invoke(cli, args, env=env)
    CliRunner().invoke(cli, [*args, "--epochs", "6", "--set", "batch_size=3"], env=env)
    assert [(c.epochs, c.batch_size) for c in seen] == [(4, 2), (6, 3)]


@pytest.mark.parametrize(
    "var, value, message",
    [
        ("IMGCLF_EPOCHS", "abc", "Environment variable IMGCLF_EPOCHS='abc': 'epochs' takes"),
        ("IMGCLF_CACHE", "ram", "received 'ram'. (Set in the environment: IMGCLF_CACHE=ram.)"),
        ("IMGCLF_EPOCH", "3", "IMGCLF_EPOCH is not a setting; did you mean IMGCLF_EPOCHS?"),
    ],
)
def test_a_bad_variable_is_named(tiny, monkeypatch, var, value, message):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        imgclf.make_config("tiny-task")
    result = CliRunner().invoke(cli, ["run", "tiny-task", "--data", str(tiny.data)])
    assert result.exit_code == 3 and var in result.stderr


def test_other_imgclf_variables_are_not_settings(tiny, tmp_path, monkeypatch):
    for var in ("CACHE_DIR", "TEST_DATA", "SHARED_DATA", "AUTO_PRECISION", "UPDATE_DOCS",
                "LOAD_PLUGINS", "TRACE_PLUGINS", "TF_LOGS", "SOMETHING_ELSE"):  # fmt: skip
        monkeypatch.setenv(f"IMGCLF_{var}", "0")
    assert imgclf.make_config("tiny-task") == imgclf.make_config("tiny-task", epochs=1)


def test_deterministic_is_one_setting_whichever_way_it_comes(tiny, toml, monkeypatch):
    """IMGCLF_DETERMINISTIC (set by conftest.py) is the setting's variable: over a file,
    under a flag, and the default of a RunConfig built directly."""
    monkeypatch.setenv("IMGCLF_DETERMINISTIC", "1")
    assert imgclf.make_config("tiny-task", config_file=toml).deterministic is True
    assert imgclf.make_config("tiny-task", deterministic=False).deterministic is False
    assert imgclf.RunConfig("tiny-task").deterministic is True
    monkeypatch.setenv("IMGCLF_DETERMINISTIC", "no")
    assert imgclf.RunConfig("tiny-task").deterministic is False
    monkeypatch.setenv("IMGCLF_DETERMINISTIC", "maybe")
    with pytest.raises(ConfigError, match="IMGCLF_DETERMINISTIC='maybe'"):
        imgclf.RunConfig("tiny-task")
