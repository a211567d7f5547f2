"""Augmenters built from Keras core preprocessing layers (always available), and the
seeding rules every augmenter follows.

Inside ``tf.data`` (graph mode) random ops built with one seed return the same
values, and Keras layers given one seed start the same stream. So each random layer
of an augmenter gets its own seed, ``derive_seed(seed, key)``, and holds its state in
a ``keras.random.SeedGenerator``, where ``seed_generators`` finds it.
"""

from __future__ import annotations

import hashlib
from typing import Any


def derive_seed(seed: int | None, *keys: int | str) -> int | None:
    """A seed of its own for one random layer of an augmenter: ``derive_seed(seed,
    "flip")``, ``derive_seed(seed, "rot90")``. A hash, not ``seed + i``: ``seed + 1`` is
    the next run's seed and what other code adds to a seed. In [1, 2**31 - 2]: keras-cv
    reads 0 as "no seed" and Keras folds seeds into int32. ``None`` stays ``None``."""
    if seed is None:
        return None
    text = repr((int(seed), *keys)).encode()
    digest = hashlib.blake2b(text, digest_size=8, person=b"imgclf-augment").digest()
    return int.from_bytes(digest, "big") % (2**31 - 2) + 1


def seed_generators(augmenter: Any) -> list[Any]:
    """Every ``keras.random.SeedGenerator`` in ``augmenter``'s layer tree: all of the
    random state of imgclf's augmenters (reset or restore their ``state`` variables)."""
    layers = augmenter._flatten_layers(include_self=True, recursive=True)
    return [g for layer in layers for g in layer._seed_generators]


def flip_rotate_translate(
    rotation_degrees: float = 20.0, translation: float = 0.1, seed: int | None = None
) -> Any:
    """Horizontal flip, rotation up to ``rotation_degrees``, translation up to a fraction
    of each side, reflected at the borders: one resampling pass per image
    (``imgclf.nn.affine.RandomFlipRotateTranslate``), not one per Keras layer."""
    import keras

    from .affine import RandomFlipRotateTranslate

    layer = RandomFlipRotateTranslate(
        rotation_degrees, translation, seed=derive_seed(seed, "affine"), name="affine"
    )
    return keras.Sequential([layer], name="augment")


def flip(seed: int | None = None) -> Any:
    """Horizontal flip only."""
    import keras

    layer = keras.layers.RandomFlip("horizontal", seed=derive_seed(seed, "flip"), name="flip")
    return keras.Sequential([layer], name="augment")
