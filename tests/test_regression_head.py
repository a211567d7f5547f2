"""The core of regression heads: Head, metrics, saved files, splitting, the cache folder."""

import io

import numpy as np
import pytest
from rich.console import Console

import imgclf
from imgclf._heads.regression import regression_metrics


def test_head_units_and_output_activation():
    import keras

    va = imgclf.Head("regression", targets=("valence", "arousal"), activation="tanh")
    assert va.units == 2
    assert imgclf.Head("softmax", ("a", "b", "c")).units == 3
    x = keras.Input((4,))
    out = imgclf.output_layer(x, va)
    assert out.shape[-1] == 2
    linear = keras.Model(x, imgclf.output_layer(x, imgclf.Head("regression", targets=("y",))))
    assert linear.get_layer("predictions").get_config()["activation"] == "linear"


def test_metrics_of_known_predictions():
    t = np.array([[0.5, -0.5], [-0.5, 0.5], [0.25, 0.0], [-0.25, -1.0]])
    m = regression_metrics(t, t, ("valence", "arousal"))
    assert m["rmse_mean"] == 0 and m["ccc_mean"] == pytest.approx(1)
    assert m["pearson_mean"] == pytest.approx(1) and m["sign_agreement_mean"] == 1
    shifted = regression_metrics(t, t + 0.5, ("valence", "arousal"))
    assert shifted["per_target"]["valence"]["rmse"] == pytest.approx(0.5)
    assert shifted["per_target"]["valence"]["pearson"] == pytest.approx(1)
    assert shifted["per_target"]["valence"]["ccc"] < 1  # a shift costs concordance
    flat = regression_metrics(t, np.zeros_like(t), ("valence", "arousal"))
    assert flat["per_target"]["valence"]["pearson"] is None and flat["pearson_mean"] is None
    assert flat["per_target"]["valence"]["ccc"] == 0
    assert flat["per_target"]["arousal"]["sign_agreement"] == 0.5  # 0 counts as >= 0
    with pytest.raises(imgclf.DataError, match="no test images"):
        regression_metrics(np.zeros((0, 2)), np.zeros((0, 2)), ("a", "b"))


def test_result_round_trips_through_predictions_csv(tmp_path):
    from imgclf._files import write_json
    from imgclf._heads.regression import write_regression_predictions
    from imgclf._run_folder.artifacts import load_result

    rng = np.random.default_rng(0)
    t = rng.uniform(-1, 1, (10, 2)).astype("float32")
    p = rng.uniform(-1, 1, (10, 2)).astype("float32")
    result = imgclf.RegressionResult(
        y_true=t, scores=p, classes=("valence", "arousal"), head="regression",
        paths=[f"{i}.png" for i in range(10)],
        config={"head": "regression", "targets": ["valence", "arousal"], "classes": []},
    )  # fmt: skip
    with pytest.raises(TypeError, match="no class probabilities"):
        _ = result.probabilities
    write_regression_predictions(tmp_path, result)
    write_json(tmp_path / "config.json", result.config)
    again = load_result(tmp_path)
    assert isinstance(again, imgclf.RegressionResult) and again.metrics == result.metrics
    console = Console(file=io.StringIO(), width=120)
    failed = imgclf._reporting.render(
        ["console", "plots", "json", "html"], again, tmp_path, console
    )
    assert failed == []
    assert (tmp_path / "plots" / "scatter_arousal.png").is_file()
    assert "CCC" in console.file.getvalue()


def test_split_without_stratifying():
    records = [imgclf.Record(f"{i}.png", "a" if i < 95 else "b") for i in range(100)]
    splits = imgclf.split_records(records, 0, 0.1, 0.2, stratify=False)
    assert sorted(len(v) for v in splits.values()) == [10, 20, 70]


def test_cached_folder_is_built_once_and_never_half(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path))
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "a.txt").write_text("a")

    first = imgclf.cached_folder("kind", "key1", build)
    assert first == tmp_path / "kind" / "key1" and (first / "a.txt").read_text() == "a"
    assert imgclf.cached_folder("kind", "key1", build) == first and len(calls) == 1

    def broken(folder):
        (folder / "half.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        imgclf.cached_folder("kind", "key2", broken)
    assert sorted(p.name for p in (tmp_path / "kind").iterdir()) == ["key1"]
    src = tmp_path / "src.bin"
    src.write_bytes(b"abc")
    assert imgclf.file_digest(src).startswith("ba7816bf")  # sha256("abc")
