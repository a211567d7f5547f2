"""The task on real data: label spellings, FER2013 folders, LFW CSV, end-to-end runs."""

import csv
import json
import os

import numpy as np
import pytest
from sklearn import metrics as skm

import imgclf
from imgclf.testing import prepare_data, shared_data


def test_paper_augmenter_prefers_keras_cv_and_falls_back(monkeypatch):
    import builtins

    from imgclf_face_emotion import augment

    layer = augment.paper(seed=1)
    assert any("keras_cv" in type(sub).__module__ for sub in layer.layers)
    real_import = builtins.__import__

    def no_keras_cv(name, *args, **kwargs):
        if name.startswith("keras_cv"):
            raise ImportError("keras_cv hidden by the test")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_keras_cv)
    with pytest.warns(UserWarning, match="Keras-core 'paper-keras'"):
        layer = augment.paper(seed=1)
    assert [type(sub).__name__ for sub in layer.layers] == ["RandomFlipRotateTranslate"]
    assert not any("keras_cv" in type(sub).__module__ for sub in layer.layers)
    x = np.random.default_rng(0).random((2, 32, 32, 3), dtype="float32")
    assert layer(x, training=True).shape == (2, 32, 32, 3)


def test_lfw_legend_maps_every_spelling_and_groups_people():
    legend = shared_data("face-emotion-lfw", "data", "legend.csv")
    cfg = imgclf.make_config("face-emotion", data=legend)
    data = prepare_data(cfg)
    assert data.classes == (
        "anger",
        "contempt",
        "disgust",
        "fear",
        "happy",
        "neutral",
        "sad",
        "surprise",
    )
    assert data.skipped["duplicate row"] >= 8
    people = {}
    for split, part in data.splits.items():
        for r in part:
            if r.group:
                assert people.setdefault(r.group, split) == split, r.group
    assert len(people) > 1000


def recount(run_dir):
    with open(run_dir / "predictions.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    metrics = json.loads((run_dir / "metrics.json").read_text())
    classes = metrics["classes"]
    y = [classes.index(r["true"]) for r in rows]
    p = [classes.index(r["predicted"]) for r in rows]
    assert p == [int(np.argmax([float(r[c]) for c in classes])) for r in rows]
    labels = list(range(len(classes)))
    assert metrics["n"] == len(rows)
    assert metrics["accuracy"] == pytest.approx(skm.accuracy_score(y, p))
    assert metrics["macro_f1"] == pytest.approx(
        skm.f1_score(y, p, labels=labels, average="macro", zero_division=0)
    )
    assert metrics["confusion_matrix"] == skm.confusion_matrix(y, p, labels=labels).tolist()
    prec, rec, f1, sup = skm.precision_recall_fscore_support(y, p, labels=labels, zero_division=0)
    for i, c in enumerate(classes):
        row = metrics["per_class"][c]
        assert {k: row[k] for k in ("precision", "recall", "f1", "support")} == pytest.approx(
            {"precision": prec[i], "recall": rec[i], "f1": f1[i], "support": sup[i]}
        )
    return metrics


@pytest.mark.parametrize("model", ["alexnet", "vggnet", "mobilenet"])
def test_end_to_end_one_epoch_on_fer2013_slice(model, tmp_path):
    fer = shared_data("fer2013")
    result = imgclf.run(
        "face-emotion",
        model=model,
        data=fer,
        epochs=1,
        image_size=32,
        limit=280,
        batch_size=16,
        output=tmp_path,
        seed=3,
    )
    run_dir = result.run_dir
    assert run_dir.parent.parent == tmp_path / "face-emotion"
    for name in ("config.json", "history.csv", "metrics.json", "model.keras", "predictions.csv"):
        assert (run_dir / name).is_file(), name
    config = json.loads((run_dir / "config.json").read_text())
    assert config["model"] == model and config["image_size"] == 32
    assert "contempt" not in config["classes"] and len(config["classes"]) == 7
    assert config["versions"]["tensorflow"]
    counts = config["data_summary"]["counts"]
    assert config["data"] == [os.path.abspath(fer)]  # recorded absolute
    assert config["augmenter"] == "face-emotion/paper"
    assert sorted(counts["test"]) == sorted(config["classes"])  # the slice is stratified
    assert all(n > 0 for n in counts["train"].values())
    assert set(counts) == {"train", "val", "test"}
    metrics = recount(run_dir)
    assert metrics == result.metrics
    assert len(open(run_dir / "history.csv").read().strip().splitlines()) == 2
    reloaded = imgclf.load_model(run_dir)
    scores = imgclf.predict(reloaded, result.result.paths[:5])
    np.testing.assert_allclose(scores, result.result.scores[:5], atol=1e-4)
