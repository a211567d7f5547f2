"""Record.soft_target: per-image class shares a softmax head learns (e.g. FER+ votes),
mapped onto the task's classes like labels and written as the pipeline's label rows."""

import numpy as np
import pytest

from imgclf import RunConfig
from imgclf._data.labels import map_labels
from imgclf._data.pipeline import label_array
from imgclf._data.records import Record, has_soft_targets
from imgclf._nn.augment import soft_labels
from imgclf._tasks import TaskSpec
from imgclf.errors import DataError

TASK = TaskSpec(
    "emo", ("anger", "happy", "sad"), label_aliases={"happiness": "happy", "joy": "happy"}
)


def test_shares_are_mapped_like_labels():
    r = Record("a.png", "happiness", soft_target={"happiness": 0.5, "joy": 0.2, "sad": 0.3})
    out, _ = map_labels([r], TASK)
    assert out[0].label == "happy"
    assert out[0].soft_target == pytest.approx({"happy": 0.7, "sad": 0.3})  # spellings add up
    r = Record("b.png", "sad", soft_target={"sad": 0.6, "meh": 0.4})
    out, _ = map_labels([r], TASK, {"meh": ""})  # dropped on purpose: its share goes
    assert out[0].soft_target == {"sad": 0.6}
    with pytest.raises(DataError, match=r"'glum' \(1\)"):
        map_labels([Record("c.png", "sad", soft_target={"glum": 1.0})], TASK)
    out, dropped = map_labels(
        [Record("c.png", "sad", soft_target={"glum": 0.5, "sad": 0.5})], TASK, drop_unknown=True
    )
    assert out[0].soft_target == {"sad": 0.5} and not dropped  # the image itself is kept


def test_soft_label_rows_hold_the_shares():
    records = [
        Record("a.png", "happy", soft_target={"happy": 0.6, "sad": 0.2, "anger": 0.2}),
        Record("b.png", "sad"),  # no shares: one-hot
        Record("c.png", "sad", soft_target={"sad": 0.3, "fear": 0.3}),  # fear: not trained
        Record("d.png", "anger", soft_target={"fear": 1.0}),  # nothing trained: one-hot
    ]
    rows = label_array(records, ("anger", "happy", "sad"), "softmax", soft=True)
    np.testing.assert_allclose(rows, [[0.2, 0.6, 0.2], [0, 0, 1], [0, 0, 1], [1, 0, 0]])
    # Hard labels (test scoring, class weights) stay the record's label.
    np.testing.assert_array_equal(label_array(records, ("anger", "happy", "sad"), "softmax"),
                                  [1, 2, 2, 0])  # fmt: skip


def test_records_with_shares_make_a_softmax_head_train_on_soft_rows():
    plain, shared = [Record("a.png", "sad")], [Record("a.png", "sad", soft_target={"sad": 1.0})]
    assert not has_soft_targets(plain) and has_soft_targets(shared)
    config = RunConfig(task="emo", augmenter="none")
    assert not soft_labels(config, None, "softmax")
    assert soft_labels(config, None, "softmax", has_soft_targets(shared))
    assert not soft_labels(config, None, "sigmoid", True)  # shares are a softmax matter
    assert not soft_labels(config, None, "regression", True)
