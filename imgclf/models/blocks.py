"""Layers every model needs: conv + BN + ReLU, depthwise-separable blocks, the head."""

from __future__ import annotations

from typing import Any

from ..tasks import Head


def output_layer(x: Any, head: Head, name: str = "predictions") -> Any:
    """The task's output: softmax over the classes, one sigmoid unit, or one unit
    per regression target (``head.activation``, linear when None)."""
    import keras

    activation = {"sigmoid": "sigmoid", "regression": head.activation or "linear"}.get(
        head.kind, "softmax"
    )
    return keras.layers.Dense(head.units, activation=activation, name=name, dtype="float32")(x)


def conv_bn_relu(
    x: Any,
    filters: int,
    kernel: int,
    name: str,
    strides: int = 1,
    padding: str = "same",
    use_bias: bool = True,
) -> Any:
    """Conv2D -> BatchNorm -> ReLU, every layer named after ``name``."""
    import keras

    x = keras.layers.Conv2D(
        filters, kernel, strides=strides, padding=padding, use_bias=use_bias, name=f"{name}_conv"
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def depthwise_separable(x: Any, filters: int, strides: int, name: str) -> Any:
    """A real MobileNet block: 3x3 depthwise + BN + ReLU, then 1x1 pointwise + BN + ReLU.

    The pointwise conv, BN and ReLU are what a depthwise-only "MobileNet" lacks
    (it mixes no channels and cannot learn).
    """
    import keras

    pad = "same" if strides == 1 else "valid"
    if strides != 1:
        x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"{name}_pad")(x)
    x = keras.layers.DepthwiseConv2D(
        3, strides=strides, padding=pad, use_bias=False, name=f"{name}_dw"
    )(x)
    x = keras.layers.BatchNormalization(name=f"{name}_dw_bn")(x)
    x = keras.layers.ReLU(name=f"{name}_dw_relu")(x)
    return conv_bn_relu(x, filters, 1, f"{name}_pw", use_bias=False)
