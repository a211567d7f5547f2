"""``shapes/turns``: flips and quarter turns, which never change a shape's class.

Every random quantity gets its own stream: inside tf.data (graph mode) two random
ops or Keras layers given the *same* seed draw the same numbers, so each layer gets
its own seed from ``imgclf.derive_seed(seed, name)``, and each layer keeps its state
in a ``keras.random.SeedGenerator`` (which imgclf can find and rewind for
``--deterministic`` runs and ``--resume``). ``imgclf.testing.assert_independent_draws``
checks this in the plugin's tests.
"""

from __future__ import annotations

from typing import Any

from imgclf import derive_seed


def turns(seed: int | None = None, rotation: float = 0.0) -> Any:
    """A horizontal flip, a quarter turn per image (together: all 8 symmetries of a
    square) and, with ``rotation`` > 0 (``--set augmenter.rotation=0.05``), a small
    free rotation (a fraction of a full turn).

    Returns a Keras layer; imgclf calls it as ``augment(images, training=True)`` on
    training batches of float images in [0, 1], inside the tf.data pipeline, after
    the split. Keras is imported here, not when the plugin is imported, so
    ``imgclf list`` stays fast.
    """
    import keras

    from .layers import RandomQuarterTurn

    layers = [
        keras.layers.RandomFlip("horizontal", seed=derive_seed(seed, "flip"), name="flip"),
        RandomQuarterTurn(seed=derive_seed(seed, "turn"), name="turn"),
    ]
    if rotation:
        layers.append(
            keras.layers.RandomRotation(
                rotation, fill_mode="nearest", seed=derive_seed(seed, "rotate"), name="rotate"
            )
        )
    return keras.Sequential(layers, name="augment")
