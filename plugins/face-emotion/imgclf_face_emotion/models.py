"""The three networks of Hewitt & Gunes 2018, "CNN-based Facial Affect Analysis on
Mobile Devices" (arXiv:1807.08775), built as in the paper's tables, and imgclf's
own ``fervgg`` for small face crops such as FER2013's 48x48.

At 128x128x3 with 8 classes: alexnet 3,458,808, vggnet 3,746,872 and mobilenet
3,237,064 parameters (convolutions feeding a batch norm carry no bias; see
``imgclf.conv_bn_relu``). Every layer is named so Grad-CAM and export can find it.
"""

from __future__ import annotations

from collections.abc import Sequence

from imgclf import Head, ModelError, batch_norm, conv_bn_relu, depthwise_separable, output_layer

FILTERS = (16, 32, 64, 128, 128)
ALEXNET_KERNELS = (9, 7, 5, 3, 3)
MOBILENET_BLOCKS = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)


def _check(input_shape: Sequence[int], name: str) -> tuple[int, int, int]:
    shape = tuple(int(d) for d in input_shape)
    if len(shape) != 3 or shape[2] != 3 or min(shape[:2]) < 32:
        raise ModelError(
            f"{name} takes an input shape (height, width, 3) of at least 32x32; "
            f"received input_shape={tuple(input_shape)}."
        )
    return shape


def _dense_head(x, head: Head):
    import keras

    x = keras.layers.Flatten(name="flatten")(x)
    for i in (1, 2):
        x = keras.layers.Dense(1024, activation="relu", name=f"fc{i}")(x)
        x = keras.layers.Dropout(0.5, name=f"fc{i}_dropout")(x)
    return output_layer(x, head)


def _pool_drop(x, name: str):
    import keras

    x = keras.layers.MaxPooling2D(2, name=f"{name}_pool")(x)
    return keras.layers.Dropout(0.2, name=f"{name}_dropout")(x)


def alexnet(input_shape: Sequence[int], head: Head):
    """AlexNet variant: 5 convs (kernels 9,7,5,3,3; filters 16..128), each BN, ReLU,
    2x2 max-pool and dropout 0.2; then 2x Dense 1024 + dropout 0.5.

    Reference: Hewitt & Gunes 2018, Table 1.

    Args:
        input_shape: (height, width, 3), at least 32x32.
        head: the task's output (classes and kind).

    Returns:
        An uncompiled ``keras.Model`` named ``alexnet``.
    """
    import keras

    inputs = keras.Input(_check(input_shape, "alexnet"), name="image")
    x = inputs
    for i, (k, f) in enumerate(zip(ALEXNET_KERNELS, FILTERS), start=1):
        x = conv_bn_relu(x, f, k, f"block{i}")
        x = _pool_drop(x, f"block{i}")
    return keras.Model(inputs, _dense_head(x, head), name="alexnet")


def vggnet(input_shape: Sequence[int], head: Head):
    """VGG variant: blocks of two 3x3 convs (+BN, ReLU) with filters 16..128, each block
    followed by 2x2 max-pool and dropout 0.2; the AlexNet variant's dense head.

    Reference: Hewitt & Gunes 2018, Table 1.
    """
    import keras

    inputs = keras.Input(_check(input_shape, "vggnet"), name="image")
    x = inputs
    for i, f in enumerate(FILTERS, start=1):
        x = conv_bn_relu(x, f, 3, f"block{i}a")
        x = conv_bn_relu(x, f, 3, f"block{i}b")
        x = _pool_drop(x, f"block{i}")
    return keras.Model(inputs, _dense_head(x, head), name="vggnet")


def mobilenet(input_shape: Sequence[int], head: Head):
    """MobileNet variant: conv 3x3x32 stride 2, then 13 depthwise-separable blocks
    (3x3 depthwise + BN + ReLU, 1x1 pointwise + BN + ReLU) with the paper's
    strides, global average pooling and the output layer.

    Reference: Hewitt & Gunes 2018, Table 1 (after Howard et al. 2017).
    """
    import keras

    inputs = keras.Input(_check(input_shape, "mobilenet"), name="image")
    x = conv_bn_relu(inputs, 32, 3, "stem", strides=2, use_bias=False)
    for i, (filters, stride) in enumerate(MOBILENET_BLOCKS, start=1):
        x = depthwise_separable(x, filters, stride, f"dws{i}")
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, output_layer(x, head), name="mobilenet")


# Multiples of 16, the channel block of oneDNN's AVX-512 kernels: on an AVX512_BF16
# CPU, 48..384 trained 1.2x faster in bf16 than 40..320 with 1.4x the FLOPs
# (benchmarks/step_time.py --models fervgg: 209 against 173 images/s).
FERVGG_WIDTHS = (48, 96, 192, 384)


def fervgg(input_shape: Sequence[int], head: Head):
    """imgclf's own network (not the paper's): a VGG-style stack for small faces.

    Four stages of two 3x3 conv + BN + ReLU (48, 96, 192, 384 filters), each closed
    by 2x2 max-pooling and dropout 0.1; then flatten, Dense 256 + BN + ReLU, dropout
    0.5 and the output layer. About 3.5M parameters at 48x48 (int8 TFLite < 4 MB).

    Sources: the VGG design of Simonyan & Zisserman 2015 (stacked 3x3 convs), as
    adapted to FER2013 by Pramerdorfer & Kampel 2016 and Khaireddin & Chen 2021
    (two convs per stage, batch norm, SGD with Nesterov momentum), narrowed so that
    it trains on two CPU cores in an afternoon and fits a 4 MB int8 budget.
    Flatten (not global pooling) keeps where in the face a feature was found.
    """
    import keras

    inputs = keras.Input(_check(input_shape, "fervgg"), name="image")
    x = inputs
    for i, f in enumerate(FERVGG_WIDTHS, start=1):
        x = conv_bn_relu(x, f, 3, f"block{i}a")
        x = conv_bn_relu(x, f, 3, f"block{i}b")
        x = keras.layers.MaxPooling2D(2, name=f"block{i}_pool")(x)
        x = keras.layers.Dropout(0.1, name=f"block{i}_dropout")(x)
    x = keras.layers.Flatten(name="flatten")(x)
    x = keras.layers.Dense(256, use_bias=False, name="fc1")(x)
    x = batch_norm(x, "fc1_bn")
    x = keras.layers.ReLU(name="fc1_relu")(x)
    x = keras.layers.Dropout(0.5, name="fc1_dropout")(x)
    return keras.Model(inputs, output_layer(x, head), name="fervgg")


MODELS = {"alexnet": alexnet, "vggnet": vggnet, "mobilenet": mobilenet, "fervgg": fervgg}
