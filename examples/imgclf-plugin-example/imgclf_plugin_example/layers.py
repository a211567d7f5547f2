"""The example's one Keras layer; imported only when its augmenter is built."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="imgclf_plugin_example")
class RandomQuarterTurn(keras.layers.Layer):
    """Turn each square image by 0, 90, 180 or 270 degrees, drawn per image from the
    layer's own ``SeedGenerator``; identity when not training."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=True):
        if not training:
            return images
        import tensorflow as tf

        k = keras.random.randint([tf.shape(images)[0]], 0, 4, seed=self.seed_generator)
        turned = tf.stack([tf.image.rot90(images, i) for i in range(4)], axis=1)
        return tf.gather(turned, tf.cast(k, "int32"), axis=1, batch_dims=1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
