"""Every option of a run is checked before anything is written: a misspelt loader,
augmenter, model, reporter or task option is refused with the owner's name and a
did-you-mean, and leaves no run folder behind."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

import imgclf
from imgclf import ConfigError, hookimpl
from imgclf._cli import cli
from imgclf.testing import plugin_registered, run_tiny


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))


def refused(tmp_path, data, *more):
    """Run the tiny task with ``more``; it must fail cleanly and write no folder."""
    args = ["run", "tiny-task", "--data", data, "--output", tmp_path / "runs", *more]
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists(), "a refused run left its output folder"
    return " ".join(result.output.split())  # rich wraps long lines


def csv_table(root):
    """A CSV (image,label) beside the tiny task's images."""
    rows = [(p.relative_to(root).as_posix(), p.parent.name) for p in sorted(root.rglob("*.png"))]
    with open(root / "meta.csv", "w", newline="") as fh:
        csv.writer(fh).writerows([("image", "label"), *rows])
    return root / "meta.csv"


def test_misspelt_loader_option_names_the_loader_and_the_fix(tiny, tmp_path):
    out = refused(tmp_path, csv_table(tiny.data), "--set", "loader.label_colum=label")
    assert "Unknown option 'label_colum' for loader 'csv'" in out
    assert "Did you mean 'label_column'?" in out and "It takes: image_column" in out


def test_loader_option_of_a_named_loader_is_checked_before_any_data_is_read(tiny, tmp_path):
    out = refused(
        tmp_path, tmp_path / "nope", "--loader", "folder", "--set", "loader.group_patern=x"
    )
    assert "Unknown option 'group_patern' for loader 'folder'" in out
    assert "Did you mean 'group_pattern'?" in out and "does not exist" not in out


@pytest.mark.parametrize(
    "augmenter, option, expected",
    [
        ("flip-rotate-translate", "rotation_degree", "Did you mean 'rotation_degrees'?"),
        ("paper", "rotaton", "It takes no options"),  # the task's own: tiny-task/paper
    ],
)
def test_misspelt_augmenter_option_names_the_augmenter(tiny, tmp_path, augmenter, option, expected):
    out = refused(tmp_path, tiny.data, "--augmenter", augmenter, "--set", f"augmenter.{option}=5")
    owner = f"tiny-task/{augmenter}" if augmenter == "paper" else augmenter
    assert f"Unknown option '{option}' for augmenter '{owner}'" in out and expected in out
    assert "augmenter built" not in tiny.events


class SelfCheckingAugmenter:
    """An augmenter taking ``**options`` checks them itself: the run lets it."""

    @hookimpl
    def register_augmenters(self, register):
        def build(seed=None, zoom=0.0, **options):
            if options:
                raise ConfigError(f"'self-check' takes zoom; received {', '.join(options)}.")
            return imgclf.flip(seed=seed)

        register("self-check", build)


def test_augmenter_taking_any_option_checks_them_before_the_run_folder(tiny, tmp_path):
    with plugin_registered(SelfCheckingAugmenter(), "self-check-plugin"):
        out = refused(tmp_path, tiny.data, "--augmenter", "self-check", "--set", "augmenter.zom=1")
    assert "'self-check' takes zoom; received zom." in out


def test_augmenter_options_without_an_augmenter_are_refused(tiny, tmp_path):
    out = refused(tmp_path, tiny.data, "--augmenter", "none", "--set", "augmenter.zoom=0.2")
    assert "augmenter option zoom" in out and "no augmenter" in out


@pytest.mark.parametrize(
    "pair, expected",
    [
        ("model.dropout=0.5", "Model 'tiny-cnn' takes no options"),
        ("reporter.dpi=200", "Reporters take no options"),
        ("report.dpi=200", "Reporters take no options"),
        ("task.classes=3", "Tasks take no options"),
        ("augmentor.rotation_degrees=5", "Did you mean 'augmenter.rotation_degrees'?"),
    ],
)
def test_options_of_things_without_options_are_refused(tiny, tmp_path, pair, expected):
    out = refused(tmp_path, tiny.data, "--set", pair)
    assert f"Unknown setting '{pair.partition('=')[0]}'" in out and expected in out


def test_python_api_gets_the_same_checks(tiny, tmp_path):
    with pytest.raises(ConfigError, match="Unknown option 'translaton' for augmenter"):
        imgclf.run(
            "tiny-task", data=tiny.data, output=tmp_path / "runs",
            augmenter="flip-rotate-translate", augmenter_options={"translaton": 0.1},
        )  # fmt: skip
    assert not (tmp_path / "runs").exists()


def test_valid_options_still_reach_the_loader_and_augmenter(tiny, tmp_path):
    result = run_tiny(
        "tiny-task", tiny.data, tmp_path, loader="folder", augmenter="flip-rotate-translate",
        loader_options={"group_pattern": r"^img_\d+_(\d+)"},
        augmenter_options={"translation": "0.05"},
    )  # fmt: skip
    assert (result.run_dir / "metrics.json").is_file()
