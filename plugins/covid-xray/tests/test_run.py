"""One-epoch end-to-end runs on a slice of each real source, through ``imgclf.run``.

96x96 is used because reshi2021 cannot take less than 94x94 (five 'valid' 3x3
convolutions and 2x2 pools); the issue's 32x32 would leave nothing to classify.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

import imgclf

RUN_FILES = ("config.json", "history.csv", "metrics.json", "model.keras", "predictions.csv")
SIZE = 96  # the smallest convenient size the network takes (its minimum is 94)


def quick_run(data: Path, output: Path) -> imgclf.RunResult:
    return imgclf.run(
        "covid-xray",
        model="reshi2021",
        data=data,
        epochs=1,
        image_size=SIZE,
        limit=60,
        batch_size=8,
        output=str(output),
        console=Console(quiet=True),
    )


def check_run_folder(result: imgclf.RunResult) -> list[dict[str, str]]:
    """The run folder's files, and metrics.json's figures recounted from predictions.csv."""
    for name in RUN_FILES:
        assert (result.run_dir / name).is_file(), name
    metrics = json.loads((result.run_dir / "metrics.json").read_text())
    with open(result.run_dir / "predictions.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == metrics["n"] > 0
    right = sum(r["true"] == r["predicted"] for r in rows)
    assert metrics["accuracy"] == pytest.approx(right / len(rows))
    assert metrics["classes"] == ["NORMAL", "COVID"]
    for key in ("sensitivity", "specificity", "precision", "f1", "threshold"):
        assert key in metrics
    config = json.loads((result.run_dir / "config.json").read_text())
    assert config["task"] == "covid-xray" and config["image_size"] == SIZE
    assert config["augmenter"] == "covid-xray/paper"  # the task default, resolved
    return rows


def test_kaggle_folder_end_to_end(kaggle_dir, tmp_path):
    result = quick_run(kaggle_dir, tmp_path)
    rows = check_run_folder(result)
    # The given test folder is kept as the test split; PNEUMONIA became COVID.
    assert all("/test/" in r["path"] for r in rows)
    assert {r["true"] for r in rows} == {"NORMAL", "COVID"}


def test_ieee8023_end_to_end_and_test_images_reach_the_model_unchanged(ieee_dir, tmp_path):
    import cv2

    result = quick_run(ieee_dir, tmp_path / "runs")
    rows = check_run_folder(result)
    assert any(k.startswith("finding") for k in result.skipped)
    paths = [r["path"] for r in rows]
    run_scores = np.array([float(r["COVID"]) for r in rows])
    # Score the test files again without any augmenter: the run saw the same pixels.
    again = imgclf.predict(result.model, paths, batch_size=8, image_size=SIZE).reshape(-1)
    assert np.allclose(run_scores, again, atol=1e-4)
    # ...and the check can fail: turned films (what an augmenter makes) score differently.
    # Both copies go through cv2 and PNG, so only the turn differs between them.
    same, turned = [], []
    for i, p in enumerate(paths):
        image = cv2.imread(p)
        same.append(tmp_path / f"same{i}.png")
        turned.append(tmp_path / f"turned{i}.png")
        cv2.imwrite(str(same[-1]), image)
        cv2.imwrite(str(turned[-1]), cv2.rotate(image, cv2.ROTATE_180))
    plain, rotated = (
        imgclf.predict(result.model, files, batch_size=8, image_size=SIZE).reshape(-1)
        for files in (same, turned)
    )
    assert np.abs(rotated - plain).max() > 1e-3


def test_combined_sources_ieee8023_covid_and_kaggle_normal(ieee_dir, kaggle_dir, tmp_path):
    """COVID films from ieee8023, NORMAL films from the Kaggle NORMAL folders (leaf
    folders are one class each), split by patient, with counts per source."""
    inner = kaggle_dir / "xray_dataset_covid19"
    sources = [ieee_dir, inner / "train" / "NORMAL", inner / "test" / "NORMAL"]
    result = imgclf.run(
        "covid-xray", model="reshi2021", data=sources, epochs=1, image_size=SIZE, limit=80,
        batch_size=8, output=str(tmp_path), console=Console(quiet=True),
    )  # fmt: skip
    check_run_folder(result)
    config = json.loads((result.run_dir / "config.json").read_text())
    per_source = config["data_summary"]["sources"]
    assert set(per_source) == {str(s) for s in sources}
    assert set(per_source[str(inner / "train" / "NORMAL")]) == {"NORMAL"}  # a leaf folder
    assert per_source[str(ieee_dir)]["COVID"] > 0
