import numpy as np
import pytest

from imgclf._data.pipeline import cache_mode, make_dataset
from imgclf._data.records import Record
from imgclf.testing import make_image


@pytest.mark.parametrize("suffix, channels", [(".png", 1), (".png", 4), (".jpg", 3), (".bmp", 3)])
def test_decode_any_mode_to_rgb_in_unit_range(tmp_path, suffix, channels):
    path = make_image(tmp_path / f"img{suffix}", size=20, value=200, channels=channels)
    ds = make_dataset([Record(str(path), "a")], ("a", "b"), "softmax", 12, 4, cache="none")
    x, y = next(iter(ds))
    assert x.shape == (1, 12, 12, 3) and x.dtype.name == "float32"
    assert np.allclose(x.numpy(), 200 / 255, atol=2 / 255)
    assert y.numpy().tolist() == [0]


def test_sigmoid_labels_are_floats_of_second_class(tmp_path):
    recs = [
        Record(str(make_image(tmp_path / f"{i}.png")), lab)
        for i, lab in enumerate(["neg", "pos", "pos"])
    ]
    ds = make_dataset(recs, ("neg", "pos"), "sigmoid", 8, 8, cache="memory")
    _, y = next(iter(ds))
    assert y.numpy().tolist() == [0.0, 1.0, 1.0]


def test_augment_runs_on_training_only(tmp_path):
    recs = [
        Record(str(make_image(tmp_path / f"{i}.png", size=8, value=10 * i)), "a") for i in range(4)
    ]
    calls = []

    def invert(x, training=False):
        calls.append(training)
        return 1.0 - x

    plain = next(iter(make_dataset(recs, ("a",), "softmax", 8, 4, augment=invert)))[0].numpy()
    assert calls == []  # not a training split: the augmenter is never even traced
    trained = next(
        iter(make_dataset(recs, ("a",), "softmax", 8, 4, training=True, augment=invert, seed=0))
    )[0].numpy()
    assert calls and all(calls)
    assert sorted(trained.mean(axis=(1, 2, 3)).round(4)) == sorted(
        (1 - plain.mean(axis=(1, 2, 3))).round(4)
    )


def test_cache_mode_auto_switches_to_disk_for_large_sets():
    assert cache_mode(1000, 48, "auto") == "memory"
    assert cache_mode(10_000_000, 128, "auto") == "disk"
    assert cache_mode(10, 8, "none") == "none"


def test_training_order_is_seeded_and_the_shuffle_buffer_is_bounded(tmp_path):
    """Class-grouped records (as loaders list them) give mixed batches from the first
    step, the same for the same seed; the buffer holds at most 64 MiB of pixels."""
    from imgclf._data.pipeline import permuted, shuffle_buffer

    assert shuffle_buffer(100_000, 128) == 64 * 1024**2 // (128 * 128 * 3) == 1365
    assert shuffle_buffer(100_000, 48) == 9709 and shuffle_buffer(50, 128) == 50
    recs = [Record(f"{c}{i}.png", c) for c in ("a", "b") for i in range(500)]
    assert permuted(recs, 3) == permuted(recs, 3) != permuted(recs, 4)
    assert sorted(r.path for r in permuted(recs, 3)) == sorted(r.path for r in recs)
    first_half = [r.label for r in permuted(recs, 3)[:500]]
    assert 200 < first_half.count("a") < 300  # both classes early, not 500 of one
