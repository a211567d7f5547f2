import pytest

from imgclf._config import RunConfig, parse_sets, resolve
from imgclf.errors import ConfigError


def test_precedence_defaults_task_file_flags(tmp_path):
    toml = tmp_path / "run.toml"
    toml.write_text('epochs = 7\nbatch_size = 16\n[loader]\nlabel_column = "emotion"\n')
    cfg = resolve("t", {"epochs": 3, "lr": 0.01, "patience": 2}, toml, {"epochs": "9"})
    assert cfg.epochs == 9  # flag beats file beats task
    assert cfg.batch_size == 16  # file beats default
    assert cfg.lr == 0.01  # task beats default
    assert cfg.seed == RunConfig("t").seed
    assert cfg.loader_options == {"label_column": "emotion"}


def test_set_pairs_and_dotted_keys():
    sets = parse_sets(["loader.image_column=img", "label_map.happiness=happy", "limit=50"])
    cfg = resolve("t", {}, None, sets)
    assert cfg.loader_options == {"image_column": "img"}
    assert cfg.label_map == {"happiness": "happy"}
    assert cfg.limit == 50


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"epochs": "0"}, "epochs must be a positive whole number; received 0"),
        ({"batch_size": -4}, "batch_size must be a positive whole number; received -4"),
        ({"epochs": "ten"}, "'epochs' takes a int; received 'ten'"),
        ({"lr": "0"}, "lr .learning rate. must be above 0"),
        ({"epocs": "3"}, "Unknown setting 'epocs' in options. Did you mean 'epochs'"),
        ({"class_weight": "balanced"}, "class_weight must be one of none, auto"),
        ({"threshold": "2"}, "threshold must be in"),
    ],
)
def test_invalid_values_are_named(overrides, message):
    with pytest.raises(ConfigError, match=message):
        resolve("t", {}, None, overrides)


def test_set_without_equals():
    with pytest.raises(ConfigError, match="--set takes KEY=VALUE; received 'epochs'"):
        parse_sets(["epochs"])


def test_bad_toml(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("epochs = [\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        resolve("t", {}, bad, {})
    with pytest.raises(ConfigError, match="does not exist"):
        resolve("t", {}, tmp_path / "missing.toml", {})


def test_config_names_a_recipe_the_task_ships(tmp_path, monkeypatch):
    from imgclf import TaskSpec
    from imgclf._resolve import recipe_file

    shipped = tmp_path / "pkg" / "fast.toml"
    shipped.parent.mkdir()
    shipped.write_text("epochs = 3\n")
    spec = TaskSpec(name="t", classes=("a", "b"), recipes={"fast": shipped})
    monkeypatch.chdir(tmp_path)
    assert recipe_file(spec, "fast") == shipped
    assert resolve("t", {}, recipe_file(spec, "fast"), {}).epochs == 3
    (tmp_path / "fast").write_text("epochs = 5\n")  # a file of that name is the user's: it wins
    assert resolve("t", {}, recipe_file(spec, "fast"), {}).epochs == 5
    assert recipe_file(spec, None) is None
    with pytest.raises(ConfigError, match=r"'slow' is no file.*its recipes: fast\)"):
        recipe_file(spec, "slow")
