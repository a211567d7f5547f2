"""Test-time augmentation (``tta``): the model's outputs averaged over views of each image.

``flip``: the image and its horizontal mirror. ``crops``: five crops (the four
corners and the centre) of 87.5% of the side, each resized back to the input size.
``ten-crop``: those five and their mirrors, the ten views of Krizhevsky et al. 2012
that the published FER2013 figures use.
The views are predicted one after the other over the whole data set, then averaged
(probabilities for a class head, targets for a regression head). ``none``: one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

CROP_FRACTION = 0.875


def views(mode: str) -> list[Callable[[Any], Any]]:
    """The image transforms of ``mode`` (each takes and returns a batch N x H x W x C)."""
    import tensorflow as tf

    if mode == "flip":
        return [lambda x: x, tf.image.flip_left_right]
    if mode not in ("crops", "ten-crop"):
        return [lambda x: x]

    def crop(corner: str) -> Callable[[Any], Any]:
        def view(x: Any) -> Any:
            size = tf.shape(x)[1:3]
            c = tf.cast(tf.round(tf.cast(size, tf.float32) * CROP_FRACTION), tf.int32)
            room = size - c
            offsets = {"tl": (0, 0), "tr": (0, room[1]), "bl": (room[0], 0),
                       "br": (room[0], room[1]), "c": (room[0] // 2, room[1] // 2)}  # fmt: skip
            top, left = offsets[corner]
            part = tf.image.crop_to_bounding_box(x, top, left, c[0], c[1])
            return tf.image.resize(part, size, method="bilinear")

        return view

    crops = [crop(k) for k in ("c", "tl", "tr", "bl", "br")]
    if mode == "crops":
        return crops
    return crops + [lambda x, v=v: tf.image.flip_left_right(v(x)) for v in crops]


def predict(model: Any, ds: Any, mode: str = "none") -> np.ndarray:
    """``model.predict(ds)`` averaged over the views of ``mode``; ``ds`` yields image
    batches or (images, labels, ...) tuples (the labels are ignored)."""
    if (mode or "none") == "none":
        return model.predict(ds, verbose=0)
    outputs = []
    for view in views(mode or "none"):
        images = ds.map(lambda x, *rest, view=view: view(x))
        outputs.append(np.asarray(model.predict(images, verbose=0), dtype="float64"))
    return np.mean(outputs, axis=0).astype("float32")


def record(result: Any, mode: str | None) -> Any:
    """``tta`` in the result's metrics (metrics.json says how the test was predicted)."""
    result.metrics["tta"] = mode or "none"
    return result
