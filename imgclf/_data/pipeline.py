"""The streaming tf.data pipeline: read, decode, resize, cache, shuffle, augment, batch.

Images stay files until a batch needs them; decoded pixels are cached as uint8
(in memory when small, else on disk in the run folder), never as one array.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._tfquiet import import_tensorflow_quietly
from ..errors import DataError
from .checks.inspect import inspect_files, pillow_pixels
from .records import Record, class_label
from .shards import Shard, padded_share, shard_for, share

if TYPE_CHECKING:
    import tensorflow as tf

MEMORY_CACHE_BYTES = 3 * 1024**3
# Decoded images held by the shuffle buffer: bounded, so memory does not grow with
# the data set (at 128 px: 1,365 images; at 48 px: all of FER2013's 9,709 per 64 MiB).
SHUFFLE_BYTES = 64 * 1024**2


def shuffle_buffer(n: int, size: int) -> int:
    return max(1, min(n, max(256, SHUFFLE_BYTES // (size * size * 3))))


def permuted(records: Sequence[Record], seed: int) -> list[Record]:
    """The records in a seeded random order: loaders list images class by class, and a
    bounded shuffle buffer over that order would fill batches from one class."""
    import numpy as np

    order = np.random.default_rng(seed).permutation(len(records))
    return [records[i] for i in order]


def label_array(records: Sequence[Record], classes: Sequence[str], head: str, soft: bool = False):
    """Class indices (softmax), 0/1 floats for ``classes[1]`` (sigmoid), or the
    N x D float targets (regression). ``soft``: float rows that MixUp/CutMix can blend
    and label smoothing needs: one-hot N x C (softmax), N x 1 (sigmoid); a softmax
    row of a record with a ``soft_target`` holds its shares instead (``soft_rows``)."""
    import numpy as np

    if head == "regression":
        return np.array([r.targets for r in records], dtype="float32")
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[class_label(r)] for r in records], dtype="int32")
    if soft and head == "softmax":
        return soft_rows(records, index, np.eye(len(classes), dtype="float32")[y])
    if soft:
        return y.astype("float32").reshape(-1, 1)
    return y.astype("float32") if head == "sigmoid" else y


def soft_rows(records: Sequence[Record], index: dict[str, int], rows):
    """``rows`` (one-hot) with each ``soft_target`` written over its record's row,
    normalised to sum 1; shares of classes the run does not train are left out (a
    record left with none keeps its one-hot row)."""
    for i, r in enumerate(records):
        if not r.soft_target:
            continue
        row = rows[i] * 0
        for label, part in r.soft_target.items():
            if label in index:
                row[index[label]] += part
        if row.sum() > 0:
            rows[i] = row / row.sum()
    return rows


def apply_augmenter(
    augment: Callable, mixes: bool, x: Any, rest: tuple, *args: Any
) -> tuple[Any, tuple]:
    """``augment(*args, x)`` on the images, or on {images, labels} for an augmenter that
    mixes labels (``mixes``: MixUp, CutMix) when the batch has labels."""
    if not (rest and mixes):
        return augment(*args, x), rest
    out = augment(*args, {"images": x, "labels": rest[0]})
    return out["images"], (out["labels"], *rest[1:])


def _pillow_pixels(path: bytes):
    return pillow_pixels(path.decode())


def crop_box(img, box):
    """``img`` cut to ``box`` (x, y, width, height), clamped to the image: a box
    reaching past an edge keeps what lies inside, and at least one pixel remains."""
    import tensorflow as tf

    box = tf.cast(box, tf.int32)
    h, w = tf.shape(img)[0], tf.shape(img)[1]
    x0 = tf.clip_by_value(box[0], 0, w - 1)
    y0 = tf.clip_by_value(box[1], 0, h - 1)
    x1 = tf.clip_by_value(box[0] + box[2], x0 + 1, w)
    y1 = tf.clip_by_value(box[1] + box[3], y0 + 1, h)
    return img[y0:y1, x0:x1, :]


def decode_image(path, size: int, pillow: Any = None, box: Any = None):
    """Read one file into a ``size`` x ``size`` x 3 uint8 tensor (gray/RGBA -> RGB).

    ``pillow`` (a bool or a boolean tensor) sends the file through Pillow instead
    of ``tf.io`` (EXIF-rotated files, formats TensorFlow rejects). ``None`` with a
    plain path (eager use) looks the file up in the pre-flight cache. ``box``
    (x, y, width, height) crops before resizing (see ``crop_box``).
    """
    import tensorflow as tf

    if pillow is None and isinstance(path, str):
        pillow = inspect_files([path])[path].decoder == "pillow"

    def native():
        data = tf.io.read_file(path)
        return tf.io.decode_image(data, channels=3, expand_animations=False, dtype=tf.uint8)

    def with_pillow():
        img = tf.numpy_function(_pillow_pixels, [path], tf.uint8, stateful=False)
        return tf.ensure_shape(img, (None, None, 3))

    if pillow is None or pillow is False:
        img = native()
    elif pillow is True:
        img = with_pillow()
    else:
        img = tf.cond(pillow, with_pillow, native)
    if box is not None:
        img = crop_box(img, box)
    img = tf.image.resize(img, (size, size), antialias=True)
    img = tf.cast(tf.clip_by_value(tf.round(img), 0, 255), tf.uint8)
    img.set_shape((size, size, 3))
    return img


def pillow_paths_of(paths: Sequence[str]) -> frozenset[str]:
    """Files the pipeline must decode with Pillow; unreadable files are a DataError."""
    infos = inspect_files(paths)
    bad = [i for i in infos.values() if not i.ok]
    if bad:
        listed = "; ".join(f"{i.path} ({i.error})" for i in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(
            f"{len(bad)} image file(s) cannot be read: {listed}{more}. Remove or replace "
            "them ('imgclf data check PATH' lists them all)."
        )
    return frozenset(p for p, i in infos.items() if i.decoder == "pillow")


def boxed_images(records: Sequence[Record], size: int, pillow_paths: Collection[str]):
    """Decoded images cropped to each record's box (a record without one keeps its
    whole image: its box covers everything and is clamped to it)."""
    import tensorflow as tf

    whole = (0, 0, 2**30, 2**30)
    boxes = [r.box if r.box is not None else whole for r in records]
    flags = [r.path in pillow_paths for r in records]
    ds = tf.data.Dataset.from_tensor_slices(([r.path for r in records], flags, boxes))
    return ds.map(lambda p, f, b: decode_image(p, size, f, b), num_parallel_calls=tf.data.AUTOTUNE)


def cache_mode(n: int, size: int, mode: str) -> str:
    if mode != "auto":
        return mode
    return "memory" if n * size * size * 3 <= MEMORY_CACHE_BYTES else "disk"


def decoded(records: Sequence[Record], image_size: int, pillow_paths: Collection[str] | None):
    """Images of ``records`` decoded and resized (cropped to a ``box`` first), in order;
    ``pillow_paths`` through Pillow (``None``: inspect the files to find them)."""
    import tensorflow as tf

    auto = tf.data.AUTOTUNE
    paths = [r.path for r in records]
    if pillow_paths is None:
        pillow_paths = pillow_paths_of(paths)
    if any(r.box is not None for r in records):
        return boxed_images(records, image_size, pillow_paths)
    if any(p in pillow_paths for p in paths):
        flags = [p in pillow_paths for p in paths]
        ds = tf.data.Dataset.from_tensor_slices((paths, flags))
        return ds.map(lambda p, f: decode_image(p, image_size, f), num_parallel_calls=auto)
    ds = tf.data.Dataset.from_tensor_slices(paths)
    return ds.map(lambda p: decode_image(p, image_size, False), num_parallel_calls=auto)


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
    pillow_paths: Collection[str] | None = None,
    epochs: tuple[int, int] | None = None,
    deterministic: bool = False,
    soft: bool = False,
    input_context: Any = None,
) -> tf.data.Dataset:
    """A batched dataset of (image in [0, 1], label); ``augment`` runs on training only.

    ``pillow_paths``: files to decode through Pillow (what the run's pre-flight
    found); ``None`` inspects the files here (cached), failing on unreadable ones.
    Records with a ``box`` are cropped to it before resizing.

    ``epochs`` (start, stop), training only: those epochs in a row, each one's order
    and augmentation from (seed, epoch) alone, so a resumed run sees what the whole
    run saw (fit with ``steps_per_epoch``); without: one epoch, reshuffled per
    iteration. ``deterministic``: see ``determinism.batch_augmenter``. ``soft``: float
    label rows (``label_array``), for every split of a run that trains on them.

    ``input_context``: a ``tf.distribute.InputContext`` (multi-worker training): only
    this worker's share of ``records`` is read, batched per replica (shards.py);
    ``batch_size`` stays the global batch. Not training, the shares are padded to
    one length and the batches carry sample weights (0 for the padding).
    """
    import_tensorflow_quietly()
    import tensorflow as tf

    auto = tf.data.AUTOTUNE
    shard = shard_for(input_context, len(records), batch_size) if input_context else None
    if training:
        records = permuted(records, seed)
    weights = None
    if shard is not None:
        batch_size = shard.batch
        if training:
            records = share(records, shard, training=True)
        else:
            records, weights = padded_share(records, shard)
    paths = [r.path for r in records]
    ds = decoded(records, image_size, pillow_paths)
    if with_labels:
        ds = labelled(ds, label_array(records, classes, head, soft), weights)
    ds = cached(ds, cache_mode(len(paths), image_size, cache), cache_dir, name)
    if training and epochs is not None:
        ds = epoch_batches(ds, len(paths), image_size, batch_size, seed, epochs, shard)
        return augmented(ds, augment, seed, deterministic).prefetch(auto)
    if training:
        buffer = shuffle_buffer(len(paths), image_size)
        ds = ds.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    return scaled(ds.batch(batch_size), augment if training else None).prefetch(auto)


def scaled(ds: Any, augment: Callable | None) -> Any:
    """Batches of uint8 pixels as floats in [0, 1], through ``augment`` if given (one
    epoch, reshuffled per iteration: the path without ``epochs``)."""
    import tensorflow as tf

    def scale(x, *rest):
        x = tf.cast(x, tf.float32) / 255.0
        if augment is not None:
            mixes = getattr(augment, "mixes_labels", False)
            x, rest = apply_augmenter(lambda d: augment(d, training=True), mixes, x, rest)
        return (x, *rest) if rest else x

    return ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE)


def labelled(ds: Any, labels: Any, weights: Any = None) -> Any:
    """(image, label) pairs, or (image, label, weight) for a padded validation share
    (shards.py)."""
    import tensorflow as tf

    parts: tuple[Any, ...] = (ds, tf.data.Dataset.from_tensor_slices(labels))
    if weights is not None:
        parts += (tf.data.Dataset.from_tensor_slices(tf.constant(weights)),)
    return tf.data.Dataset.zip(parts)


def cached(ds: Any, mode: str, cache_dir: Path | None, name: str) -> Any:
    """The decoded images kept after the first epoch: in memory, or on disk under
    ``cache_dir`` (``cache_mode`` picks)."""
    if mode == "memory":
        return ds.cache()
    if mode == "disk" and cache_dir is not None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        return ds.cache(str(cache_dir / name))
    return ds


def epoch_batches(
    ds, n: int, size: int, batch_size: int, seed: int, epochs: tuple[int, int],
    shard: Shard | None = None,
):  # fmt: skip
    """Batches of epochs [start, stop) in a row, as ``(epoch, (batch index, item))``.

    Epoch e shuffles with ``epoch_seed(seed, e)``, not with the dataset's iteration
    count (which restarts at 0 in a resumed run). The epochs are concatenated, not
    interleaved: epoch e+1 reads the cache only once epoch e has filled it. A
    worker's ``shard``: each epoch its ``per_epoch`` images (its share, then its
    first images again), batch numbers unique across workers (shards.py).
    """
    import tensorflow as tf

    from .._nn.determinism import epoch_seed

    if not epochs[0] < epochs[1]:
        raise ValueError(f"epochs must be a (start, stop) range with start < stop; got {epochs}.")

    def one(e: int):
        order = ds.shuffle(shuffle_buffer(n, size), seed=epoch_seed(seed, e),
                           reshuffle_each_iteration=False)  # fmt: skip
        tag = tf.data.Dataset.from_tensors(tf.constant(e, tf.int64)).repeat()
        if shard is None:
            return tf.data.Dataset.zip(tag, order.batch(batch_size).enumerate())
        batches = order.repeat().take(shard.per_epoch).batch(batch_size).enumerate()
        return tf.data.Dataset.zip(tag, batches.map(lambda k, b: (shard.batch_key(k), b)))

    def joined(lo: int, hi: int):  # balanced: nesting log2(epochs) deep, not epochs deep
        if hi - lo == 1:
            return one(lo)
        mid = (lo + hi) // 2
        return joined(lo, mid).concatenate(joined(mid, hi))

    return joined(*epochs)


def augmented(ds, augment: Callable | None, seed: int, deterministic: bool):
    """``epoch_batches`` scaled to [0, 1] and augmented from (seed, epoch, batch)."""
    import tensorflow as tf

    from .._nn.determinism import batch_augmenter

    parallel, mixes = True, False
    if augment is not None:
        mixes = getattr(augment, "mixes_labels", False)
        augment, parallel = batch_augmenter(augment, seed, deterministic)

    def scale(epoch, tagged):
        batch, item = tagged
        x, rest = (item[0], item[1:]) if isinstance(item, tuple) else (item, ())
        x = tf.cast(x, tf.float32) / 255.0
        if augment is not None:
            x, rest = apply_augmenter(augment, mixes, x, rest, epoch, batch)
        return (x, *rest) if rest else x

    ds = ds.map(scale, num_parallel_calls=tf.data.AUTOTUNE if parallel else None)
    if deterministic:
        options = tf.data.Options()
        options.deterministic = True
        ds = ds.with_options(options)
    return ds
