"""The shapes plugin: every piece it registers, then one tiny run end to end."""

import csv
import json

import numpy as np
import pytest
from imgclf_plugin_example import TASK
from imgclf_plugin_example.data import SHAPES, detect_manifest, draw, load_manifest
from imgclf_plugin_example.report import shape_summary

import imgclf
from imgclf.testing import (
    assert_independent_draws,
    assert_reproducible_draws,
    augmenter_draws,
    check_augmenter,
    check_model_trains,
    make_result,
    run_tiny,
)

# TASK.name and TASK.default_model, not "shapes" and "shapes-cnn": a copy of this
# template that renames them keeps these tests.
TASK_NAME, MODEL = TASK.name, TASK.default_model


def test_task_and_model_are_registered(shapes_plugin):
    assert TASK_NAME in imgclf.list_tasks()
    assert MODEL in imgclf.list_models()


def test_drawn_shapes_differ():
    rng = np.random.default_rng(0)
    areas = {s: (draw(s, 32, rng).max(axis=2) > 120).mean() for s in SHAPES}
    assert areas["triangle"] < areas["square"]  # same extent, half the area
    assert all(0.03 < a < 0.6 for a in areas.values())


def test_loader_reads_the_manifest(shapes_data, tmp_path):
    assert detect_manifest(shapes_data) and not detect_manifest(tmp_path)
    got = load_manifest(shapes_data)
    assert len(got.records) == 24
    assert sorted({r.label for r in got.records}) == list(SHAPES)
    (shapes_data / "circle" / "0000.png").rename(tmp_path / "moved.png")
    try:
        assert load_manifest(shapes_data).skipped == {"listed image missing": 1}
    finally:
        (tmp_path / "moved.png").rename(shapes_data / "circle" / "0000.png")


def test_bad_manifest_line_is_a_data_error(tmp_path):
    (tmp_path / "shapes.jsonl").write_text('{"image": "a.png"}\n')
    with pytest.raises(imgclf.DataError, match=r"shapes.jsonl:1 .* 'shape'"):
        load_manifest(tmp_path)


def test_model_builds_and_trains(shapes_plugin):
    model = imgclf.build_model(MODEL, task=TASK_NAME)
    size = TASK.input_size
    assert model.output_shape == (None, 3) and model.input_shape == (None, size, size, 3)
    assert check_model_trains(MODEL, TASK_NAME, (16, 16, 3))["loss"] > 0
    with pytest.raises(imgclf.ModelError, match="at least 8x8"):
        imgclf.build_model(MODEL, task=TASK_NAME, input_shape=(4, 4, 3))


def test_augmenter_keeps_shape_and_range(shapes_plugin):
    out = check_augmenter("turns", task=TASK_NAME, size=16)
    assert out.shape == (4, 16, 16, 3)
    check_augmenter("turns", task=TASK_NAME, size=16, rotation=0.05)


def test_augmenter_draws_independently_and_follows_its_seed(shapes_plugin):
    # Through tf.data, seeded, as a run applies it: flip and turn are not one draw.
    table = assert_independent_draws("turns", task=TASK_NAME, n=512, seed=42)
    assert set(table) == {"flip~angle"}
    draws = augmenter_draws("turns", task=TASK_NAME, n=512, seed=42)
    assert len(set(np.round(draws["angle"]).astype(int) % 360)) == 4  # every quarter turn
    assert_reproducible_draws("turns", task=TASK_NAME, seed=42)


def test_reporter_writes_summary(tmp_path):
    from rich.console import Console

    result = make_result(SHAPES, n=30)
    shape_summary(result, tmp_path, Console(width=100))
    text = (tmp_path / "summary.md").read_text()
    assert f"accuracy {result.metrics['accuracy']:.3f}" in text
    assert all(f"| {s} |" in text for s in SHAPES)


def test_tiny_run_end_to_end(shapes_plugin, shapes_data, tmp_path):
    result = run_tiny(TASK_NAME, shapes_data, tmp_path, report=["json", "shape-summary"])
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["augmenter"] == f"{TASK_NAME}/turns" and config["model"] == MODEL
    assert config["classes"] == list(TASK.classes)
    assert (result.run_dir / "summary.md").is_file() and "accuracy" in result.metrics
    with open(tmp_path / "runs" / "tracking.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["task"], r["epoch"]) for r in rows] == [(TASK_NAME, "1")]
    assert "val_loss=" in rows[0]["metrics"]
