"""``--model hub:PRESET``: a keras-hub backbone preset as an imgclf model builder.

keras-hub is optional (``pip install "imgclf[hub]"``); without it a ``hub:`` name is a
clear ConfigError. The model takes [0, 1] pixels like every imgclf model: the preset's
own image converter (resizing and scaling, as the preset was trained) is inside it::

    image [0, 1] -> Rescaling(255) -> the preset's ImageConverter -> "backbone"
    (training=False) -> global average pooling -> Dropout(0.2) -> the task's head
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ConfigError, ModelError
from .blocks import output_layer

HUB_PREFIX = "hub:"


def hub_model(preset: str) -> HubModel:
    """The builder for ``hub:PRESET``; a ConfigError when keras-hub is absent."""
    if not preset.strip():
        raise ConfigError(
            f"{HUB_PREFIX}PRESET names a keras-hub preset, e.g. {HUB_PREFIX}resnet_50_imagenet; "
            f"received {HUB_PREFIX + preset!r}."
        )
    if importlib.util.find_spec("keras_hub") is None:
        raise ConfigError(
            f"Model {HUB_PREFIX + preset!r} needs keras-hub, which is not installed: "
            "pip install \"imgclf[hub]\" (or use a built-in backbone, see 'imgclf list models')."
        )
    return HubModel(preset)


@dataclass(frozen=True)
class HubModel:
    """A keras-hub ``Backbone`` preset with its image converter and the task's head."""

    preset: str
    pretrained: ClassVar[bool] = True  # --weights imagenet: the preset's own weights

    @property
    def name(self) -> str:
        return HUB_PREFIX + self.preset

    @property
    def description(self) -> str:
        return f"keras-hub preset {self.preset}"

    def __call__(self, input_shape: Sequence[int], head: Any, weights: str | None = None) -> Any:
        """The model; ``weights="imagenet"`` loads the preset's weights, ``None`` does not."""
        import keras
        import keras_hub

        try:
            base = keras_hub.models.Backbone.from_preset(
                self.preset, load_weights=weights == "imagenet"
            )
            converter = keras_hub.layers.ImageConverter.from_preset(self.preset)
        except Exception as exc:  # unknown preset, no network, no Kaggle credentials...
            raise ModelError(
                f"keras-hub could not load preset {self.preset!r}: {type(exc).__name__}: "
                f"{' '.join(str(exc).split())[:300]}. See https://keras.io/keras_hub/presets/ "
                "for preset names; without a network use --weights none or PATH."
            ) from None
        base.name = "backbone"
        inputs = keras.Input(tuple(int(s) for s in input_shape), dtype="float32", name="image")
        x = keras.layers.Rescaling(255.0, name="preprocess")(inputs)
        x = base(converter(x), training=False)
        if len(x.shape) == 4:
            x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        elif len(x.shape) == 3:  # tokens (ViT-like)
            x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
        x = keras.layers.Dropout(0.2, name="dropout")(x)
        # Keras refuses "/" in names and TensorFlow a scope starting with "_"
        name = "hub_" + re.sub(r"[^\w.-]", "_", self.preset).strip("_")
        return keras.Model(inputs, output_layer(x, head), name=name)
