"""Multi-worker input shares (imgclf/_data/shards.py), in one process.

A ``tf.distribute.InputContext`` stands for each worker; every record has a class of
its own, so the labels of a batch name the files it holds.
"""

from __future__ import annotations

import numpy as np
import pytest

import imgclf
from imgclf._data.pipeline import make_dataset
from imgclf._data.records import Record
from imgclf._training import strategy as dist
from imgclf.testing import make_image


@pytest.fixture
def eleven(tmp_path):
    return [Record(str(make_image(tmp_path / f"{i}.png", size=8, value=20 * i)), str(i))
            for i in range(11)]  # fmt: skip


def labels_by_epoch(records, worker, workers=2, batch=4, epochs=(0, 2), replicas=2):
    import tensorflow as tf

    context = tf.distribute.InputContext(workers, worker, replicas)
    classes = tuple(r.label for r in records)
    ds = make_dataset(records, classes, "softmax", 8, batch, training=True, seed=5,
                      cache="none", epochs=epochs, input_context=context)  # fmt: skip
    batches = [ys.numpy().tolist() for _, ys in ds]
    return [y for ys in batches for y in ys], [len(ys) for ys in batches]


def test_each_worker_reads_its_own_share_for_the_same_number_of_steps(eleven):
    (seen0, sizes0), (seen1, sizes1) = (labels_by_epoch(eleven, w) for w in (0, 1))
    # ceil(11 / 4) = 3 steps per epoch, 2 images per worker per step (one replica each)
    assert sizes0 == sizes1 == [2] * 6
    share0, share1 = set(seen0), set(seen1)
    assert not share0 & share1 and share0 | share1 == set(range(11))
    assert {len(share0), len(share1)} == {5, 6}
    for seen, share in ((seen0, share0), (seen1, share1)):
        for epoch in (seen[:6], seen[6:]):  # every image of the share in every epoch
            assert set(epoch) == share
    assert seen0[:6] != seen0[6:] or seen1[:6] != seen1[6:]  # reshuffled per epoch
    assert seen1 == labels_by_epoch(eleven, 1)[0]  # seeded


def test_two_replicas_per_worker_split_its_part_of_the_batch(eleven):
    seen, sizes = labels_by_epoch(eleven, 1, batch=8, epochs=(0, 1), replicas=4)
    # ceil(11 / 8) = 2 steps; each step 4 images per worker, 2 per replica
    assert sizes == [2, 2, 2, 2] and len(set(seen)) == 5


@pytest.mark.parametrize("batch, replicas, rows", [(4, 2, 6), (8, 4, 8)])
def test_validation_shares_are_padded_to_whole_batches_with_weight_zero(
    eleven, batch, replicas, rows
):
    import tensorflow as tf

    classes = tuple(r.label for r in eleven)
    real, sizes = [], []
    for worker in (0, 1):
        context = tf.distribute.InputContext(2, worker, replicas)
        ds = make_dataset(eleven, classes, "softmax", 8, batch, cache="none",
                          input_context=context)  # fmt: skip
        got = [(int(y), float(w)) for _, ys, ws in ds for y, w in zip(ys.numpy(), ws.numpy())]
        real.append([y for y, w in got if w == 1.0])
        sizes.append(len(got))
        assert all(w in (0.0, 1.0) for _, w in got)
        assert all(len(ys) == batch // replicas for _, ys, _ in ds)  # no short replica batch
    # the same steps on both workers: ceil(11 / 2) images each, padded to whole batches
    assert sizes == [rows, rows]
    assert sorted(real[0] + real[1]) == list(range(11))  # every image once, unweighted pads


def test_a_multi_worker_run_refuses_an_uneven_batch_and_a_time_limit(monkeypatch):
    class Strategy:
        num_replicas_in_sync = 4

    monkeypatch.setattr(dist, "is_multi_worker", lambda strategy: True)
    with pytest.raises(
        imgclf.ConfigError, match=r"batch_size=10 .* multiple of 4 \(e.g. 12 or 8\)"
    ):
        dist.check_multi_worker(imgclf.RunConfig("t", batch_size=10), Strategy())
    dist.check_multi_worker(imgclf.RunConfig("t", batch_size=12), Strategy())
    with pytest.raises(imgclf.ConfigError, match="time_limit=30 cannot pause a multi-worker"):
        dist.check_multi_worker(imgclf.RunConfig("t", batch_size=12, time_limit=30), Strategy())
    monkeypatch.setattr(dist, "is_multi_worker", lambda strategy: False)
    dist.check_multi_worker(imgclf.RunConfig("t", batch_size=10, time_limit=30), Strategy())


def test_class_weights_become_sample_weights():
    import tensorflow as tf

    weigh = dist._class_weight_fn({0: 1.0, 1: 3.0, 2: 0.5})
    x = tf.zeros([3, 2])
    soft = tf.constant([[0.9, 0.1, 0], [0.2, 0.7, 0.1], [0, 0, 1.0]])
    for y in (tf.constant([0, 1, 2]), tf.one_hot([0, 1, 2], 3), soft):
        assert np.allclose(weigh(x, y)[2].numpy(), [1.0, 3.0, 0.5])
    sigmoid = dist._class_weight_fn({0: 2.0, 1: 1.0})
    assert np.allclose(sigmoid(x, tf.constant([[1.0], [0.0], [1.0]]))[2].numpy(), [1, 2, 1])
