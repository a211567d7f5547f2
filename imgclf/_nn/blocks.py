"""Layers every model needs: batch norm, conv + BN + ReLU, depthwise-separable blocks,
the head."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._tasks import Head

if TYPE_CHECKING:  # annotations only: Keras is imported when a block is built
    import keras


def output_layer(x: keras.KerasTensor, head: Head, name: str = "predictions") -> keras.KerasTensor:
    """The task's output: softmax over the classes, one sigmoid unit, or one unit
    per regression target (``head.activation``, linear when None)."""
    import keras

    activation = {"sigmoid": "sigmoid", "regression": head.activation or "linear"}.get(
        head.kind, "softmax"
    )
    return keras.layers.Dense(head.units, activation=activation, name=name, dtype="float32")(x)


def batch_norm(x: keras.KerasTensor, name: str, momentum: float = 0.99) -> keras.KerasTensor:
    """Batch normalization on TensorFlow's fused kernel (``imgclf._nn.layers``):
    the same layer as Keras' for the model, faster to train on a CPU."""
    from .layers import BatchNormalization

    return BatchNormalization(momentum=momentum, name=name)(x)


def conv_bn_relu(
    x: keras.KerasTensor,
    filters: int,
    kernel: int,
    name: str,
    strides: int = 1,
    padding: str = "same",
    use_bias: bool = False,
) -> keras.KerasTensor:
    """Conv2D -> BatchNorm -> ReLU, every layer named after ``name``.

    No conv bias by default: the batch norm subtracts it again, so it would get a
    zero gradient and stay 0, and the backward pass with a bias is slower.
    """
    import keras

    x = keras.layers.Conv2D(
        filters, kernel, strides=strides, padding=padding, use_bias=use_bias, name=f"{name}_conv"
    )(x)
    x = batch_norm(x, f"{name}_bn")
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def depthwise_separable(
    x: keras.KerasTensor, filters: int, strides: int, name: str
) -> keras.KerasTensor:
    """A real MobileNet block: 3x3 depthwise + BN + ReLU, then 1x1 pointwise + BN + ReLU.

    The pointwise conv, BN and ReLU are what a depthwise-only "MobileNet" lacks
    (it mixes no channels and cannot learn).
    """
    import keras

    # 'same' at stride 2 on an even size pads one row and column after, as
    # MobileNet's explicit ZeroPadding2D does, without a pad op and its gradient.
    x = keras.layers.DepthwiseConv2D(
        3, strides=strides, padding="same", use_bias=False, name=f"{name}_dw"
    )(x)
    x = batch_norm(x, f"{name}_dw_bn")
    x = keras.layers.ReLU(name=f"{name}_dw_relu")(x)
    return conv_bn_relu(x, filters, 1, f"{name}_pw", use_bias=False)
