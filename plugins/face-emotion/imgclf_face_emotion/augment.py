"""The paper's augmentation: horizontal flip, rotation up to 20 degrees, shift up to 10%.

Built from keras-cv layers (the plugin's default); when keras-cv cannot be
imported the Keras-core equivalent is used instead, with a warning.

Each layer gets a seed of its own (``imgclf.derive_seed``): given one seed,
keras-cv's layers draw the same numbers, so the rotation was the vertical shift.
"""

from __future__ import annotations

import warnings

from imgclf import derive_seed, flip_rotate_translate


class KerasSeededDraws:
    """What keras-cv's layers call on their ``_random_generator`` (a stateful
    ``tf.random.Generator``), drawn from a Keras ``SeedGenerator`` instead: the layer
    then keeps its random state where Keras and imgclf find, save and rewind it."""

    def __init__(self, seed_generator):
        self.seed_generator = seed_generator

    def uniform(self, shape, minval=0, maxval=None, dtype="float32", name=None):
        import tensorflow as tf

        maxval = 1 if maxval is None else maxval
        return tf.random.stateless_uniform(
            shape, self.seed_generator.next(), minval, maxval, dtype=dtype, name=name
        )


def keras_seeded(layer):
    """A keras-cv ``layer`` drawing from ``layer.seed_generator``, seeded with its seed."""
    import keras

    layer.seed_generator = keras.random.SeedGenerator(layer.seed)
    layer._random_generator = KerasSeededDraws(layer.seed_generator)
    return layer


def paper_keras_cv(seed: int | None = None):
    """Flip, rotate <= 20 degrees, translate <= 10% with keras-cv layers."""
    import keras
    import keras_cv

    cv = keras_cv.layers
    flip, turn, shift = (derive_seed(seed, k) for k in ("flip", "rotation", "translation"))
    return keras.Sequential(
        [
            keras_seeded(cv.RandomFlip("horizontal", seed=flip)),
            keras_seeded(cv.RandomRotation(20 / 360, fill_mode="reflect", seed=turn)),
            keras_seeded(cv.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=shift)),
        ],
        name="augment",
    )


def paper_keras_core(seed: int | None = None):
    """Flip, rotate <= 20 degrees, translate <= 10% with Keras core layers."""
    return flip_rotate_translate(20.0, 0.1, seed=seed)


def paper(seed: int | None = None):
    """The paper's augmentation: keras-cv when it imports, Keras core otherwise."""
    try:
        return paper_keras_cv(seed=seed)
    except Exception as exc:  # keras-cv missing or broken against this Keras
        warnings.warn(
            f"keras-cv is not usable ({type(exc).__name__}: {exc}); using the Keras-core "
            "'paper-keras' augmenter instead.",
            stacklevel=2,
        )
        return paper_keras_core(seed=seed)
