"""``shapes/turns``: flips and quarter turns, which never change a shape's class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def turns(seed: int | None = None, rotation: float = 0.0) -> Callable[..., Any]:
    """Random horizontal/vertical flips, a random quarter turn per image and, with
    ``rotation`` > 0 (``--set augmenter.rotation=0.05``), a small free rotation
    (a fraction of a full turn).

    Returns ``augment(images, training=True)``; imgclf applies it to training
    batches of float images in [0, 1], inside the tf.data pipeline, after the split.
    Keras and TensorFlow are imported here, not when the plugin is imported, so
    ``imgclf list`` stays fast.
    """
    import keras

    flips = keras.layers.RandomFlip("horizontal_and_vertical", seed=seed, name="flip")
    rotate = None
    if rotation:
        rotate = keras.layers.RandomRotation(rotation, fill_mode="nearest", seed=seed)

    def augment(images: Any, training: bool = True) -> Any:
        import tensorflow as tf

        if not training:
            return images
        images = flips(images, training=True)
        k = tf.random.uniform(tf.shape(images)[:1], 0, 4, dtype=tf.int32, seed=seed)
        turned = tf.stack([tf.image.rot90(images, i) for i in range(4)], axis=1)
        images = tf.gather(turned, k, axis=1, batch_dims=1)
        return rotate(images, training=True) if rotate is not None else images

    return augment
