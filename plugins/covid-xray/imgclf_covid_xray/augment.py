"""The paper's augmentation: random horizontal flip and rotation by a right angle.

Reshi et al. 2021 enlarge the training films by flipping and rotating them by 90,
180 and 270 degrees. Here that happens on the fly, per batch, and only on the
training split, after splitting: the core applies an augmenter to training batches
alone, so no flipped or rotated copy of a test film can land in training (the
mistake that gave the first reproduction 100% test accuracy).

Zoom is off by default (``zoom=0``): the paper describes only flips and right-angle
rotations; ``--set augmenter.zoom=0.2`` adds a random zoom in or out by up to 20%.
"""

from __future__ import annotations

from typing import Any


def paper(seed: int | None = None, zoom: float = 0.0, **options: Any) -> Any:
    """Flip left-right and rotate by 0/90/180/270 degrees; zoom only when asked.

    Args:
        seed: seed for the random draws (the run's seed).
        zoom: largest zoom as a fraction, 0 to 0.5 (0.2 = zoom in or out by up to 20%).

    Returns:
        A ``keras.Sequential`` named ``augment`` for batches of images in [0, 1].
    """
    from imgclf import ConfigError, derive_seed

    if options:
        raise ConfigError(
            f"The covid-xray 'paper' augmenter takes seed and zoom; received "
            f"{', '.join(sorted(options))}."
        )
    if not 0 <= float(zoom) <= 0.5:
        raise ConfigError(f"zoom must be between 0 and 0.5; received zoom={zoom!r}.")
    import keras

    from .layers import RandomRot90

    # A seed per layer: layers given one seed draw the same numbers (flip = zoom).
    layers = [
        keras.layers.RandomFlip("horizontal", seed=derive_seed(seed, "flip"), name="flip"),
        RandomRot90(seed=derive_seed(seed, "rot90"), name="rot90"),
    ]
    if zoom:
        zoom_seed = derive_seed(seed, "zoom")
        layers.append(
            keras.layers.RandomZoom(float(zoom), fill_mode="constant", seed=zoom_seed, name="zoom")
        )
    return keras.Sequential(layers, name="augment")
