"""Reports: metrics recomputed with scikit-learn, PNG plots, a safe report.html,
re-rendering from saved files, failing reporters, Grad-CAM on the built-in models."""

import csv
import importlib.util
import io
import json
import shutil
import struct

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console
from sklearn import metrics as skm

import imgclf
from imgclf import ModelError, TaskSpec, hookimpl
from imgclf._cli import cli
from imgclf._reporting.gradcam import find_target_layer, gradcam_heatmaps
from imgclf._reporting.plots import PLOTS
from imgclf.testing import make_image_folder, plugin_registered, tiny_model

XSS = "<script>alert(1)</script>"
CLASSES = ("dark", "mid", XSS)


report_cnn = tiny_model


class ReportPlugin:
    """A 3-class task whose third class name is an HTML injection attempt."""

    @hookimpl
    def register_tasks(self, register):
        register(
            "report-task",
            TaskSpec(
                "report-task",
                CLASSES,
                input_size=16,
                default_model="report-cnn",
                label_aliases={"light": XSS},
                defaults={"batch_size": 4},
            ),
        )

    @hookimpl
    def register_models(self, register):
        register("report-cnn", report_cnn)

    @hookimpl
    def register_reporters(self, register):
        def boom(result, run_dir, console):
            raise RuntimeError("reporter exploded")

        register("boom", boom)


def quiet():
    return Console(file=io.StringIO(), width=200)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One tiny 2-epoch run with every built-in reporter, shared by this module."""
    tmp = tmp_path_factory.mktemp("reporting")
    data = make_image_folder(tmp / "data", classes=("dark", "mid", "light"), per_class=12)
    with plugin_registered(ReportPlugin(), "report-plugin"):
        yield imgclf.run(
            "report-task", data=data, output=tmp / "runs", epochs=2, seed=1, console=quiet()
        )


def read_predictions(run_dir):
    with open(run_dir / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    classes = metrics["classes"]
    y = np.array([classes.index(r["true"]) for r in rows])
    probs = np.array([[float(r[c]) for c in classes] for r in rows])
    return metrics, classes, y, probs, rows


def test_metrics_equal_scikit_learn_from_predictions_csv(run):
    metrics, classes, y, probs, rows = read_predictions(run.run_dir)
    p = probs.argmax(axis=1)
    assert [classes[i] for i in p] == [r["predicted"] for r in rows]
    labels = list(range(len(classes)))
    assert metrics["n"] == len(rows)
    assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    assert metrics["balanced_accuracy"] == pytest.approx(skm.balanced_accuracy_score(y, p))
    assert metrics["cohen_kappa"] == pytest.approx(skm.cohen_kappa_score(y, p, labels=labels))
    for avg in ("macro", "weighted"):
        prf = skm.precision_recall_fscore_support(y, p, labels=labels, average=avg, zero_division=0)
        got = [metrics[f"{avg}_{k}"] for k in ("precision", "recall", "f1")]
        assert got == pytest.approx(list(prf[:3]))
    cm = skm.confusion_matrix(y, p, labels=labels)
    assert metrics["confusion_matrix"] == cm.tolist()
    prec, rec, f1, sup = skm.precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    for i, c in enumerate(classes):
        row = metrics["per_class"][c]
        assert [row["precision"], row["recall"], row["f1"], row["support"]] == pytest.approx(
            [prec[i], rec[i], f1[i], sup[i]]
        )
        pos = y == i
        auc = skm.roc_auc_score(pos, probs[:, i]) if 0 < pos.sum() < len(y) else None
        assert row["auc"] == pytest.approx(auc)
        tn = cm.sum() - cm[i].sum() - cm[:, i].sum() + cm[i, i]
        assert row["specificity"] == pytest.approx(tn / (cm.sum() - cm[i].sum()))
        assert row["sensitivity"] == pytest.approx(rec[i])


def test_ece_and_bootstrap_interval(run):
    metrics, classes, y, probs, _ = read_predictions(run.run_dir)
    conf, right = probs.max(axis=1), probs.argmax(axis=1) == y
    bins = np.clip(np.ceil(conf * 15).astype(int) - 1, 0, 14)
    ece = sum(
        (bins == b).mean() * abs(right[bins == b].mean() - conf[bins == b].mean())
        for b in range(15)
        if (bins == b).any()
    )
    assert metrics["ece"] == pytest.approx(ece)
    assert sum(b["count"] for b in metrics["reliability"]) == len(y)
    ci = metrics["accuracy_ci95"]
    assert ci["resamples"] == 1000 and ci["low"] <= metrics["accuracy"] <= ci["high"]


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_every_plot_is_a_png_of_sensible_size(run):
    plots = run.run_dir / "plots"
    assert sorted(p.name for p in plots.glob("*.png")) == sorted(p.file for p in PLOTS)
    for plot in PLOTS:
        width, height = png_size(plots / plot.file)
        assert width >= 300 and height >= 300, (plot.file, width, height)


def test_report_html_is_self_contained_and_escaped(run):
    text = (run.run_dir / "report.html").read_text(encoding="utf-8")
    assert "http://" not in text and "https://" not in text
    assert XSS not in text and "<script" not in text.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert text.count("src='data:image/png;base64,") == len(PLOTS)
    for heading in ("Summary", "Per class", "Confusion matrix", "Data", "Configuration"):
        assert f"<h2>{heading}" in text


def test_report_command_rerenders_from_saved_files(run, tmp_path):
    copy = shutil.copytree(run.run_dir, tmp_path / "copy")
    before = json.loads((copy / "metrics.json").read_text())
    for name in ("metrics.json", "report.html"):
        (copy / name).unlink()
    shutil.rmtree(copy / "plots")
    result = CliRunner().invoke(cli, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    assert json.loads((copy / "metrics.json").read_text()) == before
    assert (copy / "report.html").is_file()
    assert len(list((copy / "plots").glob("*.png"))) == len(PLOTS)
    assert "Per class" in result.output


def test_failing_reporter_is_reported_and_others_still_write(run, tmp_path):
    copy = shutil.copytree(run.run_dir, tmp_path / "copy")
    (copy / "metrics.json").unlink()
    console = quiet()
    imgclf.report(copy, ["boom", "json"], console=console)
    out = console.file.getvalue()
    assert "reporter 'boom' failed (RuntimeError: reporter exploded)" in out
    assert (copy / "metrics.json").is_file()


def test_run_report_option_is_checked_before_training(tiny, tmp_path):
    args = ["run", "tiny-task", "--data", str(tiny.data), "--output", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--report", "console,plot"])
    assert result.exit_code == 3 and "Did you mean 'plots'" in result.output
    assert not (tmp_path / "tiny-task").exists()


def test_target_layer_needs_a_feature_map():
    import keras

    inputs = keras.Input((8,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    with pytest.raises(ModelError, match="no layer with a 4-D output"):
        find_target_layer(model)


BUILT_IN = [
    ("alexnet", "face-emotion", 32, "imgclf_face_emotion"),
    ("vggnet", "face-emotion", 32, "imgclf_face_emotion"),
    ("mobilenet", "face-emotion", 32, "imgclf_face_emotion"),
    ("reshi2021", "covid-xray", 96, "imgclf_covid_xray"),  # 94x94 is its minimum
]


@pytest.mark.parametrize("name, task, size, package", BUILT_IN, ids=[b[0] for b in BUILT_IN])
def test_gradcam_runs_for_each_built_in_model(name, task, size, package):
    if importlib.util.find_spec(package) is None:
        pytest.skip(f"{package} is not installed")
    model = imgclf.build_model(name, task, (size, size, 3))
    layer = find_target_layer(model)
    assert len(layer.output.shape) == 4 and min(layer.output.shape[1:3]) >= 2
    images = np.random.default_rng(0).random((2, size, size, 3), dtype="float32")
    maps = gradcam_heatmaps(model, images, [0, 1], layer)
    assert maps.shape == (2, size, size)
    assert np.isfinite(maps).all() and maps.min() >= 0 and maps.max() <= 1 + 1e-6
