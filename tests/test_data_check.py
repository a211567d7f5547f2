"""``imgclf data check`` and the pre-flight every run makes: counts, formats, sizes,
unreadable files, exact duplicates within and across splits, imbalance, the cache."""

from __future__ import annotations

import io
import itertools
import json
import os
import shutil

import pytest
from click.testing import CliRunner
from rich.console import Console

import imgclf
from imgclf._cli import cli
from imgclf._data.checks import inspect
from imgclf.testing import make_image
from imgclf.testing import shared_data as real_data

SEEDS = itertools.count(1000)


@pytest.fixture(autouse=True)
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def invoke(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def check_json(*args):
    result = invoke("data", "check", *args, "--json")
    return result.exit_code, json.loads(result.output)


def make_data(root, counts=None, splits=(None,)):
    """Distinct random PNGs; ``counts`` maps class -> images (default 10 each)."""
    for split in splits:
        for cls, n in (counts or {"dark": 10, "light": 10}).items():
            for _ in range(n):
                seed = next(SEEDS)
                folder = root / split / cls if split else root / cls
                make_image(folder / f"{cls}_{seed}.png", size=16, seed=seed)
    return root


def test_clean_data_exits_0_with_counts_formats_and_sizes(tmp_path):
    data = make_data(tmp_path / "set", splits=("train", "test"))
    make_image(data / "test" / "light" / "wide.jpg", size=24, seed=1)
    code, report = check_json(data)
    assert code == 0 and report["errors"] == []
    assert report["counts"] == {
        "test": {"dark": 10, "light": 11},
        "train": {"dark": 10, "light": 10},
    }
    assert report["images"] == 41
    assert report["formats"] == {"PNG RGB": 40, "JPEG RGB": 1}
    assert report["sizes"] == {"width": [16, 24], "height": [16, 24]}
    assert report["duplicates"]["across"] == 0 and report["duplicates"]["within"] == {}


def test_duplicates_within_and_across_splits(tmp_path):
    data = make_data(tmp_path / "set", splits=("train", "test"))
    train = sorted((data / "train" / "dark").iterdir())
    shutil.copy(train[0], data / "test" / "dark" / "leak.png")  # across, same label
    shutil.copy(train[1], data / "train" / "light" / "twin.png")  # within, other label
    result = invoke("data", "check", data)
    out = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 1
    assert "1 image(s) are exact copies across splits" in out
    assert f"{data / 'test' / 'dark' / 'leak.png'} (test) = {train[0]} (train)" in out
    assert "1 exact duplicate file(s) within train" in out
    assert "1 duplicated image(s) carry different labels" in out
    _, report = check_json(data)
    dup = report["duplicates"]
    assert dup["across"] == 1 and dup["within"] == {"train": 1} and dup["conflicting"] == 1
    assert dup["examples"] == [
        {"a": str(data / "test" / "dark" / "leak.png"), "a_split": "test",
         "b": str(train[0]), "b_split": "train"}
    ]  # fmt: skip


def test_imbalance_is_a_warning(tmp_path):
    data = make_data(tmp_path / "set", counts={"dark": 24, "light": 2})
    code, report = check_json(data)
    assert code == 0 and report["imbalance"] == 12.0
    assert any(
        "largest/smallest = 12.0" in w and "--class-weight auto" in w for w in report["warnings"]
    )


def test_labels_that_map_to_no_class_need_a_task(tiny, tmp_path):
    data = make_data(tmp_path / "set", counts={"dark": 3, "lite": 3})
    code, report = check_json(data, "--task", "tiny-task")
    assert code == 1 and report["unknown_labels"] == {"lite": 3}
    assert "Did you mean 'light'?" in report["errors"][0]
    code, report = check_json(data, "--task", "tiny-task", "--set", "label_map.lite=light")
    assert code == 0 and report["counts"] == {"unsplit": {"dark": 3, "light": 3}}


def test_check_rejects_run_settings_in_set(tmp_path):
    result = invoke("data", "check", tmp_path, "--set", "epochs=3")
    assert (
        result.exit_code == 3 and "only loader.KEY=VALUE and label_map.SRC=CLASS" in result.output
    )


def test_inspect_cache_is_used_until_the_file_changes(tmp_path, cache_dir, monkeypatch):
    path = str(make_image(tmp_path / "a.png", seed=1))
    first = inspect.inspect_files([path])[path]
    assert first.ok and first.decoder == "tf" and len(first.sha1) == 40
    assert (cache_dir / "check-cache.json").is_file()

    def fail(p):
        raise AssertionError(f"{p} inspected again")

    monkeypatch.setattr(inspect, "inspect_file", fail)
    assert inspect.inspect_files([path])[path] == first  # size and mtime unchanged: cached
    monkeypatch.undo()
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(cache_dir))
    make_image(tmp_path / "a.png", seed=2, size=20)
    os.utime(path, ns=(1, 1))  # a changed file, whatever the clock says
    again = inspect.inspect_files([path])[path]
    assert again.sha1 != first.sha1 and again.width == 20


def test_a_broken_cache_file_is_ignored(tmp_path, cache_dir):
    cache_dir.mkdir()
    (cache_dir / "check-cache.json").write_text("{not json")
    path = str(make_image(tmp_path / "a.png"))
    assert inspect.inspect_files([path])[path].ok
    assert json.loads((cache_dir / "check-cache.json").read_text())["version"] == 1


def run(tiny, data, tmp_path, **options):
    return imgclf.run(
        "tiny-task", data=data, output=tmp_path / "runs", seed=1, report=[],
        console=Console(file=io.StringIO()), **options,
    )  # fmt: skip


def test_copies_across_given_splits_stop_a_run_unless_allowed(tiny, tmp_path):
    data = make_data(tmp_path / "set", splits=("train", "test"))
    for i, src in enumerate(sorted((data / "train" / "light").iterdir())[:2]):
        shutil.copy(src, data / "test" / "light" / f"copy{i}.png")
    with pytest.raises(imgclf.DataError, match=r"2 image\(s\) are exact copies in two splits"):
        run(tiny, data, tmp_path)
    assert not (tmp_path / "runs").exists()
    result = run(tiny, data, tmp_path, allow_leakage=True)
    checks = json.loads((result.run_dir / "config.json").read_text())["data_summary"]["checks"]
    assert checks["duplicates_across_splits"] == 2 and checks["allow_leakage"] is True


def test_drop_leaked_leaves_the_test_copies_out(tiny, tmp_path):
    data = make_data(tmp_path / "set", splits=("train", "test"))
    copies = []
    for i, src in enumerate(sorted((data / "train" / "light").iterdir())[:2]):
        copies.append(data / "test" / "light" / f"copy{i}.png")
        shutil.copy(src, copies[-1])
    result = run(tiny, data, tmp_path, drop_leaked=True)
    checks = json.loads((result.run_dir / "config.json").read_text())["data_summary"]["checks"]
    assert checks["duplicates_across_splits"] == 0 and checks["copies_left_out"] == 2
    assert not {str(c) for c in copies} & set(result.result.paths)
    skipped = (result.run_dir / "skipped.csv").read_text()
    assert all(str(c) in skipped for c in copies) and "exact copy of a train image" in skipped


def test_copies_the_run_splits_itself_stay_in_one_split(tiny, tmp_path):
    from imgclf._runner import prepare_data

    data = make_data(tmp_path / "set", counts={"dark": 12, "light": 12})
    for cls in ("dark", "light"):
        for i, src in enumerate(sorted((data / cls).iterdir())[:6]):
            shutil.copy(src, data / cls / f"copy{i}.png")
    config = imgclf.make_config("tiny-task", data=data)
    prepared = prepare_data(config, imgclf._api.get_task("tiny-task"))
    split_of = {}
    for name, part in prepared.splits.items():
        for r in part:
            split_of.setdefault(prepared.checks.infos[r.path].sha1, set()).add(name)
    assert all(len(s) == 1 for s in split_of.values())
    assert prepared.checks.summary()["duplicates_across_splits"] == 0


def test_fer2013_duplicate_figures(monkeypatch):
    fer = real_data("fer2013")
    monkeypatch.delenv("IMGCLF_CACHE_DIR")  # the user's cache: a second run only stats files
    code, report = check_json(fer, "--task", "face-emotion")
    assert report["images"] == 35887 and report["unreadable"] == []
    dup = report["duplicates"]
    # Exact byte copies: 531 images sit in both train and test (the leakage).
    assert dup["across"] == 531 and dup["within"] == {"test": 86, "train": 1236}
    assert dup["conflicting"] == 57
    assert code == 1 and "531 image(s) are exact copies across splits" in report["errors"][0]
    assert report["formats"] == {"JPEG L": 35887}


def test_lfw_legend_duplicate_figures(monkeypatch):
    legend = real_data("face-emotion-lfw", "data", "legend.csv")
    monkeypatch.delenv("IMGCLF_CACHE_DIR")
    code, report = check_json(legend, "--task", "face-emotion")
    assert code == 0 and report["unreadable"] == [] and report["unknown_labels"] == {}
    assert report["duplicates"]["within"] == {"unsplit": 2} and report["duplicates"]["across"] == 0
    assert report["skipped"]["duplicate row"] == 8
