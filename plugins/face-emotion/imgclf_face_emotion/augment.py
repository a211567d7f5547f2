"""The paper's augmentation: horizontal flip, rotation up to 20 degrees, shift up to 10%.

Built from keras-cv layers (the plugin's default); when keras-cv cannot be
imported the Keras-core equivalent is used instead, with a warning.
"""

from __future__ import annotations

import warnings

from imgclf import flip_rotate_translate


def paper_keras_cv(seed: int | None = None):
    """Flip, rotate <= 20 degrees, translate <= 10% with keras-cv layers."""
    import keras
    import keras_cv

    return keras.Sequential(
        [
            keras_cv.layers.RandomFlip("horizontal", seed=seed),
            keras_cv.layers.RandomRotation(20 / 360, fill_mode="reflect", seed=seed),
            keras_cv.layers.RandomTranslation(0.1, 0.1, fill_mode="reflect", seed=seed),
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
