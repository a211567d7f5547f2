"""Keras layers of this plugin; imported only when an augmenter is built (TensorFlow)."""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="imgclf_covid_xray")
class RandomRot90(keras.layers.Layer):
    """Rotate each image by 0, 90, 180 or 270 degrees, drawn per image.

    Right angles move pixels without interpolation, so no film detail is blurred.
    Non-square batches are turned by 0 or 180 degrees only (their shape must hold).
    Works on a batch (N, H, W, C) or one image (H, W, C); identity when not training.
    The turns come from ``self.seed_generator`` (a Keras ``SeedGenerator``): an
    op-level seed would draw the same turns in every epoch.
    """

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        single = len(images.shape) == 3
        x = images[tf.newaxis] if single else images
        h, w = x.shape[1], x.shape[2]
        square = h is None or w is None or h == w
        n = tf.shape(x)[0]
        seed = self.seed_generator.next()
        k = tf.random.stateless_uniform([n], seed, 0, 4 if square else 2, dtype=tf.int32)
        turns = range(4) if square else (0, 2)
        rotated = tf.stack([tf.image.rot90(x, k=t) for t in turns])  # (turns, N, H, W, C)
        out = tf.gather_nd(rotated, tf.stack([k, tf.range(n)], axis=1))
        return out[0] if single else out

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
