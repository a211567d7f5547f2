"""The valence/arousal head (--head va): models, a 1-epoch run, metrics, CLI, errors."""

import csv
import json

import numpy as np
import pytest

import imgclf
from imgclf.testing import compile_model, invoke_cli


@pytest.mark.parametrize("name", ["alexnet", "vggnet", "mobilenet"])
def test_models_build_a_two_unit_tanh_output_and_train(name):
    model = imgclf.build_model(name, task="face-emotion", input_shape=(32, 32, 3), head="va")
    assert model.output_shape == (None, 2)
    assert model.get_layer("predictions").get_config()["activation"] == "tanh"
    head = imgclf.get_task("face-emotion").heads["va"]
    compile_model(model, head, 1e-3)
    x = np.random.default_rng(0).random((4, 32, 32, 3), dtype="float32")
    y = np.random.default_rng(1).uniform(-1, 1, (4, 2)).astype("float32")
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] > 0 and "rmse" in logs


def recompute(run_dir):
    """RMSE, Pearson, CCC and sign agreement per target from predictions.csv (numpy)."""
    with open(run_dir / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for name in ("valence", "arousal"):
        t = np.array([float(r[f"true_{name}"]) for r in rows], dtype="float32").astype(float)
        p = np.array([float(r[f"predicted_{name}"]) for r in rows], dtype="float32").astype(float)
        cov = np.mean((t - t.mean()) * (p - p.mean()))
        out[name] = {
            "rmse": np.sqrt(np.mean((t - p) ** 2)),
            "pearson": np.corrcoef(t, p)[0, 1],
            "ccc": 2 * cov / (t.var() + p.var() + (t.mean() - p.mean()) ** 2),
            "sign_agreement": np.mean((t >= 0) == (p >= 0)),
        }
    return len(rows), out


def test_one_epoch_va_run_metrics_equal_numpy_from_predictions(affectnet, tmp_path):
    result = imgclf.run(
        "face-emotion", model="alexnet", data=affectnet, head="va", epochs=1, image_size=32,
        batch_size=8, output=tmp_path / "runs", seed=0, class_weight="auto",
    )  # fmt: skip
    run_dir = result.run_dir
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics == result.metrics
    n, numpy_figures = recompute(run_dir)
    assert metrics["n"] == n == 8  # validation.csv is the test split
    for name, figures in numpy_figures.items():
        for key, value in figures.items():
            assert metrics["per_target"][name][key] == pytest.approx(value, abs=1e-9), (name, key)
    rmse = [metrics["per_target"][t]["rmse"] for t in ("valence", "arousal")]
    assert metrics["rmse_mean"] == pytest.approx(np.mean(rmse))
    config = json.loads((run_dir / "config.json").read_text())
    assert (config["head"], config["head_name"], config["targets"]) == (
        "regression", "va", ["valence", "arousal"],
    )  # fmt: skip
    assert config["monitor"] == "val_loss" and config["class_weight"] == "none"
    assert result.skipped["no valence/arousal (left out of head 'va')"] == 1
    assert [r["same_data"] for r in config["references"]] == [True]
    for png in ("loss.png", "rmse.png", "scatter_valence.png", "scatter_arousal.png"):
        assert (run_dir / "plots" / png).is_file(), png
    assert not (run_dir / "plots" / "confusion_counts.png").exists()
    html = (run_dir / "report.html").read_text()
    assert "Predicted against true valence" in html and "average RMSE 0.39" in html
    again = imgclf.report(run_dir, reporters=["json"])  # re-rendered from the saved files
    assert again.metrics == metrics
    check_predict_and_export(run_dir)


def check_predict_and_export(run_dir):
    """A va model predicts values per target, and exports to TFLite with the same outputs."""
    test_images = [r["path"] for r in csv.DictReader(open(run_dir / "predictions.csv"))]
    out = invoke_cli("predict", str(run_dir), *test_images[:3], "--json")
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert [set(r["values"]) for r in rows] == [{"valence", "arousal"}] * 3
    assert all(-1 <= v <= 1 for r in rows for v in r["values"].values())  # tanh outputs
    exported, comparison = imgclf.export(run_dir, "tflite")
    assert comparison["max_abs_score_diff"] < 1e-5 and comparison["agreement"] == 1.0
    np.testing.assert_allclose(
        imgclf.predict(exported.path, test_images), imgclf.predict(run_dir, test_images), atol=1e-5
    )


def test_cli_head_va_and_the_paper_line(affectnet, tmp_path):
    args = ["run", "face-emotion", "--head", "va", "--data", str(affectnet), "--epochs", "1",
            "--image-size", "32", "--batch-size", "8", "--output", str(tmp_path),
            "--report", "console", "--model", "mobilenet"]  # fmt: skip
    out = invoke_cli(*args)
    assert out.exit_code == 0, out.output
    assert "CCC" in out.output and "sign agreement" in out.output
    assert "paper (Hewitt & Gunes 2018, AffectNet): average RMSE 0.39 / this run:" in out.output


def test_class_run_on_other_data_says_different_data_set(tiny_faces, tmp_path):
    out = invoke_cli(
        "run", "face-emotion", "--data", str(tiny_faces), "--epochs", "1", "--image-size",
        "32", "--batch-size", "8", "--output", str(tmp_path), "--report", "console",
    )  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "8-class accuracy 0.58 / this run:" in out.output
    assert "different data set (loader folder)" in out.output


@pytest.fixture
def tiny_faces(tmp_path):
    from imgclf.testing import make_image_folder

    return make_image_folder(tmp_path / "faces", classes=("happy", "sad"), per_class=8, size=32)


def test_unknown_head_lists_the_heads(tiny_faces):
    out = invoke_cli("run", "face-emotion", "--head", "vaa", "--data", tiny_faces)
    assert out.exit_code != 0
    text = " ".join(out.output.split())
    assert "Task 'face-emotion' has no head 'vaa'. Did you mean 'va'?" in text
    assert "Heads: classes, va" in text
    assert "Traceback" not in out.output


def test_head_va_needs_a_loader_with_valence_arousal(tiny_faces):
    with pytest.raises(imgclf.ConfigError, match=r"none of the 16 images .* carries them"):
        imgclf.run("face-emotion", data=tiny_faces, head="va", epochs=1)


def test_list_shows_the_heads():
    out = invoke_cli("list", "tasks", terminal_width=200)
    text = " ".join(out.output.replace("\u2502", " ").split())  # table borders out
    assert "va (regression: valence, arousal)" in text
