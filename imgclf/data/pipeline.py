"""The streaming tf.data pipeline: read, decode, resize, cache, shuffle, augment, batch.

Images stay files until a batch needs them; decoded pixels are cached as uint8
(in memory when small, else on disk in the run folder), never as one array.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from .records import Record

MEMORY_CACHE_BYTES = 3 * 1024**3


def label_array(records: Sequence[Record], classes: Sequence[str], head: str):
    """Class indices (softmax) or 0/1 floats for ``classes[1]`` (sigmoid)."""
    import numpy as np

    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[r.label] for r in records], dtype="int32")
    return y.astype("float32") if head == "sigmoid" else y


def decode_image(path, size: int):
    """Read one file into a ``size`` x ``size`` x 3 uint8 tensor (gray/RGBA -> RGB)."""
    import tensorflow as tf

    data = tf.io.read_file(path)
    img = tf.io.decode_image(data, channels=3, expand_animations=False, dtype=tf.uint8)
    img = tf.image.resize(img, (size, size), antialias=True)
    img = tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8)
    img.set_shape((size, size, 3))
    return img


def cache_mode(n: int, size: int, mode: str) -> str:
    if mode != "auto":
        return mode
    return "memory" if n * size * size * 3 <= MEMORY_CACHE_BYTES else "disk"


def make_dataset(
    records: Sequence[Record],
    classes: Sequence[str],
    head: str,
    image_size: int,
    batch_size: int,
    training: bool = False,
    augment: Callable | None = None,
    seed: int = 0,
    cache: str = "auto",
    cache_dir: Path | None = None,
    with_labels: bool = True,
    name: str = "data",
):
    """A batched dataset of (image in [0, 1], label); ``augment`` runs on training only."""
    import tensorflow as tf

    auto = tf.data.AUTOTUNE
    paths = [r.path for r in records]
    ds = tf.data.Dataset.from_tensor_slices(paths)
    ds = ds.map(lambda p: decode_image(p, image_size), num_parallel_calls=auto)
    if with_labels:
        labels = tf.data.Dataset.from_tensor_slices(label_array(records, classes, head))
        ds = tf.data.Dataset.zip((ds, labels))
    mode = cache_mode(len(paths), image_size, cache)
    if mode == "memory":
        ds = ds.cache()
    elif mode == "disk" and cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        ds = ds.cache(str(cache_dir / name))
    if training:
        ds = ds.shuffle(min(len(paths), 10_000), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size)

    def scale(x, *rest):
        x = tf.cast(x, tf.float32) / 255.0
        if training and augment is not None:
            x = augment(x, training=True)
        return (x, *rest) if rest else x

    ds = ds.map(scale, num_parallel_calls=auto)
    return ds.prefetch(auto)
