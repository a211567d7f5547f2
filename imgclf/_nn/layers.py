"""Keras layers of imgclf's own; imported only when a model is built or loaded.

Keras 3 computes batch norm from separate moments, normalize and update ops, and
their gradients op by op: on a CPU that is a tenth of a training step spent on
memory traffic. TensorFlow's fused kernel (``FusedBatchNormV3``, which oneDNN
runs fused with the following ReLU) does the same arithmetic in one pass each way.
"""

from __future__ import annotations

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="imgclf")
class BatchNormalization(keras.layers.BatchNormalization):
    """``keras.layers.BatchNormalization`` on TensorFlow's fused kernel.

    Same weights, config, outputs and moving-statistics updates as Keras' layer,
    so models swap one for the other. Inputs other than 4-D channels-last, masks,
    renorm and synchronized statistics take Keras' own path.
    """

    def _fusable(self, inputs, mask) -> bool:
        return (
            mask is None
            and len(inputs.shape) == 4
            and self.axis in (-1, 3)
            and not self.renorm
            and not self.synchronized
            and self.epsilon >= 1.001e-5  # the fused kernel's minimum
        )

    def call(self, inputs, training=None, mask=None):
        if not self._fusable(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        # The kernel keeps its statistics in float32 for bfloat16/float16 inputs too.
        x = inputs if inputs.dtype in (tf.bfloat16, tf.float16) else tf.cast(inputs, "float32")
        channels = x.shape[-1]
        gamma = tf.cast(self.gamma, "float32") if self.scale else tf.ones([channels])
        beta = tf.cast(self.beta, "float32") if self.center else tf.zeros([channels])
        if training and self.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                x, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True
            )
            # The kernel returns the unbiased (n-1) variance; Keras keeps the biased one.
            n = tf.cast(tf.size(x) // channels, "float32")
            variance = variance * ((n - 1.0) / tf.maximum(n, 1.0))
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                x,
                gamma,
                beta,
                mean=tf.cast(self.moving_mean, "float32"),
                variance=tf.cast(self.moving_variance, "float32"),
                epsilon=self.epsilon,
                data_format="NHWC",
                is_training=False,
            )
        return tf.cast(y, self.compute_dtype)
