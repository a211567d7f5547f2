"""Augmenters built from Keras core preprocessing layers (always available)."""

from __future__ import annotations

from typing import Any


def flip_rotate_translate(
    rotation_degrees: float = 20.0, translation: float = 0.1, seed: int | None = None
) -> Any:
    """Horizontal flip, rotation up to ``rotation_degrees``, translation up to a fraction
    of each side, reflected at the borders: one resampling pass per image
    (``imgclf.affine.RandomFlipRotateTranslate``), not one per Keras layer."""
    import keras

    from .affine import RandomFlipRotateTranslate

    layer = RandomFlipRotateTranslate(rotation_degrees, translation, seed=seed, name="affine")
    return keras.Sequential([layer], name="augment")


def flip(seed: int | None = None) -> Any:
    """Horizontal flip only."""
    import keras

    return keras.Sequential([keras.layers.RandomFlip("horizontal", seed=seed)], name="augment")
