"""The ieee8023 loader and the Kaggle folder layout, on the real data and on small CSVs."""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pytest
from imgclf_covid_xray import TASK
from imgclf_covid_xray.datasets import LOADERS

import imgclf

ieee8023 = LOADERS["ieee8023"]
HEADER = ["patientid", "finding", "view", "modality", "folder", "filename"]
KINDS = ("modality", "view", "finding", "missing file")


def write_image(path: Path, size: int = 12, value: int = 128) -> Path:
    """A tiny grey image; the format follows the suffix (PNG or JPEG)."""
    import cv2
    import numpy as np

    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((size, size), value, "uint8"))
    return path


def expected_from_csv(folder: Path) -> tuple[Counter, Counter, dict[str, str]]:
    """Recount the real metadata.csv with the csv module: kept labels, reasons, file -> patient.

    Rules applied in this order: X-ray only; views PA, AP, AP Supine; finding COVID-19
    (whole value or last '/'-part) or No Finding; file present.
    """
    with open(folder / "metadata.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    labels, reasons, patient = Counter(), Counter(), {}
    for row in rows:
        finding = row["finding"].strip().lower()
        if row["modality"] != "X-ray":
            reasons["modality"] += 1
        elif row["view"] not in ("PA", "AP", "AP Supine"):
            reasons["view"] += 1
        elif finding.split("/")[-1] != "covid-19" and finding != "no finding":
            reasons["finding"] += 1
        elif not os.path.isfile(folder / row["folder"] / row["filename"]):
            reasons["missing file"] += 1
        else:
            labels["COVID" if finding != "no finding" else "NORMAL"] += 1
            patient[row["filename"]] = row["patientid"]
    return labels, reasons, patient


def test_ieee8023_on_the_real_metadata(ieee_dir):
    result = ieee8023(ieee_dir)
    labels, reasons, patient = expected_from_csv(ieee_dir)
    assert Counter(r.label for r in result.records) == labels
    assert labels == {"COVID": 415, "NORMAL": 19}  # this snapshot; README: 19 normal X-rays
    assert all(k.startswith(KINDS) for k in result.skipped)
    for kind in KINDS:
        got = sum(n for k, n in result.skipped.items() if k.startswith(kind))
        assert got == reasons[kind], kind
    assert result.skipped["modality 'CT' left out"] == 84
    assert result.skipped["view 'L' left out"] == 47
    assert result.skipped["finding 'SARS' left out"] == 16
    assert result.skipped["missing file"] == 7
    assert {Path(r.path).name: r.group for r in result.records} == patient
    assert all(r.split is None and Path(r.path).is_file() for r in result.records)


def test_ieee8023_detects_the_folder_and_the_csv(ieee_dir, kaggle_dir, tmp_path):
    assert ieee8023.detect(ieee_dir)
    assert ieee8023.detect(ieee_dir / "metadata.csv")
    assert not ieee8023.detect(kaggle_dir)
    (tmp_path / "labels.csv").write_text("a,b\n")
    assert not ieee8023.detect(tmp_path / "labels.csv")


def write_metadata(root: Path, rows: list[list[str]], header=HEADER, encoding="utf-8") -> Path:
    """metadata.csv with ``rows``; an image is created for every file name not 'gone*'."""
    for row in rows:
        values = dict(zip(header, row))
        name = values.get("filename") or values.get("imagename")
        if not name.startswith("gone"):
            write_image(root / (values.get("folder") or "images") / name)
    with open(root / "metadata.csv", "w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return root


def test_both_covid_spellings_and_any_case(tmp_path):
    root = write_metadata(
        tmp_path,
        [
            ["1", "COVID-19", "PA", "X-ray", "images", "a.png"],
            ["2", "Pneumonia/Viral/COVID-19", "AP", "X-ray", "images", "b.jpg"],
            ["3", "pneumonia/viral/covid-19", "AP Supine", "x-ray", "", "c.jpeg"],
            ["4", "No Finding", "PA", "X-ray", "images", "d.png"],
            ["5", "NO FINDING", "AP", "X-ray", "images", "e.png"],
            ["6", "Pneumonia/Viral/SARS", "PA", "X-ray", "images", "f.png"],
            ["7", "COVID-19", "L", "X-ray", "images", "g.png"],
            ["8", "COVID-19", "Axial", "CT", "images", "h.png"],
            ["9", "COVID-19", "PA", "X-ray", "images", "gone.png"],
        ],
    )
    result = ieee8023(root)
    got = {Path(r.path).name: (r.label, r.group) for r in result.records}
    assert got == {
        "a.png": ("COVID", "1"),
        "b.jpg": ("COVID", "2"),
        "c.jpeg": ("COVID", "3"),
        "d.png": ("NORMAL", "4"),
        "e.png": ("NORMAL", "5"),
    }
    assert dict(result.skipped) == {
        "finding 'Pneumonia/Viral/SARS' left out": 1,
        "view 'L' left out": 1,
        "modality 'CT' left out": 1,
        "missing file": 1,
    }
    assert result.notes == []


def test_imagename_column_and_views_option(tmp_path):
    header = ["patientid", "finding", "view", "modality", "imagename"]
    root = write_metadata(
        tmp_path,
        [
            ["1", "COVID-19", "PA", "X-ray", "a.png"],
            ["1", "COVID-19", "L", "X-ray", "b.png"],
            ["2", "No Finding", "AP", "X-ray", "c.png"],
        ],
        header=header,
    )
    assert len(ieee8023(root).records) == 2
    lateral = ieee8023(root, views="PA, L")
    assert sorted(Path(r.path).name for r in lateral.records) == ["a.png", "b.png"]
    assert lateral.skipped == {"view 'AP' left out": 1}


def test_a_latin1_csv_is_read_with_a_note(tmp_path):
    header = [*HEADER, "clinical_notes"]
    root = write_metadata(
        tmp_path,
        [
            ["1", "COVID-19", "PA", "X-ray", "images", "a.png", "fièvre, toux"],
            ["2", "No Finding", "PA", "X-ray", "images", "b.png", "âgé de 71 ans"],
        ],
        header=header,
        encoding="latin-1",
    )
    result = ieee8023(root / "metadata.csv")
    assert [r.label for r in result.records] == ["COVID", "NORMAL"]
    assert any("not UTF-8" in n and "latin-1" in n for n in result.notes)


def test_a_csv_of_another_layout_is_a_data_error(tmp_path):
    (tmp_path / "metadata.csv").write_text("image,label\na.png,COVID\n")
    with pytest.raises(imgclf.DataError, match="patientid"):
        ieee8023(tmp_path)


def test_kaggle_folder_keeps_its_split_and_maps_onto_the_classes(kaggle_dir):
    """The core folder loader steps through the wrapper folder xray_dataset_covid19/."""
    result = imgclf.load_folder(kaggle_dir, **TASK.loader_defaults)
    assert Counter((r.split, r.label) for r in result.records) == {
        ("train", "NORMAL"): 74,
        ("train", "PNEUMONIA"): 74,
        ("test", "NORMAL"): 20,
        ("test", "PNEUMONIA"): 20,
    }
    assert {r.source for r in result.records} == {str(kaggle_dir)}
    groups = {Path(r.path).stem: r.group for r in result.records}
    assert groups["IM-0011-0001-0002"] == groups["IM-0011-0001"] == "IM-0011"
    assert groups["NORMAL2-IM-0007-0001"] != groups["IM-0007-0001"]  # two series
    assert {"PNEUMONIA", "COVID-19", "No Finding"} <= set(TASK.label_aliases)
