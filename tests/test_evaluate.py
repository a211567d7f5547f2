"""``imgclf evaluate``: a saved model on another data set, classes mapped, left out, missing."""

import csv
import io
import json

import pytest
from click.testing import CliRunner
from rich.console import Console

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf._cli import cli
from imgclf.testing import make_image_folder, plugin_registered, tiny_model

TASK = TaskSpec(
    "eval-task",
    ("dark", "mid", "light", "never"),  # 'never' is a task class no run trains on
    input_size=16,
    default_model="eval-cnn",
    label_aliases={"bright": "light"},
    defaults={"batch_size": 4},
)


eval_cnn = tiny_model


class EvalPlugin:
    @hookimpl
    def register_tasks(self, register):
        register("eval-task", TASK)

    @hookimpl
    def register_models(self, register):
        register("eval-cnn", eval_cnn)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A tiny run trained on dark/mid/light, shared by this module."""
    tmp = tmp_path_factory.mktemp("evaluate")
    data = make_image_folder(tmp / "data", classes=("dark", "mid", "light"), per_class=10)
    with plugin_registered(EvalPlugin(), "eval-plugin"):
        yield imgclf.run(
            "eval-task",
            data=data,
            output=tmp / "runs",
            epochs=1,
            seed=2,
            report=[],
            console=Console(file=io.StringIO()),
        )


def evaluate(*args):
    result = CliRunner().invoke(cli, ["evaluate", *map(str, args)])
    return result, result.output


def test_evaluate_on_a_subset_with_other_spellings_and_an_extra_class(run, tmp_path):
    # 'BRIGHT' is an alias of light, 'DARK' dark in another case; 'never' is a task class
    # the model lacks, 'purple' no class at all; mid is missing from this data.
    data = make_image_folder(
        tmp_path / "other", classes=("DARK", "BRIGHT", "never", "purple"), per_class=4
    )
    result, out = evaluate(run.run_dir, "--data", data)
    assert result.exit_code == 0, out
    assert "left out: 4 image(s) labelled 'never'" in out
    assert "left out: 4 image(s) labelled 'purple'" in out
    assert "no images of the model's class(es) mid" in out
    (folder,) = (run.run_dir / "evaluations").iterdir()
    for name in ("config.json", "predictions.csv", "metrics.json", "report.html"):
        assert (folder / name).is_file(), name
    assert len(list((folder / "plots").glob("*.png"))) >= 7
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["classes"] == ["dark", "mid", "light"] and metrics["n"] == 8
    assert metrics["per_class"]["mid"]["support"] == 0
    assert metrics["per_class"]["mid"]["auc"] is None
    with open(folder / "predictions.csv", newline="") as fh:
        assert {r["true"] for r in csv.DictReader(fh)} == {"dark", "light"}
    config = json.loads((folder / "config.json").read_text())
    evaluation = config["data_summary"]["evaluation"]
    assert evaluation["left_out"] == {"never": 4, "purple": 4}
    assert evaluation["missing_classes"] == ["mid"]
    html = (folder / "report.html").read_text()
    assert "left out" in html and "https://" not in html


def test_evaluate_map_option_and_output_folder(run, tmp_path):
    data = make_image_folder(tmp_path / "other", classes=("schwarz", "light"), per_class=3)
    result, out = evaluate(
        run.run_dir, "--data", data, "--map", "schwarz=dark", "--output", tmp_path / "out",
        "--report", "json",
    )  # fmt: skip
    assert result.exit_code == 0, out
    (folder,) = (tmp_path / "out").iterdir()
    assert json.loads((folder / "metrics.json").read_text())["n"] == 6
    assert not (folder / "report.html").exists()


def test_evaluate_disjoint_classes_is_a_clear_error(run, tmp_path):
    data = make_image_folder(tmp_path / "other", classes=("cat", "dog"), per_class=2)
    result, out = evaluate(run.run_dir, "--data", data)
    assert result.exit_code == 4 and "Traceback" not in out
    assert "shares no class with the model" in out and "'cat' (2)" in out and "--map" in out


def test_evaluate_bare_model_file_needs_the_task(run, tmp_path):
    bare = tmp_path / "bare.keras"
    bare.write_bytes((run.run_dir / "model.keras").read_bytes())
    data = make_image_folder(tmp_path / "other", classes=("dark", "mid", "light"), per_class=2)
    result, out = evaluate(bare, "--data", data)
    assert result.exit_code == 3 and "--task" in out
    # The task's 4 classes do not fit the model's 3 outputs: the run folder is needed.
    result, out = evaluate(bare, "--data", data, "--task", "eval-task")
    assert result.exit_code == 3 and "has 3 outputs" in out


def test_evaluate_bad_map_and_reporter(run, tmp_path):
    data = make_image_folder(tmp_path / "other", classes=("dark",), per_class=1)
    result, out = evaluate(run.run_dir, "--data", data, "--map", "dark")
    assert result.exit_code == 3 and "--map takes SRC=CLASS" in out
    result, out = evaluate(run.run_dir, "--data", data, "--report", "htm")
    assert result.exit_code == 3 and "Did you mean 'html'" in out


def test_evaluate_tta_overrides_the_runs_own(run, tmp_path):
    assert json.loads((run.run_dir / "config.json").read_text())["tta"] == "none"
    result, out = evaluate(run.run_dir, "--tta", "ten-crop", "-o", tmp_path, "--report", "json")
    assert result.exit_code == 0, out
    (folder,) = tmp_path.iterdir()
    assert json.loads((folder / "metrics.json").read_text())["tta"] == "ten-crop"
    assert json.loads((folder / "config.json").read_text())["tta"] == "ten-crop"
    result, out = evaluate(run.run_dir, "--tta", "rotate")
    assert result.exit_code == 2 and "'rotate' is not one of" in out
    with pytest.raises(imgclf.ConfigError, match="Did you mean 'flip'"):
        imgclf.evaluate(run.run_dir, tta="flips")
