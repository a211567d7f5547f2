"""The network of Reshi et al. 2021, "An Efficient CNN Model for COVID-19 Disease
Detection Based on X-Ray Image Classification" (Complexity 2021, 6621607).

At 150x150x3 with one sigmoid output it has 1,217,345 parameters (1,214,529
trainable; the rest are BatchNorm moving statistics). Every layer is named so
Grad-CAM and export can find it.

BatchNormalization uses momentum 0.9 instead of Keras' 0.99; the layers and the
parameter count are the paper's. Dropout before each 'conv -> ReLU -> max-pool' makes
the activations larger in training than in inference, and on a small data set the
moving statistics must follow the weights closely for inference to work: trained on the
Kaggle set's 148 films (batch 32, the paper augmenter), the network with 0.99 scored
every test film as COVID for all of 40 epochs, while with 0.9 its test accuracy rose
from chance to 0.8-0.95 between epochs 20 and 40. It needs that many epochs either way.
"""

from __future__ import annotations

from collections.abc import Sequence

from imgclf import Head, ModelError, batch_norm, output_layer

FILTERS = (64, 64, 128, 128, 256)
DENSE_UNITS = (512, 256)
BN_MOMENTUM = 0.9  # see the module docstring


def min_input_size(blocks: int = len(FILTERS)) -> int:
    """Smallest square side that leaves at least 1x1 after ``blocks`` of 3x3 'valid'
    conv + 2x2 pool: work backwards from 1 pixel (1 -> 2 -> 4 -> ... -> 94 for five)."""
    side = 1
    for _ in range(blocks):
        side = side * 2 + 2
    return side


MIN_INPUT = min_input_size()


def _check(input_shape: Sequence[int]) -> tuple[int, int, int]:
    try:
        shape = tuple(int(d) for d in input_shape)
    except (TypeError, ValueError):
        shape = ()
    if len(shape) != 3 or shape[2] != 3 or min(shape[:2]) < MIN_INPUT:
        raise ModelError(
            f"reshi2021 takes an input shape (height, width, 3) of at least "
            f"{MIN_INPUT}x{MIN_INPUT}: its five 3x3 'valid' convolutions and 2x2 pools "
            f"shrink anything smaller to nothing. Received input_shape={tuple(input_shape)!r}; "
            f"use --image-size {MIN_INPUT} or more (the paper uses 150)."
        )
    return shape


def reshi2021(input_shape: Sequence[int], head: Head):
    """Five conv blocks and two dense layers, as in the paper.

    Each block: Conv2D 3x3 ReLU ('valid' padding; 64, 64, 128, 128, 256 filters),
    2x2 max-pool, BatchNormalization, Dropout 0.2. Then Flatten, Dense 512 ReLU + BN,
    Dense 256 ReLU + BN and the task's output (one sigmoid unit scoring COVID).
    BatchNormalization momentum is 0.9 so that small data sets train (see the module).

    Reference:
        Reshi, A. A. et al. (2021). An Efficient CNN Model for COVID-19 Disease
        Detection Based on X-Ray Image Classification. Complexity, 2021, 6621607.

    Args:
        input_shape: (height, width, 3), each side at least 94 (the paper uses 150).
        head: the task's output (classes and kind), built by ``imgclf.output_layer``.

    Returns:
        An uncompiled ``keras.Model`` named ``reshi2021``.

    Raises:
        ModelError: the input is not (h, w, 3) or is smaller than 94x94.
    """
    import keras

    inputs = keras.Input(_check(input_shape), name="image")
    x = inputs
    for i, filters in enumerate(FILTERS, start=1):
        x = keras.layers.Conv2D(
            filters, 3, padding="valid", activation="relu", name=f"block{i}_conv"
        )(x)
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
        x = batch_norm(x, f"block{i}_bn", momentum=BN_MOMENTUM)
        x = keras.layers.Dropout(0.2, name=f"block{i}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(DENSE_UNITS, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"fc{i}")(x)
        x = keras.layers.BatchNormalization(momentum=BN_MOMENTUM, name=f"fc{i}_bn")(x)
    return keras.Model(inputs, output_layer(x, head), name="reshi2021")


MODELS = {"reshi2021": reshi2021}
