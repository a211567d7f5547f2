"""One augmenter out of several (``--augmenter flip+mixup``): image augmenters, then
label-mixing ones (MixUp, CutMix), which need the labels of the batch.

Imported only when an augmenter is built (it imports Keras).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras


@keras.saving.register_keras_serializable(package="imgclf")
class Composed(keras.layers.Layer):
    """``image_layers`` in order on the images, then ``mixers`` on (images, labels).

    Called with a tensor (no labels: prediction, the draw checks) it applies the
    image layers only; called with ``{"images": x, "labels": y}`` (the training
    pipeline) it returns the same dict with mixed images and soft labels. Each part
    keeps its own seed (``derive_seed``), so the parts draw independently.
    """

    def __init__(self, image_layers: Sequence[Any] = (), mixers: Sequence[Any] = (), **kwargs):
        kwargs.setdefault("name", "augment")
        super().__init__(**kwargs)
        self.image_layers = list(image_layers)
        self.mixers = list(mixers)
        self.mixes_labels = bool(self.mixers)

    def call(self, data: Any, training: bool | None = None) -> Any:
        x, y = (data["images"], data["labels"]) if isinstance(data, dict) else (data, None)
        for layer in self.image_layers:
            x = layer(x, training=training)
        if y is None:
            return x
        for mixer in self.mixers:
            out = mixer({"images": x, "labels": y}, training=training)
            x, y = out["images"], out["labels"]
        return {"images": x, "labels": y}

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape


def compose(parts: Sequence[Any]) -> Any:
    """One layer for the built parts; a single image augmenter is returned as it is."""
    mixers = [p for p in parts if getattr(p, "mixes_labels", False)]
    images = [p for p in parts if not getattr(p, "mixes_labels", False)]
    if len(parts) == 1 and not mixers:
        return parts[0]
    return Composed(images, mixers)
