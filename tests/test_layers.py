"""imgclf's fused BatchNormalization must behave exactly like Keras' layer."""

from __future__ import annotations

import numpy as np
import pytest

import imgclf

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _pair(shape, momentum=0.9, **kwargs):
    """Keras' layer and imgclf's, built on ``shape`` with the same random weights."""
    from imgclf._nn.layers import BatchNormalization

    rng = np.random.default_rng(0)
    ours = BatchNormalization(momentum=momentum, **kwargs)
    theirs = keras.layers.BatchNormalization(momentum=momentum, **kwargs)
    ours.build(shape)
    theirs.build(shape)
    weights = [rng.uniform(0.5, 1.5, w.shape).astype("float32") for w in theirs.get_weights()]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    return ours, theirs


@pytest.mark.parametrize("shape", [(8, 6, 6, 5), (8, 5)])
def test_same_outputs_and_moving_statistics_as_keras(shape):
    ours, theirs = _pair(shape)
    x = tf.constant(np.random.default_rng(1).normal(2.0, 3.0, shape).astype("float32"))
    for training in (True, False, True):
        np.testing.assert_allclose(
            ours(x, training=training), theirs(x, training=training), atol=2e-5
        )
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    # the moving statistics really moved towards the batch's (mean 2, variance 9)
    assert np.all(np.abs(ours.moving_mean.numpy() - 1.0) > 1e-3)


def test_same_gradients_as_keras():
    ours, theirs = _pair((4, 5, 5, 3), center=True, scale=True)
    x = tf.constant(np.random.default_rng(2).normal(size=(4, 5, 5, 3)).astype("float32"))
    upstream = tf.constant(np.random.default_rng(3).normal(size=(4, 5, 5, 3)).astype("float32"))

    def grads(layer):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * upstream)
        return tape.gradient(loss, [x, layer.gamma, layer.beta])

    for a, b in zip(grads(ours), grads(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)


def test_without_scale_and_center_and_under_bfloat16():
    ours, theirs = _pair((2, 4, 4, 3), scale=False, center=False)
    x = tf.random.normal((2, 4, 4, 3), seed=4)
    np.testing.assert_allclose(ours(x, training=True), theirs(x, training=True), atol=2e-5)
    from imgclf._nn.layers import BatchNormalization

    ours = BatchNormalization(dtype="mixed_bfloat16")
    theirs = keras.layers.BatchNormalization(dtype="mixed_bfloat16")
    x = tf.cast(x * 3.0 + 1.0, "bfloat16")
    out = ours(x, training=True)
    assert out.dtype == tf.bfloat16
    np.testing.assert_allclose(  # bfloat16 keeps 8 bits of mantissa
        tf.cast(out, "float32"), tf.cast(theirs(x, training=True), "float32"), atol=0.03
    )
    assert ours.moving_mean.dtype == "float32"
    np.testing.assert_allclose(ours.moving_mean, theirs.moving_mean, atol=1e-3)


def test_saved_model_loads_back_with_imgclf_layer(tmp_path):
    inputs = keras.Input((8, 8, 3))
    x = imgclf.conv_bn_relu(inputs, 4, 3, "b1")
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x))
    model.get_layer("b1_bn").moving_mean.assign(np.full(4, 0.25, "float32"))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = imgclf.load_model(path)
    assert type(loaded.get_layer("b1_bn")).__module__ == "imgclf._nn.layers"
    images = np.random.default_rng(5).random((3, 8, 8, 3)).astype("float32")
    np.testing.assert_allclose(loaded(images), model(images), atol=1e-6)


def test_conv_bn_relu_has_no_conv_bias_unless_asked():
    inputs = keras.Input((8, 8, 3))
    out = imgclf.conv_bn_relu(inputs, 4, 3, "c")
    assert keras.Model(inputs, out).get_layer("c_conv").use_bias is False
    out = imgclf.conv_bn_relu(inputs, 4, 3, "d", use_bias=True)
    assert keras.Model(inputs, out).get_layer("d_conv").use_bias is True


def _affine(**kwargs):
    from imgclf._nn.affine import RandomFlipRotateTranslate

    return RandomFlipRotateTranslate(**kwargs)


def _faces(n=32, size=9):
    return tf.constant(np.random.default_rng(6).random((n, size, size, 3)).astype("float32"))


def test_affine_without_randomness_is_the_identity_and_inference_passes_through():
    x = _faces()
    np.testing.assert_allclose(_affine(rotation_degrees=0, translation=0, flip=False)(x), x)
    assert _affine()(x, training=False) is x


def test_affine_flip_only_gives_each_image_or_its_exact_mirror():
    x = _faces()
    out = _affine(rotation_degrees=0, translation=0, seed=1)(x).numpy()
    mirrored = [np.allclose(o, i[:, ::-1], atol=1e-6) for o, i in zip(out, x.numpy())]
    same = [np.allclose(o, i, atol=1e-6) for o, i in zip(out, x.numpy())]
    assert all(m or s for m, s in zip(mirrored, same))
    assert 4 < sum(mirrored) < 28  # about half of 32


def test_affine_rotation_keeps_the_centre_and_translation_moves_it():
    x = _faces()
    rotated = _affine(rotation_degrees=30, translation=0, flip=False, seed=2)(x).numpy()
    np.testing.assert_allclose(rotated[:, 4, 4], x.numpy()[:, 4, 4], atol=1e-5)
    assert not np.allclose(rotated, x.numpy(), atol=1e-3)  # it did rotate
    shifted = _affine(rotation_degrees=0, translation=0.3, flip=False, seed=3)(x).numpy()
    assert np.mean(np.abs(shifted[:, 4, 4] - x.numpy()[:, 4, 4]) > 1e-3) > 0.5


def test_affine_single_image_range_and_saving(tmp_path):
    layer = _affine(seed=4)
    one = layer(_faces()[0])
    assert one.shape == (9, 9, 3)
    assert 0.0 <= float(tf.reduce_min(one)) and float(tf.reduce_max(one)) <= 1.0
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config
