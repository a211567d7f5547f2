"""Augmenters built from Keras core preprocessing layers (always available)."""

from __future__ import annotations

from typing import Any


def flip_rotate_translate(
    rotation_degrees: float = 20.0, translation: float = 0.1, seed: int | None = None
) -> Any:
    """Horizontal flip, rotation up to ``rotation_degrees``, translation up to a fraction."""
    import keras

    layers = [
        keras.layers.RandomFlip("horizontal", seed=seed, name="flip"),
        keras.layers.RandomRotation(
            rotation_degrees / 360.0, fill_mode="reflect", seed=seed, name="rotate"
        ),
    ]
    if translation:
        layers.append(
            keras.layers.RandomTranslation(
                translation, translation, fill_mode="reflect", seed=seed, name="translate"
            )
        )
    return keras.Sequential(layers, name="augment")


def flip(seed: int | None = None) -> Any:
    """Horizontal flip only."""
    import keras

    return keras.Sequential([keras.layers.RandomFlip("horizontal", seed=seed)], name="augment")
