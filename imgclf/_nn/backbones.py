"""Pretrained backbones from ``keras.applications``, and how every model gets its weights.

A :class:`Backbone` is a model builder (``build(input_shape, head) -> keras.Model``, the
``register_models`` contract) with pretrained ImageNet weights. Its model takes what
imgclf's tf.data pipeline feeds: float32 RGB pixels in [0, 1] (the pipeline decodes gray
and RGBA images to 3 channels, ``_data/pipeline.py``), so the backbone's own
preprocessing lives inside the model and a saved ``.keras`` file needs nothing else::

    image [0, 1] -> Rescaling (the backbone's scale) -> "backbone" (the application,
    include_top=False, called with training=False) -> GlobalAveragePooling2D
    -> Dropout(0.2) -> the task's head (``output_layer``)

The application is ONE nested layer named ``"backbone"``: a fine-tuning trainer
freezes it, then unfreezes its top blocks (:meth:`Backbone.blocks`). It is called with
``training=False`` so its batch-norm layers stay in inference mode in every phase, as
the Keras transfer-learning guide does.

:func:`model_builder` resolves a ``--model`` name (``hub:PRESET`` for keras-hub, see
``_nn/hub.py``); :func:`build_with_weights` builds any model with ``--weights``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from .. import _plugins as plugins
from ..errors import ConfigError, ModelError
from .blocks import output_layer
from .hub import HUB_PREFIX, hub_model

#: Suffixes ``--weights PATH`` accepts: what ``model.save_weights`` and ``model.save`` write.
WEIGHT_SUFFIXES = (".weights.h5", ".keras")
#: ``preprocess`` values: the Rescaling that turns [0, 1] pixels into the network's input.
PREPROCESS = {
    # [0, 255]; the application normalizes itself (include_preprocessing=True)
    "inside": (255.0, 0.0),
    # [-1, 1]: keras.applications' "tf" mode (ResNetV2, which has no include_preprocessing)
    "tf": (2.0, -1.0),
}


@dataclass(frozen=True, kw_only=True)
class Backbone:
    """A ``keras.applications`` network as an imgclf model builder (see the module doc).

    ``params`` and ``weights_mb`` are hard-coded so ``imgclf list models`` need not import
    TensorFlow: ``params`` counts the nested ``"backbone"`` (include_top=False, its own
    preprocessing layers included); the head adds ``(features + 1) * units``.
    ``weights_mb`` is ``params`` in float32, in MB (10**6 bytes). A test checks both.
    ``block_pattern``'s first group names the block a layer belongs to; layers it does
    not match join the block before them (see :meth:`blocks`).
    """

    name: str
    application: str
    default_size: int = 224
    preprocess: str = "inside"
    block_pattern: str
    params: int
    weights_mb: float
    description: str

    #: Takes pretrained weights: ``--weights imagenet`` applies (the default).
    pretrained: ClassVar[bool] = True

    def __post_init__(self) -> None:
        if self.preprocess not in PREPROCESS:
            raise ModelError(
                f"Backbone {self.name!r}: preprocess should be one of {', '.join(PREPROCESS)}; "
                f"received preprocess={self.preprocess!r}."
            )
        if re.compile(self.block_pattern).groups < 1:
            raise ModelError(
                f"Backbone {self.name!r}: block_pattern needs a group naming the block, e.g. "
                rf"r'^(block\d+[a-z])_'; received {self.block_pattern!r}."
            )

    def __call__(self, input_shape: Sequence[int], head: Any, weights: str | None = None) -> Any:
        """Build the model (uncompiled).

        Args:
            input_shape: (height, width, 3); the pipeline feeds RGB pixels in [0, 1].
            head: the task's ``Head`` (softmax, sigmoid or regression).
            weights: ``None`` (random init: the ``register_models`` contract, nothing is
                downloaded) or ``"imagenet"``. ``--weights`` goes through
                :func:`build_with_weights`, where ``None`` means imagenet.

        Returns:
            A ``keras.Model`` whose layer ``"backbone"`` is the application.
        """
        import keras

        shape = tuple(int(s) for s in input_shape)
        if len(shape) != 3 or shape[-1] != 3:
            raise ModelError(
                f"{self.name} takes (height, width, 3) RGB images; received input_shape={shape}."
            )
        base = self.application_model(shape, weights)
        if weights is None:
            from_scratch(base)
        scale, offset = PREPROCESS[self.preprocess]
        inputs = keras.Input(shape, dtype="float32", name="image")
        x = keras.layers.Rescaling(scale, offset, name="preprocess")(inputs)
        x = base(x, training=False)
        x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
        x = keras.layers.Dropout(0.2, name="dropout")(x)
        return keras.Model(inputs, output_layer(x, head), name=self.name)

    def application_model(self, shape: tuple[int, ...], weights: str | None = None) -> Any:
        """The application without its top, named ``"backbone"``."""
        import keras

        extra = {"include_preprocessing": True} if self.preprocess == "inside" else {}
        try:
            base = getattr(keras.applications, self.application)(
                input_shape=shape, include_top=False, weights=weights, **extra
            )
        except ValueError as exc:  # Keras' own shape checks (e.g. at least 32x32)
            raise ModelError(f"{self.name} cannot take input_shape={shape}: {exc}") from None
        base.name = "backbone"  # after loading: the weights files know the original names
        return base

    def blocks(self, model: Any) -> list[list[str]]:
        """The nested backbone's layer names in blocks, in order: the stem first, the
        last block with any top conv/BN after it; so a trainer can unfreeze the top N.
        ``model``: a model this backbone built (or its ``"backbone"`` layer)."""
        names = [layer.name for layer in model.layers]
        base = model.get_layer("backbone") if "backbone" in names else model
        return group_layers([layer.name for layer in base.layers], self.block_pattern)


def group_layers(names: Sequence[str], pattern: str) -> list[list[str]]:
    """``names`` in runs of one block: the first group of ``pattern`` names the block;
    a name it does not match joins the block before it. The first block is the stem:
    the layers before the first match, and the block the pattern calls ``stem``."""
    regex = re.compile(pattern)
    groups: list[list[str]] = []
    keys: list[str | None] = []
    for name in names:
        found = regex.search(name)
        key = found.group(1) if found else None
        if not groups:  # the stem: the input and the layers before the first named block
            groups.append([])
            keys.append(key or "stem")
        elif key is not None and key != keys[-1]:
            groups.append([])
            keys.append(key)
        groups[-1].append(name)
    return groups


def _mb(params: int) -> float:
    return round(params * 4 / 1e6, 1)


_MOBILENET = r"^(expanded_conv(?:_\d+)?)_"
_EFFICIENTNET = r"^(stem|block\d+[a-z])_"

#: The registered backbones (``_default_plugins/models.py``).
BACKBONES = (
    Backbone(name="mobilenetv3-small", application="MobileNetV3Small", block_pattern=_MOBILENET,
             params=939_120, weights_mb=_mb(939_120),
             description="MobileNetV3-Small (Howard et al. 2019), ImageNet weights; for CPUs "
             "and phones."),
    Backbone(name="mobilenetv3-large", application="MobileNetV3Large", block_pattern=_MOBILENET,
             params=2_996_352, weights_mb=_mb(2_996_352),
             description="MobileNetV3-Large (Howard et al. 2019), ImageNet weights."),
    Backbone(name="efficientnetv2-b0", application="EfficientNetV2B0",
             block_pattern=_EFFICIENTNET, params=5_919_312, weights_mb=_mb(5_919_312),
             description="EfficientNetV2-B0 (Tan & Le 2021), ImageNet weights."),
    Backbone(name="efficientnetv2-b1", application="EfficientNetV2B1", default_size=240,
             block_pattern=_EFFICIENTNET, params=6_931_124, weights_mb=_mb(6_931_124),
             description="EfficientNetV2-B1 (Tan & Le 2021), ImageNet weights."),
    Backbone(name="efficientnetv2-b2", application="EfficientNetV2B2", default_size=260,
             block_pattern=_EFFICIENTNET, params=8_769_374, weights_mb=_mb(8_769_374),
             description="EfficientNetV2-B2 (Tan & Le 2021), ImageNet weights."),
    Backbone(name="resnet50v2", application="ResNet50V2", preprocess="tf",
             block_pattern=r"^(conv\d_block\d+)_", params=23_564_800,
             weights_mb=_mb(23_564_800),
             description="ResNet50 v2, pre-activation (He et al. 2016), ImageNet weights."),
    Backbone(name="convnext-tiny", application="ConvNeXtTiny",
             block_pattern=r"_(stem|downsampling_block_\d+|stage_\d+_block_\d+)(?:_|$)",
             params=27_820_128, weights_mb=_mb(27_820_128),
             description="ConvNeXt-Tiny (Liu et al. 2022), ImageNet-1k weights."),
)  # fmt: skip


def model_builder(name: str) -> Any:
    """The builder ``--model name`` stands for: ``hub:PRESET`` (keras-hub, ``_nn/hub.py``)
    or a registered model. Every call site resolves model names here."""
    if isinstance(name, str) and name.startswith(HUB_PREFIX):
        return hub_model(name[len(HUB_PREFIX) :])
    return plugins.registries()["models"].get(name)


def takes_pretrained(builder: Any) -> bool:
    """Whether ``builder`` takes ``weights="imagenet"`` (a Backbone or a keras-hub preset)."""
    return bool(getattr(builder, "pretrained", False))


def resolved_weights(builder: Any, weights: str | None) -> str:
    """``"imagenet"``, ``"none"`` or a path: ``None`` means imagenet for a pretrained
    builder and none (random init) for every other model."""
    word = str(weights).strip() if weights is not None else ""
    if not word:
        return "imagenet" if takes_pretrained(builder) else "none"
    return word.casefold() if word.casefold() in ("imagenet", "none") else word


def check_weights(builder: Any, weights: str | None, name: str | None = None) -> str:
    """The resolved ``--weights`` (see :func:`resolved_weights`); a ConfigError for one
    that cannot work with ``builder``, before any data is read or folder written."""
    choice = resolved_weights(builder, weights)
    label = name or getattr(builder, "name", None) or getattr(builder, "__name__", "?")
    if choice == "imagenet" and not takes_pretrained(builder):
        raise ConfigError(
            f"Model {label!r} has no pretrained weights: --weights imagenet applies to the "
            "pretrained backbones only (see 'imgclf list models'). Use --weights none (random "
            f"init) or --weights PATH (a .weights.h5 or .keras file). Received weights={weights!r}."
        )
    if choice in ("imagenet", "none"):
        return choice
    if not choice.endswith(WEIGHT_SUFFIXES):
        raise ConfigError(
            "--weights takes imagenet, none or a .weights.h5 or .keras file (written by "
            f"model.save_weights or model.save, e.g. a run's model.keras); received {choice!r}."
        )
    if not Path(choice).expanduser().is_file():
        raise ConfigError(f"Weights file {choice!r} does not exist; check the path.")
    return choice


def build_with_weights(
    builder: Any,
    input_shape: Sequence[int],
    head: Any,
    weights: str | None = None,
    name: str | None = None,
) -> Any:
    """Build ``builder``'s model with ``--weights``: ``imagenet`` (pretrained), ``none``
    (random init) or a PATH loaded into the randomly initialized model. ``name``
    (the ``--model`` name) is only for messages."""
    choice = check_weights(builder, weights, name)
    if choice == "imagenet":
        return _pretrained(builder, tuple(input_shape), head)
    model = builder(tuple(input_shape), head)  # random init: the register_models contract
    if choice != "none":
        _load_file(model, Path(choice).expanduser(), name or model.name)
    return model


def _load_file(model: Any, path: Path, label: str) -> None:
    """Load every weight of ``model`` from ``path``; a partial load (Keras only warns
    when it skips a nested part) is as much an error as a failed one."""
    problem: str | None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.load_weights(str(path))
        except Exception as exc:  # Keras raises ValueError, KeyError, OSError...: one story
            problem = f"{type(exc).__name__}: {exc}"
        else:
            skipped = [str(w.message) for w in caught if "Skipping" in str(w.message)]
            problem = skipped[0] if skipped else None
    if problem is not None:
        raise ModelError(
            f"The weights in {str(path)!r} do not fit model {label!r} "
            f"({' '.join(problem.split())[:300]}). --weights PATH takes a file saved from the "
            "same model with the same head and classes (model.save_weights('x.weights.h5') "
            "or a run's model.keras); use --weights imagenet or none to start afresh."
        )


def _pretrained(builder: Any, input_shape: tuple[int, ...], head: Any) -> Any:
    """``builder``'s model with pretrained weights; a download failure -> a ModelError
    that says which file to fetch and where to put it."""
    try:
        return builder(input_shape, head, weights="imagenet")
    except Exception as exc:
        url = re.search(r"https?://[^\s]+", str(exc))
        if url is None:
            raise
        url_text = url.group(0).rstrip(":,;")
        folder = keras_cache_dir()
        reason = str(exc).rpartition(" -- ")[2]  # get_file: "URL fetch failure on URL: N -- why"
        raise ModelError(
            f"Could not download the ImageNet weights file {url_text.rsplit('/', 1)[-1]!r} "
            f"from {url_text} ({' '.join(reason.split())[:200]}). Without a network: "
            f"download it on another machine and put it in {folder} (Keras' cache, "
            "$KERAS_HOME/models), or use --weights PATH (a .weights.h5 or .keras file) or "
            "--weights none (random init)."
        ) from None


def keras_cache_dir() -> str:
    """The folder ``keras.utils.get_file`` caches model weights in (``$KERAS_HOME/models``,
    by default ``~/.keras/models``; ``/tmp/.keras/models`` when that is not writable)."""
    try:
        from keras.src.backend.config import keras_home

        home = os.path.expanduser(keras_home())
    except ImportError:  # a Keras without the private accessor: its documented default
        home = os.environ.get("KERAS_HOME") or os.path.expanduser(os.path.join("~", ".keras"))
    if not os.access(home, os.W_OK):
        home = os.path.join("/tmp", ".keras")
    return os.path.join(home, "models")


def from_scratch(base: Any) -> None:
    """Batch-norm momentum 0.9 for a backbone trained from random weights: the
    applications' 0.999 (MobileNetV3) moves the inference statistics so slowly that a
    small data set's run ends with the initial ones and predicts one class."""
    import keras

    for layer in base._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = min(layer.momentum, 0.9)
