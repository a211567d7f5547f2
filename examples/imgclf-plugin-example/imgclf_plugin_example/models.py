"""``shapes-cnn``: a small convolutional network for the shapes task."""

from __future__ import annotations

from collections.abc import Sequence

from imgclf import Head, ModelError, output_layer


def shapes_cnn(input_shape: Sequence[int], head: Head, width: int = 16):
    """Three 3x3 conv + ReLU layers (``width``, 2x, 4x filters; 2x2 max-pooling after
    the first two), global average pooling, then the task's head. No batch
    normalisation: with a few hundred images its moving averages would not settle
    in a few epochs (``imgclf.conv_bn_relu`` is there for bigger data).

    Args:
        input_shape: (height, width, 3), at least 8x8.
        head: the run's output (classes and kind); ``imgclf.output_layer`` builds it.
        width: filters of the first block.

    Returns:
        An uncompiled ``keras.Model`` named ``shapes_cnn``.
    """
    import keras

    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or shape[2] != 3 or min(shape[:2]) < 8:
        raise ModelError(
            f"shapes-cnn takes an input shape (height, width, 3) of at least 8x8; "
            f"received input_shape={tuple(input_shape)}."
        )
    inputs = keras.Input(shape, name="image")
    x = inputs
    for i, filters in enumerate((width, 2 * width, 4 * width), start=1):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=f"conv{i}")(x)
        if i < 3:
            x = keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, output_layer(x, head), name="shapes_cnn")
