"""Honest evaluation (#17): the confounding check, --split by-source, per-source
metrics, --eval-data and the thresholds of ``imgclf evaluate`` on a sigmoid model."""

from __future__ import annotations

import csv
import json

import pytest

from imgclf import hookimpl
from imgclf.testing import invoke_cli, make_image, plugin_registered, shared_data, tiny_model

MODEL = "honest-tiny-cnn"
SMALL = ["--epochs", "1", "--image-size", "16", "--batch-size", "8", "--seed", "0"]


class TinyModel:
    @hookimpl
    def register_models(self, register):
        register(MODEL, tiny_model)


@pytest.fixture(scope="module", autouse=True)
def model():
    with plugin_registered(TinyModel(), "honest-tiny"):
        yield MODEL


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))


def source(root, per_class, seed):
    """``root/<class>/*.png``: noisy 16 px images, darker for the first class, no two alike."""
    import cv2

    for c_i, (cls, n) in enumerate(per_class.items()):
        for i in range(n):
            path = make_image(root / cls / f"{seed}_{i}.png", 16, seed=seed * 1000 + c_i * 100 + i)
            img = cv2.imread(str(path)) // 8 + 60 + 120 * c_i
            cv2.imwrite(str(path), img.clip(0, 255).astype("uint8"))
    return root


def run(*args, ok=True):
    r = invoke_cli("run", "classify", "--model", MODEL, *SMALL, *map(str, args))
    if ok:
        assert r.exit_code == 0, r.output + (str(r.exception) if r.exception else "")
    return r


def run_dir_of(output):
    return next(p for p in output.rglob("config.json") if p.parent.parent.name == MODEL).parent


def test_class_riding_on_the_source_is_warned_and_strict_refuses(tmp_path):
    cats = source(tmp_path / "shelter", {"cat": 16}, seed=1)
    dogs = source(tmp_path / "kennel", {"dog": 16}, seed=2)
    r = run("--data", cats, "--data", dogs, "--output", tmp_path / "runs")
    out = " ".join(r.output.split())
    assert "warning:" in out and "Cramér's V 1.00" in out
    assert "cat: all 16 images come from shelter, which holds no dog image" in out
    assert "dog: all 16 images come from kennel" in out
    run_dir = run_dir_of(tmp_path / "runs")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    found = metrics["confounding"]
    assert found["table"] == {"kennel": {"dog": 16}, "shelter": {"cat": 16}}
    assert found["cramers_v"] == pytest.approx(1.0) and found["level"] == "strong"
    saved = json.loads((run_dir / "config.json").read_text())
    assert saved["data_summary"]["confounding"]["level"] == "strong"
    html = (run_dir / "report.html").read_text()
    assert "Shortcut warning" in html
    assert html.index("Shortcut warning") < html.index("<h2>Summary</h2>")
    assert (
        metrics["per_source"]["shelter"]["n"] + metrics["per_source"]["kennel"]["n"]
        == (metrics["n"])
    )

    strict = run(
        "--data", cats, "--data", dogs, "--output", tmp_path / "strict", "--strict", ok=False
    )  # fmt: skip
    assert strict.exit_code != 0 and "Traceback" not in strict.output
    text = " ".join(strict.output.split())
    assert "--strict refuses" in text and "shelter" in text and "cat" in text
    assert not list((tmp_path / "strict").rglob("model.keras"))


def test_balanced_sources_give_no_warning(tmp_path):
    a = source(tmp_path / "site_a", {"cat": 8, "dog": 8}, seed=3)
    b = source(tmp_path / "site_b", {"cat": 8, "dog": 8}, seed=4)
    r = run("--data", a, "--data", b, "--output", tmp_path / "runs", "--report", "json")
    assert "Cramér" not in r.output and "warning:" not in r.output
    metrics = json.loads((run_dir_of(tmp_path / "runs") / "metrics.json").read_text())
    assert metrics["confounding"]["level"] == "none"
    assert metrics["confounding"]["cramers_v"] == pytest.approx(0.0)


def test_data_check_shows_the_confounding(tmp_path):
    cats = source(tmp_path / "shelter", {"cat": 6}, seed=5)
    dogs = source(tmp_path / "kennel", {"dog": 6}, seed=6)
    r = invoke_cli("data", "check", str(cats), str(dogs))
    out = " ".join(r.output.split())
    assert "Cramér's V 1.00" in out and "cat: all 6 images come from shelter" in out
    r = invoke_cli("data", "check", str(cats), str(dogs), "--json")
    report = json.loads(r.output)
    assert report["confounding"]["table"]["kennel"] == {"dog": 6}


def test_split_by_source_tests_on_one_source_and_reports_per_source(tmp_path):
    sources = [
        source(tmp_path / name, {"cat": 8, "dog": 8}, seed=7 + i)
        for i, name in enumerate(("north", "south", "east"))
    ]
    data = [x for s in sources for x in ("--data", s)]
    out = tmp_path / "runs"
    r = run(*data, "--split", "by-source", "--set", "test_source=south", "--output", out)
    assert "test split is 'south' only" in r.output
    run_dir = run_dir_of(out)
    with open(run_dir / "splits.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    test = {row["source"] for row in rows if row["split"] == "test"}
    assert test == {str(tmp_path / "south")}
    assert all(row["source"] != str(tmp_path / "south") for row in rows if row["split"] != "test")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    south = metrics["per_source"]["south"]
    assert south["n"] == 16 and 0 <= south["accuracy"] <= 1
    assert {"sensitivity", "specificity"} <= set(south)
    # no name: a documented default; a wrong name: a clear error
    r = run(*data, "--split", "by-source", "--output", tmp_path / "d", "--report", "json")
    assert "Split by source" in r.output
    bad = run(*data, "--split", "by-source", "--set", "test_source=west", ok=False)
    assert bad.exit_code != 0 and "none of the run's sources" in bad.output


def test_eval_data_adds_external_figures_and_a_missing_path_fails_first(tmp_path):
    a = source(tmp_path / "site_a", {"cat": 8, "dog": 8}, seed=11)
    ext = source(tmp_path / "elsewhere", {"cat": 5, "dog": 5}, seed=12)
    out = tmp_path / "runs"
    r = run("--data", a, "--eval-data", ext, "--output", out, "--report", "json,html")
    assert "on elsewhere" in r.output
    run_dir = run_dir_of(out)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    external = metrics["external"]["elsewhere"]
    assert external["n"] == 10 and 0 <= external["accuracy"] <= 1
    html = (run_dir / "report.html").read_text()
    assert "External evaluation" in html and "elsewhere" in html

    missing = tmp_path / "nowhere"
    r = run("--data", a, "--eval-data", missing, "--output", tmp_path / "m", ok=False)
    assert r.exit_code != 0 and "nowhere" in r.output and "nothing was trained" in r.output
    assert not (tmp_path / "m").exists()


def test_evaluate_a_sigmoid_run_at_both_thresholds_with_calibration(tmp_path):
    a = source(tmp_path / "site_a", {"cat": 10, "dog": 10}, seed=13)
    other = source(tmp_path / "other", {"cat": 6, "dog": 6}, seed=14)
    run("--data", a, "--output", tmp_path / "runs", "--report", "json")
    run_dir = run_dir_of(tmp_path / "runs")
    r = invoke_cli("evaluate", str(run_dir), "--data", str(other))
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert "at the run's threshold" in out and "at Youden's J on this data" in out
    folder = sorted((run_dir / "evaluations").iterdir())[-1]
    metrics = json.loads((folder / "metrics.json").read_text())
    both = metrics["thresholds"]
    assert both["run"]["threshold"] == pytest.approx(metrics["threshold"])
    assert 0 < both["youden_on_this_data"]["threshold"] < 1
    assert (folder / "plots" / "reliability.png").is_file()
    assert 0 <= metrics["ece"] <= 1


def test_real_covid_sources_are_flagged(tmp_path):
    ieee = shared_data("covid-chestxray-ieee8023")
    kaggle = shared_data("xray-dataset-covid19", "xray_dataset_covid19")
    r = invoke_cli(
        "run", "covid-xray", "--model", MODEL, "--data", str(ieee),
        "--data", str(kaggle / "train" / "NORMAL"), "--data", str(kaggle / "test" / "NORMAL"),
        "--limit", "120", "--epochs", "1", "--image-size", "32", "--batch-size", "16",
        "--output", str(tmp_path / "runs"), "--report", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output + (str(r.exception) if r.exception else "")
    out = " ".join(r.output.split())
    assert "warning:" in out and "NORMAL:" in out and "COVID" in out
    assert "train/NORMAL" in out and "test/NORMAL" in out and "covid-chestxray-ieee8023" in out


def test_real_covid_sources_split_by_source(tmp_path):
    """The three shared covid sources, --split by-source: the test split is one whole
    source (the documented default) and metrics.json has per-source figures."""
    ieee = shared_data("covid-chestxray-ieee8023")
    kaggle = shared_data("xray-dataset-covid19", "xray_dataset_covid19")
    r = invoke_cli(
        "run", "covid-xray", "--model", MODEL, "--data", str(ieee),
        "--data", str(kaggle / "train" / "NORMAL"), "--data", str(kaggle / "test" / "NORMAL"),
        "--split", "by-source", "--epochs", "1", "--image-size", "32", "--batch-size", "16",
        "--output", str(tmp_path / "runs"), "--report", "json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output + (str(r.exception) if r.exception else "")
    run_dir = run_dir_of(tmp_path / "runs")
    with open(run_dir / "splits.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    tested = {row["source"] for row in rows if row["split"] == "test"}
    assert len(tested) == 1
    (held_out,) = tested
    assert all(row["source"] != held_out for row in rows if row["split"] != "test")
    per_source = json.loads((run_dir / "metrics.json").read_text())["per_source"]
    assert len(per_source) == 1 and next(iter(per_source.values()))["n"] == sum(
        row["split"] == "test" for row in rows
    )
